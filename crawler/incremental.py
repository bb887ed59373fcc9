"""Incremental crawling: fetch only what is new, and notice what has gone.

A re-crawl of an unchanged portal must cost its list pages and nothing else. Three parts:

* :class:`ListPagePolicy` — the HTTP cache policy that keeps list pages only, so a list
  request sent with ``Cache-Control: max-age=0`` becomes a conditional GET (a 304 hands back
  the stored body, flagged ``"cached"``) while detail pages are never served from disk.
* :class:`ListWalk` — decides, entry by entry, what a list page asks of us: a new or changed
  entry needs its detail page, an unchanged one only needs ``mark_listed``; a page with
  nothing new ends that list's walk.
* Withdrawal probes — known sources missing from the lists, inside the range the walk
  covered, are re-requested once so a 404 can count towards "withdrawn".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Iterable

from scrapy import Request
from scrapy.extensions.httpcache import RFC2616Policy
from scrapy.http import Response

from crawler.normalize.dates import parse_date
from storage.records import ListEntry

LIST_PAGE = "list_page"  # Request.meta flag: this request is a list page (cache + conditional)


class ListPagePolicy(RFC2616Policy):
    """RFC 2616 caching for list pages only; everything else goes straight to the server."""

    def should_cache_request(self, request: Request) -> bool:
        return bool(request.meta.get(LIST_PAGE)) and super().should_cache_request(request)

    def should_cache_response(self, response: Response, request: Request) -> bool:
        return bool(request.meta.get(LIST_PAGE)) and super().should_cache_response(response, request)


def list_request_headers(full: bool) -> dict[str, str]:
    """``max-age=0``: always ask the server, conditionally; ``no-cache`` (--full): fetch it all."""
    return {"Cache-Control": "no-cache" if full else "max-age=0"}


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


class Verdict(Enum):
    NEW = "new"  # never seen: fetch the detail page
    CHANGED = "changed"  # known, but the list shows another title or date: fetch again
    REFETCH = "refetch"  # known and unchanged, but --full asks for everything
    REVISIT = "revisit"  # known, unchanged, due for a conditional GET (crawler.freshness chose it)
    KNOWN = "known"  # known and unchanged: nothing to fetch

    @property
    def fresh(self) -> bool:
        """Does this entry count as 'something new' for the decision to page on?"""
        return self in (Verdict.NEW, Verdict.CHANGED)


@dataclass
class ListCoverage:
    """How far one list was walked in this run (shared between workers in distributed mode)."""

    oldest: date | None = None
    exhausted: bool = False  # the list was walked to its last page and that page was its real end
    window: bool = False  # the list ended, but shows only a recent window of the portal's documents
    repeated: bool = False  # a page brought only entries this list had already shown this run
    pages: int = 0  # list pages observed this run (the [crawl] max_list_pages cap counts these)
    urls: set[str] = field(default_factory=set)


@dataclass
class ListWalk:
    """What one crawl of one portal has seen on its lists, and what it should fetch."""

    known: dict  # url -> storage.store.KnownSource
    full: bool = False
    # Known URLs due for a conditional revisit this run (crawler.freshness.plan_revisits).
    revisit: frozenset[str] = frozenset()
    # A deep walk: every list is paged to its end, so a back-dated entry deep in a list is found.
    deep: bool = False
    seen: set[str] = field(default_factory=set)
    coverage: dict[str, ListCoverage] = field(default_factory=dict)

    def verdict(self, entry: ListEntry) -> Verdict:
        known = self.known.get(entry.url)
        if known is None:
            return Verdict.NEW
        if (
            _differs(entry.title, known.list_title)
            or _differs(entry.date, known.list_date)
            or _differs(entry.state, known.list_state)
        ):
            return Verdict.CHANGED
        if self.full:
            return Verdict.REFETCH
        if entry.url in self.revisit:
            return Verdict.REVISIT
        return Verdict.KNOWN

    def observe(self, list_key: str, entries: Iterable[ListEntry]) -> int:
        """Record the entries of one list page: they are listed, and extend the walked range.

        Returns how many of them this list had not shown before in this run. A page of
        nothing but repeats (a server that answers the last page again past the end, or
        page 0 and page 1 alike) sets ``repeated``: paging on would loop.
        """
        cover = self.coverage.setdefault(list_key, ListCoverage())
        cover.pages += 1
        shown = 0
        new_here = 0
        for entry in entries:
            shown += 1
            self.seen.add(entry.url)
            if entry.url not in cover.urls:
                cover.urls.add(entry.url)
                new_here += 1
            day = list_day(entry.date)
            if day is not None and (cover.oldest is None or day < cover.oldest):
                cover.oldest = day
        if shown and not new_here:
            cover.repeated = True
        return new_here

    def repeated(self, list_key: str) -> bool:
        cover = self.coverage.get(list_key)
        return bool(cover and cover.repeated)

    def pages(self, list_key: str) -> int:
        """List pages of this list observed in this run."""
        cover = self.coverage.get(list_key)
        return cover.pages if cover else 0

    def ended(self, list_key: str) -> bool:
        """Did this list reach its end (its real last page, or the end of its recent window)?"""
        cover = self.coverage.get(list_key)
        return bool(cover and (cover.exhausted or cover.window))

    def listed_count(self, list_key: str) -> int:
        """Distinct entries this list has shown in this run."""
        cover = self.coverage.get(list_key)
        return len(cover.urls) if cover else 0

    def reached_end(self, list_key: str, *, complete: bool = True) -> None:
        """The list has no more pages. ``complete=False``: it ended short of what the portal
        says it holds (an API that exposes only a recent window), so it vouches only for the
        range it showed — what is older is out of view, not gone.
        """
        cover = self.coverage.setdefault(list_key, ListCoverage())
        if complete:
            cover.exhausted = True
        else:
            cover.window = True

    def probe_candidates(self) -> list[str]:
        """Known URLs missing from every list this run, yet inside the range every list covered.

        A list stopped early, or one that ended but is only a recent window of the portal,
        only vouches for entries at least as recent as its oldest entry; with several lists
        the safe bound is the most recent of those oldest dates. When every list was walked
        to its real end, any known URL not seen is a candidate.
        """
        if not self.coverage:
            return []
        open_lists = [c for c in self.coverage.values() if not c.exhausted]
        if any(c.oldest is None for c in open_lists):
            return []  # a list stopped without dated entries vouches for nothing
        bound = max((c.oldest for c in open_lists), default=None)  # type: ignore[type-var]
        candidates = []
        for url, known in self.known.items():
            if url in self.seen:
                continue
            if bound is None:
                candidates.append(url)
                continue
            day = list_day(known.list_date)
            if day is not None and day >= bound:
                candidates.append(url)
        return sorted(candidates)


def _differs(listed: str | None, stored: str | None) -> bool:
    """A list that shows no title/date says nothing about a change."""
    if listed is None:
        return False
    return listed.strip() != (stored or "").strip()


def list_day(text: str | None) -> date | None:
    """The date a list printed, or None when it printed none (or none that parses)."""
    if not text:
        return None
    try:
        return parse_date(text)
    except (ValueError, TypeError):
        return None
