"""FreshnessSteps: the spider's share of the freshness policy, apart from PortalSpider's core.

Why a mixin: :class:`crawler.spiders.base.PortalSpider` strings together the crawl's pieces;
these steps only translate its events into :class:`crawler.revisits.RunFreshness` calls (due
revisits no list page showed, a failed page stored incomplete, a run that was a deep walk), so
they live here and the spider stays one screenful per job.
"""

from __future__ import annotations

from typing import Any, Callable

from scrapy import Request

from crawler.incremental import ListWalk, Verdict
from crawler.revisits import RunFreshness
from crawler.run_book import RunBook
from crawler.spiders.incomplete import incomplete_record
from storage.records import DocumentRecord, ListEntry


class FreshnessSteps:
    """Mixed into PortalSpider (which provides these attributes and ``detail_request``)."""

    portal: str
    walk: ListWalk
    book: RunBook
    freshness: RunFreshness
    blocked_reason: str | None
    _requested: set[str]
    _failed_before: set[str]
    detail_request: Callable[[ListEntry, Verdict, dict[str, Any]], Request]

    def incomplete(self, entry: ListEntry, meta: dict[str, Any], reason: str) -> list[DocumentRecord]:
        """A page that failed: a new one failing for the second run running is stored from its list
        entry (crawler.spiders.incomplete); a stored incomplete one backs off further."""
        if meta.get("verdict") != Verdict.NEW.value:
            self.freshness.failed(entry.url, reason)
            return []
        if entry.url not in self._failed_before:
            return []
        record = incomplete_record(self.portal, entry, reason)
        return [record] if record is not None else []

    def revisit_request(self, url: str) -> Request:
        """A due revisit of a known page no list page of this run showed (the walk stopped above it)."""
        known = self.walk.known[url]
        self._requested.add(url)
        entry = ListEntry(url, known.list_title, known.list_date, state=known.list_state)
        return self.detail_request(entry, Verdict.REVISIT, {})

    def walked_to_end(self, close_reason: str) -> bool:
        """Did every list reach its end (or the operator's page cap) with nothing failing? Then
        this run was a deep walk: whatever a list did not show is not on the portal's lists."""
        coverage = self.walk.coverage
        return (close_reason == "finished" and not self.book.list_failures and not self.blocked_reason
                and bool(coverage) and all(self.walk.ended(key) or key in self.book.capped_lists for key in coverage))
