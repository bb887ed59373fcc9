"""``eduwatch portals detect|add`` through the CLI on local portals: the file keeps its comments,
a duplicate name is refused, the new entry loads and one list page is read."""

from __future__ import annotations

import json
from pathlib import Path

from eduwatch.config import load_config
from localportals import samples
from monitor.shell.cli import main

HEAD = """# eduwatch for 揭阳市教育局 — keep this comment
[database]
url = "{url}"

[crawl]
delay = 0        # local portals: no need to wait
obey_robots = true

# the portals we watch
[[portals]]
name = "huilai"   # 惠来县
platform = "gkmlpt"
base_url = "http://www.huilai.gov.cn"
"""


def _config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "eduwatch.toml"
    path.write_text(HEAD.format(url=url), encoding="utf-8")
    return path


def test_add_keeps_comments_and_test_crawls(tmp_path: Path, serve_portal, sqlite_url: str, capsys) -> None:  # type: ignore[no-untyped-def]
    server = serve_portal(samples.sample_sites()["huantai_jyt"])
    path = _config(tmp_path, sqlite_url)
    code = main(["--config", str(path), "portals", "add", server.base_url + "/", "--name", "huantai-jyt",
                 "--region", "山东省淄博市桓台县", "--yes"])
    out = capsys.readouterr().out
    assert code == 0, out
    text = path.read_text(encoding="utf-8")
    assert text.startswith(HEAD.format(url=sqlite_url))  # every comment and line as it was
    assert '\n\n[[portals]]\nname = "huantai-jyt"' in text  # set off by a blank line, as a person writes it
    portal = load_config(path).portal("huantai-jyt")
    assert (portal.platform, portal.region, portal.title) == ("hanweb", "山东省淄博市桓台县", "桓台县教育和体育局")
    assert portal.list_urls == (server.base_url + "/col/col18573/index.html",)
    assert "test crawl of one list page" in out and "found 0 documents" not in out and "/art/" in out


def test_add_refuses_a_duplicate_name(tmp_path: Path, serve_portal, sqlite_url: str, capsys) -> None:  # type: ignore[no-untyped-def]
    server = serve_portal(samples.sample_sites()["huilai"])
    path = _config(tmp_path, sqlite_url)
    before = path.read_text(encoding="utf-8")
    code = main(["--config", str(path), "portals", "add", server.base_url + "/", "--name", "huilai", "--yes"])
    assert code == 2 and "already" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == before


def test_detect_json(tmp_path: Path, serve_portal, sqlite_url: str, capsys) -> None:  # type: ignore[no-untyped-def]
    server = serve_portal(samples.sample_sites()["huantai"])
    code = main(["--config", str(_config(tmp_path, sqlite_url)), "portals", "detect", server.base_url + "/", "--json"])
    view = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {"platform", "base_url", "list_urls", "detail_pattern", "title", "region", "confidence", "evidence"} <= set(view)
    assert view["platform"] == "generic" and view["detail_pattern"] == r"/doc_[0-9a-f]{24}\.html$"
    assert view["region"] == "桓台县" and 0 < view["confidence"] <= 1 and view["evidence"]
