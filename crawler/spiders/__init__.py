"""One spider per CMS family; ``name`` is the platform a portal's config names.

``scrapy crawl gkmlpt -a portal=huilai`` and ``python -m crawler.run huilai`` both end up
here; :data:`SPIDERS` maps a platform to its spider class for the runner.
"""

from __future__ import annotations

import importlib

PLATFORM_MODULES = {
    "gkmlpt": "crawler.spiders.gkmlpt:GkmlptSpider",
    "hanweb": "crawler.spiders.hanweb:HanwebSpider",
    "trs": "crawler.spiders.trs:TrsSpider",
    "govcn": "crawler.spiders.govcn:GovcnSpider",
    "generic": "crawler.spiders.generic:GenericSpider",
}


def spider_for(platform: str) -> type:
    """The spider class for ``platform`` (imported on demand)."""
    module, _, name = PLATFORM_MODULES[platform].partition(":")
    return getattr(importlib.import_module(module), name)
