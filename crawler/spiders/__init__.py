"""One spider per CMS family; ``name`` is the platform a portal's config names.

``scrapy crawl gkmlpt -a portal=huilai`` and ``python -m crawler.run huilai`` both end up
here. Which spider serves which platform is declared once, in :mod:`eduwatch.platforms`
(a Scrapy-style dotted path per platform); :func:`spider_for` loads it on demand, so a crawl
child imports only the spiders its portals use.
"""

from __future__ import annotations

from scrapy.utils.misc import load_object

from eduwatch.platforms import PLATFORMS

# platform -> dotted path of its spider (derived, for callers that list the spiders)
PLATFORM_MODULES = {name: platform.spider for name, platform in PLATFORMS.items()}


def spider_for(platform: str) -> type:
    """The spider class for ``platform`` (imported on demand)."""
    return load_object(PLATFORMS[platform].spider)
