"""Credentials in URLs never leave the configuration file: not in output, logs or the database.

A local portal is configured with ``user:password@`` in its base and list URLs, a WeCom
webhook key and a Redis URL with a password; every command an operator runs (real processes,
``python -m monitor``) is scanned line by line, and so is every row of every table (the
webhook URL itself is kept in ``subscribers``: it is where alerts go).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from localportals import samples

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "Pa55w0rd-XyZ"
WEBHOOK_KEY = "0123abcd-feed-beef-9876-secretwebhook"
REDIS_PASSWORD = "r3dis-S3cret"


def _with_credentials(url: str) -> str:
    return url.replace("http://", f"http://watcher:{PASSWORD}@", 1)


def _config(path: Path, db_path: Path, portal: dict) -> Path:
    portal = {**portal, "base_url": _with_credentials(portal["base_url"]),
              "list_urls": [_with_credentials(u) for u in portal.get("list_urls", [])]}
    lines = ["[database]", f'url = "sqlite:///{db_path}"', "[crawl]", "delay = 0", "retries = 1",
             "[redis]", f'url = "redis://:{REDIS_PASSWORD}@127.0.0.1:6379/12"', "[[portals]]"]
    lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in portal.items()]
    lines += ["[[subscribers]]", 'name = "group"',
              f'wecom_webhook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WEBHOOK_KEY}"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _secrets_in(text_: str) -> list[str]:
    return [line for line in text_.splitlines() if PASSWORD in line or WEBHOOK_KEY in line or REDIS_PASSWORD in line]


def test_no_credential_in_any_output_log_line_or_row(tmp_path: Path, serve_portal) -> None:  # type: ignore[no-untyped-def]
    site = samples.synthetic_site("trs", 12, page_size=5, edu_every=3)
    server = serve_portal(site)
    db_path = tmp_path / "eduwatch.db"
    config = _config(tmp_path / "eduwatch.toml", db_path, site.portal_config())
    commands = [["crawl", "--full"], ["portals"], ["portals", "--json"], ["status"], ["status", "--json"],
                ["documents"], ["config", "check"], ["subscribers", "list"], ["subscribers", "list", "--json"],
                ["notify", "--dry-run"], ["alerts", "--json"], ["crawl", site.name]]
    seen = []
    for argv in commands:
        done = subprocess.run([sys.executable, "-m", "monitor", "--config", str(config), *argv], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        seen.append((argv, done.returncode))
        assert _secrets_in(done.stdout + done.stderr) == [], argv
    assert ("config", "check") in [tuple(a) for a, code in seen if code == 0]
    assert server  # the crawl reaches the portal or fails on its URL; either way every trace is masked
    engine = create_engine(f"sqlite:///{db_path}")
    rows = 0
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                rows += 1
                found = _secrets_in(repr(tuple(row)))
                if table == "subscribers":  # the webhook is the address alerts go to: kept, never shown
                    found = [line for line in found if PASSWORD in line or REDIS_PASSWORD in line]
                assert found == [], table
    engine.dispose()
    assert rows > 0
    with engine.connect() as connection:
        reasons = [r for (r,) in connection.execute(text("SELECT reason FROM crawl_runs")) if r]
        base = connection.execute(text("SELECT base_url FROM portals")).scalar_one()
    assert base.startswith("http://watcher:***@")
    assert all("watcher:***@" in r or PASSWORD not in r for r in reasons)
