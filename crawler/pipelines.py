"""StorePipeline: DocumentRecords go to the store in small batches.

Identity (is this a repost? a revision?) is the store's decision; the pipeline only hands
records over and tallies the outcomes for the run's log line. A record the store refuses is
an error on that URL, never the end of the crawl.

Why batches: one transaction per document cost ~2.5 ms on the reactor thread, a large part
of a page's CPU. :meth:`Store.save_documents` saves a batch in one transaction (still
all-or-nothing per document) several times faster. Items wait in a buffer until it holds
``STORE_BATCH_SIZE`` records, its oldest record has waited ``STORE_BATCH_SECONDS`` (checked
on every item and by a timer, so a slow crawl does not hold them), or the spider closes —
Scrapy closes spiders gracefully on SIGTERM, so a stopped crawl flushes too. A crawl killed
outright loses at most the buffer: those pages are not stored, so they are new again next run.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any, Protocol, Sequence

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.asyncio import create_looping_call

from storage.records import DocumentRecord, FetchError
from storage.runs import STORE_REFUSED
from storage.store import SaveResult, Store

log = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, crawler: Crawler, batch_size: int = 20, max_wait: float = 2.0) -> None:
        self.crawler = crawler
        self.batch_size = max(1, batch_size)
        self.max_wait = max_wait
        self.outcomes: Counter[str] = Counter()
        self.buffer: list[DocumentRecord] = []
        self._oldest: float | None = None  # time.monotonic() when the buffer's first record came
        self._timer: Any = None
        self._pages_counted = 0  # pages already added to the run's row (a killed run keeps them)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "StorePipeline":
        return cls(
            crawler,
            batch_size=crawler.settings.getint("STORE_BATCH_SIZE", 20),
            max_wait=crawler.settings.getfloat("STORE_BATCH_SECONDS", 2.0),
        )

    def open_spider(self) -> None:
        if self.max_wait > 0:
            self._timer = create_looping_call(self.flush_stale)
            self._timer.start(max(0.1, self.max_wait / 2), now=False)

    def process_item(self, item: Any) -> Any:
        spider = self.crawler.spider
        if not isinstance(item, DocumentRecord):
            return item
        if getattr(spider, "store", None) is None or getattr(spider, "run_id", None) is None:
            raise DropItem(f"{item.url}: spider has no store/run to save into")
        if not self.buffer:
            self._oldest = time.monotonic()
        self.buffer.append(item)
        if len(self.buffer) >= self.batch_size:
            self.flush()
        else:
            self.flush_stale()
        return item

    def flush_stale(self) -> None:
        """Flush when the oldest buffered record has waited ``max_wait`` seconds."""
        if self.buffer and self._oldest is not None and time.monotonic() - self._oldest >= self.max_wait:
            self.flush()

    def flush(self) -> None:
        """Save the buffer in one transaction (:meth:`Store.save_documents_each`); a record the
        store refuses costs only itself and is a FetchError on the spider."""
        if not self.buffer:
            return
        batch, self.buffer, self._oldest = self.buffer, [], None
        spider = self.crawler.spider
        pages = getattr(spider, "pages_fetched", 0)
        results = save_records(spider.store, batch, spider.run_id, spider, pages=pages - self._pages_counted)
        self._pages_counted = pages
        for result in results:
            if result is not None:
                self.outcomes[result.outcome] += 1
        freshness = getattr(spider, "freshness", None)
        if freshness is not None:  # each stored page was just checked: its next check follows
            freshness.saved(batch, [result.outcome if result is not None else None for result in results])

    def close_spider(self) -> None:
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        self.flush()
        spider = self.crawler.spider
        if self.outcomes:
            log.info("%s: saved %s", getattr(spider, "portal", spider.name), dict(self.outcomes))


class RunLedger(Protocol):
    """Where saving notes its outcomes: a RunBook, or anything with ``errors`` and ``saved``."""

    errors: list[FetchError]
    saved: Counter[str]


def save_records(store: Store, records: Sequence[DocumentRecord], run_id: int,
                 ledger: RunLedger, *, pages: int = 0) -> list[SaveResult | None]:
    """Save ``records`` into run ``run_id`` (one transaction, all-or-nothing per document).

    A record the store refuses costs only itself: it is a FetchError in ``ledger`` (the run
    lists it) and None in the result. The pipeline and distributed workers both save here.
    """
    results: list[SaveResult | None] = []
    for record, result in zip(records, store.save_documents_each(records, run_id, pages=pages)):
        if isinstance(result, Exception):  # a bad record must not stop the crawl; the run lists it
            log.error("could not save %s: %s: %s", record.url, type(result).__name__, result)
            ledger.errors.append(FetchError(record.url, f"{STORE_REFUSED}: {type(result).__name__}: {result}"))
            results.append(None)
            continue
        ledger.saved[result.outcome] += 1
        results.append(result)
    return results
