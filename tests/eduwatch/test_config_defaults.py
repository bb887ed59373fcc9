"""Defaults are derived, not demanded: the README's example, a minimal config and the built-in
default all load, and the README and the built-in default stay in step with the schema."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from eduwatch.config import DEFAULT_CONFIG, Config, ConfigError, PortalConfig, SubscriberConfig, parse_config
from eduwatch.config_reader import keys_of, table_path

README = Path(__file__).resolve().parents[2] / "README.md"
MINIMAL = """
[[portals]]
name = "xixian"
platform = "hanweb"
list_urls = ["https://www.xixian.gov.cn/col/col1524/index.html"]
"""


def _reference_block() -> str:
    """The TOML block of the README's configuration reference, as a user would copy it."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Configuration reference"):]
    return re.search(r"```toml\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]


def _schema_tables() -> dict[str, type]:
    """TOML table name -> the dataclass its keys belong to."""
    tables: dict[str, type] = {"portals": PortalConfig, "subscribers": SubscriberConfig}
    for field in Config.__dataclass_fields__.values():
        path = table_path(field)
        if path and path not in tables:
            tables[path] = field.default_factory  # type: ignore[assignment]
    return tables


def test_the_readme_reference_loads_as_written() -> None:
    config = parse_config(_reference_block(), "README.md")
    assert config.portal("huilai").base_url == "http://www.huilai.gov.cn"
    assert config.subscribers[0].events == ("new_plan", "plan_revised", "plan_abolished", "plan_withdrawn")
    assert config.email.from_addr == "eduwatch@example.org"


def test_the_readme_reference_names_every_key_of_the_schema() -> None:
    documented: dict[str, set[str]] = {}
    table = ""
    for line in _reference_block().splitlines():
        header = re.match(r"^\[\[?([a-z.]+)\]\]?", line)
        key = re.match(r"^#?\s*([a-z_]+)\s*=", line)
        if header:
            table = header.group(1)
        elif key:
            documented.setdefault(table, set()).add(key.group(1))
    assert documented == {name: set(keys_of(cls)) for name, cls in _schema_tables().items()}


def test_a_minimal_config_derives_the_rest() -> None:
    config = parse_config(MINIMAL, "minimal.toml")
    [portal] = config.portals
    assert (portal.title, portal.region) == ("xixian", "")
    assert portal.base_url == "https://www.xixian.gov.cn"  # the origin of the first list URL
    assert config.database.url.startswith("sqlite:///") and config.subscribers == ()


def test_gkmlpt_still_needs_its_base_url() -> None:
    gkmlpt = '[[portals]]\nname = "huilai"\nplatform = "gkmlpt"\n'
    with pytest.raises(ConfigError, match=r"^gk\.toml:2: \[portals\[huilai\]\] base_url: required for platform 'gkmlpt'"):
        parse_config(gkmlpt, "gk.toml")
    explicit = parse_config(MINIMAL.replace("[[portals]]", '[[portals]]\nbase_url = "http://other.gov.cn/x"'))
    assert explicit.portals[0].base_url == "http://other.gov.cn/x"  # given: kept as written


def test_the_builtin_default_holds_no_key_that_restates_a_default() -> None:
    """Each key line of the built-in default changes the loaded config (or is required)."""
    lines = DEFAULT_CONFIG.read_text(encoding="utf-8").splitlines()
    full = parse_config("\n".join(lines))
    for number, line in enumerate(lines):
        if not re.match(r"^[a-z_]+\s*=", line):
            continue
        try:
            without = parse_config("\n".join(lines[:number] + lines[number + 1:]))
        except ConfigError:
            continue  # a required key
        assert without != full, f"default_config.toml:{number + 1} restates a default: {line}"
