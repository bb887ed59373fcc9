"""The platform registry is the one list of portal families: spiders and local families agree with it."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

import localportals.families
from crawler.spiders import spider_for
from eduwatch.platforms import PLATFORM_NAMES
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
