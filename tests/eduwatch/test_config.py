"""The configuration schema: defaults, the contract keys, and errors that point at the bad line."""

from __future__ import annotations

from pathlib import Path

import pytest

from eduwatch.config import ConfigError, load_config, load_config_once, parse_config, parse_schedule
from tests.config_fixtures import config_toml, portal

# Line numbers in the messages below count from config_toml's header comment (line 1).
GOOD = config_toml(
    "huilai",
    portal("qingdao-edu", schedule="every 2h"),
    database_url="sqlite:////tmp/x.db",
    crawl={"delay": 0.5, "concurrency_per_host": 1, "timeout": 30, "retries": 2, "obey_robots": True},
)


def test_builtin_default_lists_the_real_portals() -> None:
    config = load_config(None)
    assert {p.name for p in config.portals} >= {"huilai", "longchuan", "huantai", "qingdao-edu", "govcn"}
    assert config.database.url.startswith("sqlite:///") and config.database.url.endswith("eduwatch.db")
    assert {p.platform for p in config.portals} >= {"gkmlpt", "trs", "govcn"}


def test_contract_keys_parse() -> None:
    config = parse_config(GOOD, "good.toml")
    assert config.crawl.delay == 0.5 and config.crawl.obey_robots is True
    assert config.portal("qingdao-edu").list_urls == ("http://edu.qingdao.gov.cn/zwgk/xxgk/jyj/gkml/gwfg/index.shtml",)
    assert config.portal("huilai").region == "广东省揭阳市惠来县"


@pytest.mark.parametrize(
    ("replace", "with_", "expected"),
    [
        ('platform = "gkmlpt"', 'platform = "wordpress"', "good.toml:14: [portals[huilai]] platform: 'wordpress' is not one of"),
        ("delay = 0.5", 'delay = "fast"', "good.toml:5: [crawl] delay: expected a number"),
        ("retries = 2", "retires = 2", "good.toml:8: [crawl] retires: unknown key"),
        ('base_url = "http://www.huilai.gov.cn"', 'base_url = "www.huilai.gov.cn"', "[portals[huilai]] base_url: 'www.huilai.gov.cn' is not an http(s) URL"),
        ('schedule = "every 2h"', 'schedule = "sometimes"', "[portals[qingdao-edu]] schedule:"),
        ('name = "qingdao-edu"', 'name = "huilai"', "duplicate portal name 'huilai'"),
        ("retries = 2", "robots_cache_hours = 48", "good.toml:8: [crawl] robots_cache_hours: 48 is out of range"),
    ],
)
def test_bad_values_name_file_portal_and_key(replace: str, with_: str, expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(GOOD.replace(replace, with_, 1) if "qingdao" not in replace else _replace_last(GOOD, replace, with_), "good.toml")
    assert expected in str(error.value)


def _replace_last(text: str, old: str, new: str) -> str:
    head, _, tail = text.rpartition(old)
    return head + new + tail


def test_list_urls_required_for_list_platforms() -> None:
    broken = GOOD.replace('list_urls = ["http://edu.qingdao.gov.cn/zwgk/xxgk/jyj/gkml/gwfg/index.shtml"]\n', "")
    with pytest.raises(ConfigError, match=r"\[portals\[qingdao-edu\]\] list_urls: required for platform 'trs'"):
        parse_config(broken, "good.toml")


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_config("[crawl\n", "bad.toml")
    with pytest.raises(ConfigError, match="cannot read the configuration"):
        load_config(tmp_path / "missing.toml")


def test_environment_variable_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "eduwatch.toml"
    path.write_text(GOOD, encoding="utf-8")
    monkeypatch.setenv("EDUWATCH_CONFIG", str(path))
    assert load_config(None).source == str(path)


def test_load_config_once_parses_a_file_once_and_sees_edits(tmp_path: Path) -> None:
    path = tmp_path / "eduwatch.toml"
    path.write_text(GOOD, encoding="utf-8")
    first = load_config_once(path)
    assert load_config_once(str(path)) is first  # same contents: the parsed Config is shared
    path.write_text(GOOD.replace("delay = 0.5", "delay = 3.0"), encoding="utf-8")
    edited = load_config_once(path)
    assert edited is not first and edited.crawl.delay == 3.0
    other = tmp_path / "other.toml"
    other.write_text(GOOD, encoding="utf-8")
    assert load_config_once(other).source == str(other)  # another file is its own config
    path.write_text("[crawl\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config_once(path)


def test_subscriber_needs_a_channel() -> None:
    text = GOOD + '\n[[subscribers]]\nname = "规划科"\nregions = ["广东省"]\n'
    with pytest.raises(ConfigError, match=r"\[subscribers\[规划科\]\] email: a subscriber needs an email, a wecom_webhook or apprise URLs"):
        parse_config(text, "good.toml")


def test_schedules() -> None:
    assert parse_schedule("every 2h") == ("interval", 7200.0)
    assert parse_schedule("every 10s") == ("interval", 10.0)
    assert parse_schedule("15 */3 * * *") == ("cron", "15 */3 * * *")
    with pytest.raises(ValueError):
        parse_schedule("hourly")


@pytest.mark.parametrize(
    ("subscribers", "expected"),
    [
        ('[[subscribers]]\nname = "a"\nemail = "x@y.org"\n[[subscribers]]\nname = "a"\nemail = "z@y.org"\n',
         "[subscribers[a]] name: duplicate subscriber name 'a'"),
        ('[[subscribers]]\nname = "a"\nemail = "not-an-email"\n', "'not-an-email' is not an e-mail address"),
        ('[[subscribers]]\nname = "a"\nwecom_webhook = "http://evil.example/send?key=1"\n',
         "wecom_webhook: a WeCom webhook must be an https:// URL"),
    ],
)
def test_subscriber_mistakes_are_caught_at_load(subscribers: str, expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(GOOD + subscribers, "good.toml")
    assert expected in str(error.value)
    assert "key=1" not in str(error.value)  # a webhook key is a secret, even in an error


def test_missing_key_points_at_the_tables_name_line() -> None:
    broken = GOOD.replace('list_urls = ["http://edu.qingdao.gov.cn/zwgk/xxgk/jyj/gkml/gwfg/index.shtml"]\n', "")
    with pytest.raises(ConfigError, match=r"^good\.toml:17: \[portals\[qingdao-edu\]\] list_urls"):
        parse_config(broken, "good.toml")
