"""One way for tests to write an eduwatch configuration: ``config_toml`` (text) and ``config_file``.

Why: test modules of the CLI, the status view, the alerts commands and the config schema each
wrote the same few portals into nearly the same TOML by hand. Here a test names the portals it
wants (from :data:`PORTALS`, changed with :func:`portal` where it needs to) and adds the tables
of its own subject as text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Mapping

import pytest

# Real portals the tests know by name: a config names them, the store fills them.
PORTALS: dict[str, dict[str, Any]] = {
    "huilai": {"title": "惠来县人民政府", "region": "广东省揭阳市惠来县", "platform": "gkmlpt",
               "base_url": "http://www.huilai.gov.cn"},
    "jieyang": {"title": "揭阳市人民政府", "region": "广东省揭阳市", "platform": "gkmlpt",
                "base_url": "http://www.jieyang.gov.cn"},
    "qingdao-edu": {"title": "青岛市教育局", "region": "山东省青岛市", "platform": "trs",
                    "base_url": "http://edu.qingdao.gov.cn",
                    "list_urls": ["http://edu.qingdao.gov.cn/zwgk/xxgk/jyj/gkml/gwfg/index.shtml"]},
}
HEADER = "# eduwatch test configuration"  # line 1: messages' line numbers count from it

ConfigFile = Callable[..., Path]


def portal(name: str, **changes: Any) -> dict[str, Any]:
    """The ``[[portals]]`` keys of the known portal ``name``, with ``changes`` applied."""
    return {"name": name, **PORTALS[name], **changes}


def config_toml(*portals: str | Mapping[str, Any], database_url: str | None = None,
                crawl: Mapping[str, Any] | None = None, tables: str = "") -> str:
    """TOML: ``[database]`` (if a URL is given), ``[crawl]`` (if given), the portals, then ``tables``."""
    lines = [HEADER]
    if database_url is not None:
        lines += ["[database]", f"url = {_value(database_url)}"]
    if crawl is not None:
        lines += ["[crawl]", *_keys(crawl)]
    for entry in portals:
        lines += ["[[portals]]", *_keys(portal(entry) if isinstance(entry, str) else entry)]
    return "\n".join(lines) + "\n" + tables


def _keys(table: Mapping[str, Any]) -> list[str]:
    return [f"{key} = {_value(value)}" for key, value in table.items()]


def _value(value: Any) -> str:
    # JSON's strings, numbers, booleans and lists are TOML's too (ensure_ascii=False keeps 中文 readable)
    return json.dumps(value, ensure_ascii=False)


@pytest.fixture
def config_file(tmp_path: Path, sqlite_url: str) -> ConfigFile:
    """Writes :func:`config_toml` to ``tmp_path / name``; the database is ``sqlite_url`` unless given."""

    def write(*portals: str | Mapping[str, Any], name: str = "eduwatch.toml", **options: Any) -> Path:
        options.setdefault("database_url", sqlite_url)
        path = tmp_path / name
        path.write_text(config_toml(*portals, **options), encoding="utf-8")
        return path

    return write
