"""Garbage-collector settings for a crawl process.

A crawl process imports Scrapy, Twisted, SQLAlchemy and lxml before its first request: a few
hundred thousand objects that live until the process exits. CPython's full collections walk
all of them again and again, and each page (request, response, tree proxies, ORM rows)
allocates enough to trigger a young collection about once per page. Measured on a 2,000-page
crawl: ~12% of the crawl's CPU went to the collector, most of it in full collections of that
start-up heap, which can never be garbage.
"""

from __future__ import annotations

import gc

# Young collections every 10,000 net container allocations instead of 700: a page's garbage is
# freed by reference counting long before; only true cycles (Twisted failures, tracebacks)
# wait for the collector, and 10,000 objects of them are a few megabytes at most.
YOUNG_THRESHOLD = 10_000


def freeze_startup_heap() -> None:
    """Keep everything alive now out of future collections; collect less often from here on.

    Call once, after imports and set-up and before the reactor starts. Objects created later
    are collected as usual; the frozen ones are simply never scanned (``gc.freeze``, made for
    exactly this: long-lived processes whose start-up heap is permanent).
    """
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
