"""Helpers for the crawl integration tests: a TOML config pointing at local portals, the crawl
subprocess with its extracted records, and the portals' request logs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterable, Sequence

from localportals import PortalServer
from storage.runs import RunSummary

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _toml(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def write_config(path: Path, database_url: str, servers: Iterable[PortalServer], **crawl: Any) -> str:
    """A config with the servers' sites as portals; crawl.delay = 0 unless given."""
    crawl.setdefault("delay", 0)
    crawl.setdefault("retries", 1)
    lines = ["[database]", f"url = {_toml(database_url)}", "", "[crawl]"]
    lines += [f"{key} = {_toml(value)}" for key, value in crawl.items()]
    for server in servers:
        lines += ["", "[[portals]]"]
        lines += [f"{key} = {_toml(value)}" for key, value in server.site.portal_config().items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def crawl_with_items(config_path: str, portals: Sequence[str], items_dir: Path, *extra: str,
                     timeout: float = 120) -> tuple[list[RunSummary], dict[str, list[dict[str, Any]]]]:
    """Run ``python -m crawler.run`` and return its summaries and each portal's extracted records."""
    items_dir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "crawler.run", "--config", config_path, "--items-dir", str(items_dir), *extra, *portals],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summaries = [RunSummary(**item) for item in json.loads(done.stdout.strip().splitlines()[-1])]
    items = {}
    for portal in portals:
        file = items_dir / f"{portal}.jsonl"
        items[portal] = [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines()] if file.exists() else []
    return summaries, items


def requests_of(server: PortalServer) -> list[tuple[str, str, int]]:
    """(method, path?query, status) of every request the portal answered, in order."""
    return [(r.method, r.target, r.status) for r in server.log]


def detail_requests(server: PortalServer) -> list[str]:
    """Targets of requests for document pages (anything that is not robots.txt or a list page)."""
    lists = set(server.site.family.list_paths(server.site))
    return [r.target for r in server.log if r.path != "/robots.txt" and r.path not in lists and not _is_list(r.target)]


def _is_list(target: str) -> bool:
    return any(marker in target for marker in ("/gkmlpt/index", "/gkmlpt/api/", "dataproxy.jsp", "/index", "zuixin"))


def by_path(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Records keyed by URL path (ports differ between servers)."""
    from urllib.parse import urlsplit

    return {urlsplit(item["url"]).path: item for item in items}
