"""ListPages: how every family asks for list pages and turns their entries into detail requests.

A mixin of :class:`crawler.spiders.base.PortalSpider`, apart so the spider's module stays about
stringing the pieces together. It relies on the spider's ``walk`` (:class:`ListWalk`), ``book``
(:class:`crawler.run_book.RunBook`), ``store``, ``run_id``, ``full`` and ``max_list_pages``.
"""

from __future__ import annotations

import json
from typing import Any

from scrapy import Request
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.blocking import PortalBlocked
from crawler.decoding import decode_page
from crawler.incremental import LIST_PAGE, Verdict, list_request_headers
from crawler.spiders.failures import failure_reason
from crawler.spiders.records import BrokenPage
from crawler.spiders.truncation import list_truncation
from storage.records import ListEntry


class ListPages:
    def list_request(
        self,
        url: str,
        callback: Any,
        *,
        list_key: str,
        method: str = "GET",
        body: str | bytes | None = None,
        headers: dict[str, str] | None = None,
        cb_kwargs: dict[str, Any] | None = None,
    ) -> Request:
        """A list page: cached and revalidated (304 = nothing new), errors count as list failures."""
        all_headers = list_request_headers(self.full)
        all_headers.update(headers or {})
        return Request(
            url,
            callback=callback,
            errback=self.list_failed,
            method=method,
            body=body,
            headers=all_headers,
            meta={LIST_PAGE: True, "list_key": list_key},
            cb_kwargs=cb_kwargs or {},
            dont_filter=True,
        )

    def take_entries(
        self, entries: list[ListEntry], list_key: str, extras: dict[str, dict[str, Any]] | None = None
    ) -> tuple[list[Request], bool]:
        """Detail requests this list page calls for, and whether to page on.

        Lists are newest first, so the next page can only hold something new when this page's
        last (oldest) entry is new or changed; a new entry above a known one is fetched, but
        the walk stops here. Known entries are reported to the store as still listed; with
        ``--full`` every entry is refetched and paging goes on to the end. A page that only
        repeats what this list already showed in this run is never "new" (paging on would
        loop); the family can ask ``self.walk.repeated(list_key)`` to treat it as the list's end.
        """
        new_here = self.walk.observe(list_key, entries)
        requests: list[Request] = []
        listed_known: list[ListEntry] = []
        fresh = False  # is the page's last (oldest) entry new or changed?
        for entry in entries:
            verdict = self.walk.verdict(entry)
            fresh = verdict.fresh
            if verdict is not Verdict.NEW:
                listed_known.append(entry)
            if verdict is Verdict.KNOWN or entry.url in self._requested:
                continue
            self._requested.add(entry.url)
            requests.append(self.detail_request(entry, verdict, (extras or {}).get(entry.url, {})))
        if listed_known and self.store is not None and self.run_id is not None:
            self.store.mark_listed(self.run_id, self.portal, listed_known)
        page_on = bool(new_here) and (fresh or self.full or self.walk.deep)
        if page_on and self.walk.pages(list_key) >= self.max_list_pages and list_key not in self.book.capped_lists:
            # Every family stops paging here (page N < max_list_pages); unless this page turns
            # out to be the list's last, the run's reason says the walk was cut short. A list
            # that never pages (a feed) must be ended by its family, or it would count as cut.
            self.book.capped_lists.append(list_key)
        return requests, page_on

    def list_ended(self, list_key: str, *, complete: bool = True) -> None:
        """The list was walked to its last page: every known URL of it not seen is gone from it
        — unless ``complete=False`` (the list is a recent window: older documents are out of view)."""
        self.walk.reached_end(list_key, complete=complete)

    def list_failed(self, failure: Failure) -> None:
        if failure.check(PortalBlocked):
            return
        self.book.list_failed(failure.request.url, failure_reason(failure))  # type: ignore[attr-defined]

    def list_text(self, response: Response, *, expect: str = "html") -> str:
        """Decoded text of a list page; raises BrokenPage when it is cut off or not what it claims."""
        text = decode_page(response.body, response.headers.get("Content-Type", b"").decode("latin-1")).text
        if expect == "json":
            try:
                json.loads(text)
            except ValueError as exc:
                raise BrokenPage(f"list page is not valid JSON ({exc})") from None
        elif expect == "html":
            cut = list_truncation(text)
            if cut:
                raise BrokenPage(cut)
        return text

    def broken_list(self, response: Response, exc: Exception) -> None:
        self.book.list_failed(response.url, str(exc))

