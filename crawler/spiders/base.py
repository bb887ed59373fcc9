"""PortalSpider: the crawl of one portal, as every family does it.

A family spider only knows its portal's layout: which list requests to start with
(:meth:`PortalSpider.list_starts`), how a list page turns into :class:`ListEntry` values, and
(optionally) how a detail page differs from the label-driven default. The spider strings
together pieces that each have one job, so a fix lands once and the distributed mode
composes the same pieces (:meth:`PortalSpider.setup` takes its shared variants):

* the run's counts and errors: :class:`crawler.run_book.RunBook`, judged and closed by
  :mod:`storage.runs` (opened there too, unless the supervisor already did);
* incremental paging: :class:`crawler.incremental.ListWalk` (detail pages only for new or
  changed entries, a list stops at a page that brings nothing new);
* the record: :func:`crawler.spiders.records.document_record` (a broken, truncated or
  failing page is a :class:`FetchError` on that URL — never a crash, never half a record);
* attachments: :class:`crawler.attachment_downloads.AttachmentDownloads`;
* withdrawal probes at the end: known URLs missing from the lists, asked again.
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Callable, Iterable

import scrapy
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.defer import deferred_from_coro
from twisted.python.failure import Failure

from crawler.attachment_downloads import AttachmentDownloads
from crawler.blocking import PortalBlocked
from crawler.decoding import decode_page
from crawler.extract import parse_html
from crawler.extract.attachments import find_attachments, is_attachment_only
from crawler.extract.body import DEFAULT_BODY_SELECTORS, extract_body
from crawler.extract.labels import extract_metadata
from crawler.gone import redirected_away
from crawler.incremental import ListWalk, Verdict, conditional_headers
from crawler.politeness import RedirectLoop
from crawler.revisits import RunFreshness, freshness_settings, unrequested_revisits
from crawler.run_book import RunBook
from crawler.settings import settings_for_config
from crawler.spiders.freshness_steps import FreshnessSteps
from crawler.spiders.failures import failure_reason
from crawler.spiders.list_pages import ListPages
from crawler.spiders.records import BrokenPage, DetailParts, document_record, header
from crawler.spiders.truncation import detail_truncation
from eduwatch.config import Config, ConfigError, PortalConfig, load_config_once
from storage.database import Database
from storage.records import DocumentRecord, ListEntry
from storage.freshness import failed_last_run
from storage.runs import RunSummary, Runs
from storage.store import Store

WalkWrapper = Callable[[ListWalk], ListWalk]


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class PortalSpider(ListPages, FreshnessSteps, scrapy.Spider):
    """Base of the five family spiders; ``name`` is the platform (``scrapy crawl gkmlpt -a portal=huilai``)."""

    name = ""  # abstract: not listed by `scrapy list`
    platform = ""
    body_selectors: tuple[str, ...] = DEFAULT_BODY_SELECTORS

    # --- construction -----------------------------------------------------------------------

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """Lay the operator's ``[crawl]`` table over crawler.settings (``scrapy crawl`` path).

        The config comes from the EDUWATCH_CONFIG setting or environment variable (the runner
        sets both); a broken file fails here, before any request is made.
        """
        super().update_settings(settings)
        path = settings.get("EDUWATCH_CONFIG") or None
        settings.setdict(settings_for_config(load_config_once(path)), priority="spider")

    def __init__(
        self,
        portal: str | None = None,
        run_id: int | str | None = None,
        full: bool | str = False,
        config: Config | str | None = None,
        store: Store | None = None,
        trigger: str = "manual",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not portal:
            raise ConfigError(f"spider {self.name!r} needs a portal: scrapy crawl {self.name} -a portal=NAME")
        self.portal = portal
        self.run_id: int | None = int(run_id) if run_id not in (None, "") else None
        self.full = _truthy(full)
        self.trigger = trigger
        self._config_arg = config
        self.store: Store | None = store
        self._own_db: Database | None = None
        self.book = RunBook()
        self.summary: RunSummary | None = None
        self._requested: set[str] = set()  # detail URLs asked for this run
        self._probes_scheduled = False
        self._finished = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> "PortalSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup(crawler)
        crawler.signals.connect(spider._on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider._on_closed, signal=signals.spider_closed)
        return spider

    def setup(self, crawler: Crawler, *, share_walk: WalkWrapper | None = None,
              downloads: AttachmentDownloads | None = None,
              decided: tuple[frozenset[str], bool] | None = None) -> None:
        """Bind the spider to its portal, store, run, list walk and attachment downloads.

        A distributed worker passes its shared variants (a walk whose coverage all workers
        merge, downloads claimed across workers, the run's revisits and deep walk as the seed's
        worker planned them); a local crawl gets the plain ones and plans itself.
        """
        self.crawler = crawler
        config = self._config_arg
        if not isinstance(config, Config):
            config = load_config_once(config or crawler.settings.get("EDUWATCH_CONFIG") or None)
        self.config = config
        self.portal_config: PortalConfig = config.portal(self.portal)
        if self.portal_config.platform != self.platform:
            raise ConfigError(
                f"{config.source}: portal {self.portal!r} is a {self.portal_config.platform} portal, "
                f"not {self.platform}: use `scrapy crawl {self.portal_config.platform}`"
            )
        if self.store is None:
            self._own_db = Database(config.database.url)
            self.store = Store(self._own_db)
            self.store.sync_portals([self.portal_config])
        if self.run_id is None:
            self.run_id = Runs(self.store.db).open(self.portal, full=self.full, trigger=self.trigger)
        self.freshness = RunFreshness(self.store.db, self.portal, freshness_settings(config, self.portal_config),
                                      full=self.full, decided=decided)
        self._failed_before = failed_last_run(self.store.db, self.portal)
        walk = ListWalk(self.store.known_sources(self.portal), full=self.full, revisit=self.freshness.revisit,
                        deep=self.freshness.deep)
        self.walk = share_walk(walk) if share_walk is not None else walk
        self.max_list_pages = config.crawl.max_list_pages
        self.downloads = downloads or AttachmentDownloads(crawler, config.crawl.max_attachment_bytes)

    # --- what the run has seen (the book keeps it; these are the names middlewares use) ----------

    @property
    def errors(self) -> list:
        return self.book.errors

    @property
    def saved(self) -> Any:
        return self.book.saved

    @property
    def pages_fetched(self) -> int:
        return self.book.pages_fetched

    @property
    def blocked_reason(self) -> str | None:
        return self.book.blocked_reason

    # --- the family's part ------------------------------------------------------------------

    def list_starts(self) -> Iterable[Request]:
        """The first list request(s) of this portal."""
        raise NotImplementedError

    def detail_parts(self, response: Response, text: str, entry: ListEntry, extra: dict[str, Any]) -> DetailParts:
        """Label-driven default: one metadata extractor, chrome-free body, linked attachments.

        The page is parsed once and the tree shared (no extractor mutates it): each extractor
        parsing the text itself tripled lxml's share of a page's CPU."""
        root = parse_html(text)
        return DetailParts(
            metadata=extract_metadata(root),
            body=extract_body(root, self.body_selectors),
            links=find_attachments(root, response.url),
        )

    async def more_detail_parts(self, response: Response, text: str, parts: DetailParts) -> DetailParts:
        """Hook for documents spread over several pages (TRS ``_1``, ``_2``…): fetch the rest and
        join them into ``parts``; raise BrokenPage when a part cannot be had (never half a body)."""
        return parts

    async def fetch_page(self, url: str) -> str:
        """Download one more page of a document now (not via the scheduler) and decode it."""
        try:
            response = await self.crawler.engine.download_async(Request(url, dont_filter=True))
        except PortalBlocked:
            raise
        except Exception as exc:  # noqa: BLE001 — timeout, reset, data loss: this part is missing
            reason = failure_reason(Failure(exc))
            raise BrokenPage(f"{url}: {reason}") from None
        if response.status != 200:
            raise BrokenPage(f"{url}: HTTP {response.status}")
        text = decode_page(response.body, header(response, "Content-Type")).text
        cut = detail_truncation(text, self.body_selectors)
        if cut:
            raise BrokenPage(f"{url}: {cut}")
        return text

    async def start(self) -> AsyncIterator[Request]:
        for request in self.list_starts():
            yield request

    # --- detail pages -----------------------------------------------------------------------

    def detail_request(self, entry: ListEntry, verdict: Verdict, extra: dict[str, Any]) -> Request:
        meta: dict[str, Any] = {"entry": entry, "extra": extra, "verdict": verdict.value}
        headers: dict[str, str] = {}
        if verdict is Verdict.REVISIT:
            known = self.walk.known[entry.url]
            headers = conditional_headers(known.etag, known.last_modified)
            # 404/410: the page may be gone; only a probe after a list walk may say so (idle_requests).
            meta["handle_httpstatus_list"] = [304, 404, 410]
        return Request(entry.url, callback=self.parse_detail, errback=self.detail_failed, headers=headers, meta=meta)

    async def parse_detail(self, response: Response) -> AsyncIterator[DocumentRecord]:
        entry: ListEntry = response.meta["entry"]
        if response.status == 304:
            self.store.mark_unchanged(  # type: ignore[union-attr]
                self.run_id, entry.url, etag=header(response, "ETag"), last_modified=header(response, "Last-Modified")
            )
            self.freshness.not_modified(entry.url)
            return
        if response.status in (404, 410):
            self.logger.info("revisit of %s answered %s; left to the withdrawal probes", entry.url, response.status)
            return
        try:
            text = decode_page(response.body, header(response, "Content-Type")).text
            cut = detail_truncation(text, self.body_selectors)
            if cut:
                raise BrokenPage(cut)
            parts = self.detail_parts(response, text, entry, response.meta.get("extra") or {})
            parts = await self.more_detail_parts(response, text, parts)
            record = self.make_record(response, text, entry, parts)
        except PortalBlocked:
            return  # block() has recorded it
        except Exception as exc:  # noqa: BLE001 — one bad page is an error on its URL, not a crash
            self.logger.warning("cannot read %s: %s", response.url, exc, exc_info=not isinstance(exc, BrokenPage))
            reason = f"{type(exc).__name__}: {exc}" if not isinstance(exc, BrokenPage) else str(exc)
            self.record_error(entry.url, reason)
            for incomplete in self.incomplete(entry, response.meta, reason):
                yield incomplete
            return
        if record is None:
            return
        await self.downloads.fill(record, parts.links, stopped=lambda: bool(self.blocked_reason))
        if is_attachment_only(record.body):
            texts = [a.text for a in record.attachments if a.text]
            if texts:
                record.body = "\n\n".join(texts)
        if self.blocked_reason:
            return
        yield record

    def detail_failed(self, failure: Failure) -> list[DocumentRecord] | None:
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(PortalBlocked):
            return
        if failure.check(IgnoreRequest) and not failure.check(HttpError, RedirectLoop):
            self.logger.info("not fetched (%s): %s", failure.value, request.url)
            return  # robots.txt said no: not an error of the portal
        reason = failure_reason(failure)
        self.record_error(request.url, reason)
        if "entry" in request.meta and not failure.check(RedirectLoop):
            return self.incomplete(request.meta["entry"], request.meta, reason)
        return None

    def make_record(self, response: Response, text: str, entry: ListEntry, parts: DetailParts) -> DocumentRecord | None:
        """The record of a detail page; a family may adjust or refuse it (None)."""
        return document_record(self.portal, response, text, entry, parts)

    # --- bookkeeping ------------------------------------------------------------------------

    def count_response(self, response: Response) -> None:
        self.book.pages_fetched += 1

    def record_error(self, url: str, reason: str) -> None:
        self.logger.warning("error on %s: %s", url, reason)
        self.book.record_error(url, reason)

    def block(self, reason: str, url: str) -> None:
        """A challenge page: stop this portal now; the run is recorded as blocked."""
        if self.book.block(reason, url):
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="blocked"))

    # --- withdrawal probes and the end of the run ---------------------------------------------

    def _on_idle(self, spider: scrapy.Spider) -> None:
        if spider is not self or self.blocked_reason:
            return
        requests = self.idle_requests()
        for request in requests:
            self.crawler.engine.crawl(request)
        if requests:
            raise DontCloseSpider

    def idle_requests(self) -> list[Request]:
        """More work once the lists are done: the withdrawal probes, once per run.

        A list we could not read vouches for nothing, so a run with a list failure probes nothing.
        """
        if self._probes_scheduled:
            return []
        self._probes_scheduled = True
        candidates = [] if self.book.list_failures else self.walk.probe_candidates()
        if candidates:
            self.logger.info("%s: probing %d known URLs missing from the lists", self.portal, len(candidates))
        revisits = [self.revisit_request(page.url) for page in
                    unrequested_revisits(self.freshness, self._requested, set(candidates))]
        return [self.probe_request(url) for url in candidates] + revisits

    def probe_request(self, url: str) -> Request:
        """Re-request a known URL missing from the lists: a 404/410 is an answer, not an error."""
        return Request(
            url,
            callback=self.probe_done,
            errback=self.probe_failed,
            meta={"handle_httpstatus_list": [404, 410], "dont_retry": False},
            dont_filter=True,
        )

    def probe_done(self, response: Response) -> None:
        status = response.status
        if redirected_away(response, self.portal_config.base_url):
            status = 404  # the portal's way of saying 404: a redirect to its home or an error page
        self.store.record_probe(self.run_id, response.request.url, status)  # type: ignore[union-attr]

    def probe_failed(self, failure: Failure) -> None:
        if failure.check(HttpError):
            status = failure.value.response.status  # type: ignore[union-attr]
            self.store.record_probe(self.run_id, failure.request.url, status)  # type: ignore[union-attr,attr-defined]
        elif failure.check(RedirectLoop) or not failure.check(PortalBlocked, IgnoreRequest):
            self.record_error(failure.request.url, failure_reason(failure))  # type: ignore[attr-defined]

    def page_cap_notes(self) -> tuple[str, ...]:
        """``stopped at max_list_pages=50 on <list>`` for lists that went on past the cap
        (a note, not a fault: the cap is the operator's setting)."""
        capped = [key for key in self.book.capped_lists if not self.walk.ended(key)]
        if not capped:
            return ()
        others = f" and {len(capped) - 1} other list(s)" if len(capped) > 1 else ""
        return (f"stopped at max_list_pages={self.max_list_pages} on {capped[0]}{others}",)

    def _on_closed(self, spider: scrapy.Spider, reason: str) -> None:
        if spider is not self or self._finished or self.store is None or self.run_id is None:
            return
        self._finished = True
        settings = self.crawler.settings
        outcome = self.book.outcome(
            reason, notes=self.page_cap_notes(), time_limit=settings.getfloat("CLOSESPIDER_TIMEOUT"),
            memory_limit_mb=settings.getint("MEMUSAGE_LIMIT_MB"),
        )
        try:
            self.freshness.finish(walked_to_end=self.walked_to_end(reason))
            self.summary = Runs(self.store.db).close(self.run_id, outcome)
        finally:
            if self._own_db is not None:
                self._own_db.dispose()
        self.logger.info("%s: run %s %s (%s)", self.portal, self.run_id, self.summary.status,
                         self.summary.reason or "no problems")
