"""The platform registry is the one list of portal families: spiders and local families agree with it."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

import localportals.families
from crawler.spiders import spider_for
from eduwatch.config import ConfigError, parse_config
from eduwatch.platforms import PLATFORM_NAMES, PLATFORMS
from localportals.families import family_for


@pytest.mark.parametrize("name", PLATFORM_NAMES)
def test_each_platform_has_its_spider_and_its_local_family(name: str) -> None:
    spider = spider_for(name)
    assert spider.name == name == spider.platform
    assert family_for(name).name == name


def test_scrapy_finds_exactly_the_registered_spiders() -> None:
    """A spider module added without a registry entry (or the reverse) is caught here."""
    loader = SpiderLoader.from_settings(Settings({"SPIDER_MODULES": ["crawler.spiders"]}))
    assert sorted(loader.list()) == sorted(PLATFORM_NAMES)
    assert all(loader.load(name) is spider_for(name) for name in PLATFORM_NAMES)


def test_local_family_modules_are_the_platforms() -> None:
    folder = Path(localportals.families.__file__).parent
    modules = {path.stem for path in folder.glob("*.py") if path.stem != "__init__"}
    assert modules == set(PLATFORM_NAMES)


def _portal(platform: str, **keys: str) -> str:
    lines = ["[[portals]]", 'name = "p"', f'platform = "{platform}"']
    return "\n".join(lines + [f"{key} = {value}" for key, value in keys.items()]) + "\n"


@pytest.mark.parametrize("name", PLATFORM_NAMES)
def test_config_asks_each_platform_for_what_it_needs(name: str) -> None:
    platform = PLATFORMS[name]
    complete = {"base_url": '"http://www.p.gov.cn"', "list_urls": '["http://www.p.gov.cn/col/1/index.html"]',
                "detail_pattern": '"/art/"'}
    assert parse_config(_portal(name, **complete)).portal("p").platform == name
    needs = {"base_url": platform.needs_base_url, "list_urls": platform.needs_list_urls,
             "detail_pattern": platform.needs_detail_pattern}
    for key, needed in needs.items():
        partial = {k: v for k, v in complete.items() if k != key}
        if needed:
            with pytest.raises(ConfigError, match=rf"\[portals\[p\]\] {key}: "):
                parse_config(_portal(name, **partial))
        else:
            parse_config(_portal(name, **partial))
