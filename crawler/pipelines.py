"""StorePipeline: each DocumentRecord goes to the store in its own transaction.

Identity (is this a repost? a revision?) is the store's decision; the pipeline only hands
records over and tallies the outcomes for the run's log line. A record the store refuses is
an error on that URL, never the end of the crawl.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from storage.records import DocumentRecord, FetchError

log = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.outcomes: Counter[str] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "StorePipeline":
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        spider = self.crawler.spider
        if not isinstance(item, DocumentRecord):
            return item
        store = getattr(spider, "store", None)
        run_id = getattr(spider, "run_id", None)
        if store is None or run_id is None:
            raise DropItem(f"{item.url}: spider has no store/run to save into")
        try:
            result = store.save_document(item, run_id)
        except Exception as exc:  # a bad record must not stop the crawl; the run lists it
            log.exception("could not save %s", item.url)
            spider.errors.append(FetchError(item.url, f"store refused the document: {type(exc).__name__}: {exc}"))
            raise DropItem(f"{item.url}: {exc}") from exc
        self.outcomes[result.outcome] += 1
        spider.saved[result.outcome] += 1
        return item

    def close_spider(self) -> None:
        spider = self.crawler.spider
        if self.outcomes:
            log.info("%s: saved %s", getattr(spider, "portal", spider.name), dict(self.outcomes))
