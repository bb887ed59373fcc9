"""The CLI side of the web view: eduwatch search, reindex and subscribers show (feed tokens)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.shell.cli import main
from tests.monitor.shell.web.site import Site, web_config_text


@pytest.fixture
def config_path(site: Site, tmp_path: Path) -> str:
    path = tmp_path / "web.toml"
    path.write_text(web_config_text(site.config.database.url, "https://eduwatch.example.org"), encoding="utf-8")
    return str(path)


def test_search_cli_json_and_table(site: Site, config_path: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", config_path, "search", "乡村教育", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["total"] == 1 and found["hits"][0]["document_id"] == site.plan_id
    assert main(["--config", config_path, "search", "资金使用情况", "--portal", "huantai"]) == 0
    assert "0 document(s) match" in capsys.readouterr().out
    assert main(["--config", config_path, "search", "乡村", "--plans"]) == 0
    assert "【乡村】" in capsys.readouterr().out


def test_reindex_rebuilds(site: Site, config_path: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", config_path, "reindex"]) == 0
    assert "search index rebuilt: 27 documents" in capsys.readouterr().out


def test_subscribers_show_makes_shows_replaces_and_revokes_the_feed_token(
    site: Site, config_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from fastapi.testclient import TestClient

    from monitor.shell.web.app import create_app

    http = TestClient(create_app(site.config, site.db))
    assert main(["--config", config_path, "subscribers", "show", "揭阳规划科"]) == 0
    out = capsys.readouterr().out
    assert "token made" in out and "https://" not in out  # a token exists: it cannot be shown again
    assert main(["--config", config_path, "subscribers", "show", "揭阳规划科", "--new-token", "--json"]) == 0
    feed = json.loads(capsys.readouterr().out)["feed"]
    assert feed["url"].startswith("https://eduwatch.example.org/feeds/subscribers/%E6%8F%AD")
    token = feed["url"].split("token=")[1]
    assert http.get("/feeds/subscribers/揭阳规划科.atom", params={"token": token}).status_code == 200
    assert http.get("/feeds/subscribers/揭阳规划科.atom", params={"token": site.feed_token}).status_code == 404
    assert main(["--config", config_path, "subscribers", "show", "揭阳规划科", "--revoke-token"]) == 0
    assert "feed: closed" in capsys.readouterr().out
    assert http.get("/feeds/subscribers/揭阳规划科.atom", params={"token": token}).status_code == 404
    assert main(["--config", config_path, "subscribers", "show", "nobody"]) == 2
