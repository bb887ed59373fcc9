"""The portal families (platforms) eduwatch crawls: the one registry a new family is added to.

Why here, on the floor every package imports: the configuration checks a portal's platform
and the keys it needs, the crawler picks the platform's spider, and the local test portals
(:mod:`localportals.families`) render one family per platform. Each reads this registry
instead of keeping its own list. Adding a family is: one :class:`Platform` entry here, its
spider module (named by ``spider``), and its local family ``localportals.families.<name>``;
``tests/eduwatch/test_platforms.py`` checks that the three agree.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Platform:
    """One portal family and what a ``[[portals]]`` entry of that family must say."""

    name: str
    # Scrapy-style dotted path of its spider, loaded by crawler.spiders.spider_for: a string,
    # because eduwatch sits below the crawler and never imports it.
    spider: str
    needs_base_url: bool = False  # the site is found from base_url, not from a list URL
    needs_list_urls: bool = True  # the crawl starts from the column's first list page(s)
    needs_detail_pattern: bool = False  # document links are told apart by a regex, not by markup


PLATFORMS: dict[str, Platform] = {
    platform.name: platform
    for platform in (
        # gkmlpt: the category tree comes from /gkmlpt/ under base_url (which may have a path prefix)
        Platform("gkmlpt", "crawler.spiders.gkmlpt.GkmlptSpider", needs_base_url=True, needs_list_urls=False),
        Platform("hanweb", "crawler.spiders.hanweb.HanwebSpider"),
        Platform("trs", "crawler.spiders.trs.TrsSpider"),
        Platform("govcn", "crawler.spiders.govcn.GovcnSpider"),
        Platform("generic", "crawler.spiders.generic.GenericSpider", needs_detail_pattern=True),
    )
}
PLATFORM_NAMES = tuple(PLATFORMS)
