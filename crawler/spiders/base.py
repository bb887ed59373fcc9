"""PortalSpider: what every family's spider shares — run bookkeeping, incremental list walks,
detail pages, attachments, withdrawal probes and a clean close.

A family spider only knows its portal's layout: which list requests to start with
(:meth:`PortalSpider.list_starts`), how a list page turns into :class:`ListEntry` values, and
(optionally) how a detail page differs from the label-driven default. Everything that must
behave the same on every portal lives here, so a fix lands once:

* the run: ``store.start_run`` (unless the runner already did), ``finish_run`` at close with
  pages fetched, errors and status ``ok`` / ``failed`` / ``blocked``;
* incremental paging (:class:`crawler.incremental.ListWalk`): detail pages only for new or
  changed entries, a list stops at a page that brings nothing new;
* a broken, truncated or failing page is a :class:`FetchError` on that URL — never a crash,
  never a half-filled record;
* attachments: .docx/.pdf are downloaded (size-capped) and their text stored.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Iterable, Iterator
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.defer import deferred_from_coro
from twisted.python.failure import Failure

from crawler.blocking import PortalBlocked
from crawler.politeness import RedirectLoop
from crawler.decoding import decode_page
from crawler.extract import parse_html
from crawler.extract.attachments import AttachmentError, AttachmentLink, attachment_text, find_attachments, is_attachment_only
from crawler.extract.body import DEFAULT_BODY_SELECTORS, extract_body
from crawler.extract.labels import PageMetadata, extract_metadata
from crawler.incremental import (
    LIST_PAGE,
    ListWalk,
    Verdict,
    conditional_headers,
    list_request_headers,
)
from crawler.normalize import (
    clean_title,
    find_signature_date,
    normalize_doc_no,
    normalize_index_no,
    normalize_publisher,
    parse_date,
    title_key,
)
from crawler.settings import settings_for_config
from crawler.spiders.truncation import detail_truncation, is_data_loss, list_truncation
from eduwatch.config import Config, ConfigError, PortalConfig, load_config_once
from storage.database import Database
from storage.records import AttachmentRecord, DocumentRecord, FetchError, ListEntry
from storage.store import RunSummary, Store

TEXT_ATTACHMENTS = ("docx", "pdf")  # downloaded for their text; other types are only listed
_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1>", re.IGNORECASE | re.DOTALL)
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


class BrokenPage(ValueError):
    """A page that arrived but cannot be trusted (truncated, not the JSON it should be …)."""


@dataclass
class DetailParts:
    """What a family reads off a detail page, before normalising."""

    metadata: PageMetadata
    body: str
    links: list[AttachmentLink] = field(default_factory=list)
    is_abolished: bool = False


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _strip_tags(text: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(_TAG.sub("", text))).strip()


class PortalSpider(scrapy.Spider):
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
        self.errors: list[FetchError] = []
        self.saved: Counter[str] = Counter()
        self.pages_fetched = 0
        self.list_failures = 0
        self.capped_lists: list[str] = []  # lists still going on when [crawl] max_list_pages stopped them
        self.blocked_reason: str | None = None
        self.summary: RunSummary | None = None
        self._requested: set[str] = set()
        self._attachments: dict[str, asyncio.Future] = {}  # url -> its one download this run
        self._probes_scheduled = False
        self._finished = False

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> "PortalSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._setup(crawler)
        crawler.signals.connect(spider._on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider._on_closed, signal=signals.spider_closed)
        return spider

    def _setup(self, crawler: Crawler) -> None:
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
            self.run_id = self.store.start_run(self.portal, full=self.full, trigger=self.trigger)
        self.walk = ListWalk(
            self.store.known_sources(self.portal), full=self.full, revisit_days=config.crawl.revisit_days
        )
        self.max_list_pages = config.crawl.max_list_pages
        self.max_attachment_bytes = config.crawl.max_attachment_bytes

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
            reason = self._failure_reason(Failure(exc))
            raise BrokenPage(f"{url}: {reason}") from None
        if response.status != 200:
            raise BrokenPage(f"{url}: HTTP {response.status}")
        text = decode_page(response.body, _header(response, "Content-Type")).text
        cut = detail_truncation(text, self.body_selectors)
        if cut:
            raise BrokenPage(f"{url}: {cut}")
        return text

    async def start(self) -> AsyncIterator[Request]:
        for request in self.list_starts():
            yield request

    # --- list pages -------------------------------------------------------------------------

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
        page_on = bool(new_here) and (fresh or self.full)
        if page_on and self.walk.pages(list_key) >= self.max_list_pages and list_key not in self.capped_lists:
            # Every family stops paging here (page N < max_list_pages); unless this page turns
            # out to be the list's last, the run's reason says the walk was cut short. A list
            # that never pages (a feed) must be ended by its family, or it would count as cut.
            self.capped_lists.append(list_key)
        return requests, page_on

    def list_ended(self, list_key: str, *, complete: bool = True) -> None:
        """The list was walked to its last page: every known URL of it not seen is gone from it
        — unless ``complete=False`` (the list is a recent window: older documents are out of view)."""
        self.walk.reached_end(list_key, complete=complete)

    def list_failed(self, failure: Failure) -> None:
        if failure.check(PortalBlocked):
            return
        self.list_failures += 1
        self.record_error(failure.request.url, self._failure_reason(failure))  # type: ignore[attr-defined]

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
        self.list_failures += 1
        self.record_error(response.url, str(exc))

    # --- detail pages -----------------------------------------------------------------------

    def detail_request(self, entry: ListEntry, verdict: Verdict, extra: dict[str, Any]) -> Request:
        meta: dict[str, Any] = {"entry": entry, "extra": extra, "verdict": verdict.value}
        headers: dict[str, str] = {}
        if verdict is Verdict.REVISIT:
            known = self.walk.known[entry.url]
            headers = conditional_headers(known.etag, known.last_modified)
            meta["handle_httpstatus_list"] = [304]
        return Request(entry.url, callback=self.parse_detail, errback=self.detail_failed, headers=headers, meta=meta)

    async def parse_detail(self, response: Response) -> AsyncIterator[DocumentRecord]:
        entry: ListEntry = response.meta["entry"]
        if response.status == 304:
            self.store.mark_unchanged(  # type: ignore[union-attr]
                self.run_id, entry.url, etag=_header(response, "ETag"), last_modified=_header(response, "Last-Modified")
            )
            return
        try:
            text = decode_page(response.body, _header(response, "Content-Type")).text
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
            self.record_error(entry.url, f"{type(exc).__name__}: {exc}" if not isinstance(exc, BrokenPage) else str(exc))
            return
        if record is None:
            return
        await self.fetch_attachments(record, parts.links)
        if is_attachment_only(record.body):
            texts = [a.text for a in record.attachments if a.text]
            if texts:
                record.body = "\n\n".join(texts)
        if self.blocked_reason:
            return
        yield record

    def detail_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(PortalBlocked):
            return
        if failure.check(IgnoreRequest) and not failure.check(HttpError, RedirectLoop):
            self.logger.info("not fetched (%s): %s", failure.value, request.url)
            return  # robots.txt said no: not an error of the portal
        self.record_error(request.url, self._failure_reason(failure))

    def make_record(self, response: Response, text: str, entry: ListEntry, parts: DetailParts) -> DocumentRecord | None:
        """Normalise the raw fields (the store decides identity from the normalised ones)."""
        meta = parts.metadata
        title_raw = meta.title or (meta.meta or {}).get("ArticleTitle") or self._page_title(text) or entry.title
        if not title_raw:
            raise BrokenPage("detail page has no title")
        title = clean_title(title_raw)
        written = parse_date(meta.written_date) if meta.written_date else None
        published = parse_date(meta.published_date) if meta.published_date else None
        if published is None and entry.date:
            published = parse_date(entry.date)
        validity = meta.validity
        return DocumentRecord(
            portal=self.portal,
            url=entry.url,
            title=title,
            title_raw=title_raw,
            title_key=title_key(title),
            body=parts.body,
            index_no=normalize_index_no(meta.index_no),
            index_no_raw=meta.index_no,
            doc_no=normalize_doc_no(meta.doc_no),
            doc_no_raw=meta.doc_no,
            publisher=normalize_publisher(meta.publisher),
            category=meta.category,
            keywords=meta.keywords,
            written_date=written,
            written_date_raw=meta.written_date,
            published_date=published,
            published_date_raw=meta.published_date,
            validity=validity,
            is_abolished=parts.is_abolished or (validity or "").strip() == "废止",
            site=urlsplit(entry.url).netloc.lower(),
            etag=_header(response, "ETag"),
            last_modified=_header(response, "Last-Modified"),
            list_title=entry.title,
            list_date=entry.date,
            list_state=entry.state,
        )

    @staticmethod
    def _page_title(text: str) -> str | None:
        for pattern in (_H1, _TITLE):
            match = pattern.search(text)
            if match and _strip_tags(match.group(1)):
                return _strip_tags(match.group(1))
        return None

    def signature_date(self, body: str) -> str | None:
        """成文日期 from the signature block, for pages without a label table (generic)."""
        day = find_signature_date(body)
        return day.isoformat() if day else None

    # --- attachments ------------------------------------------------------------------------

    async def fetch_attachments(self, record: DocumentRecord, links: list[AttachmentLink]) -> None:
        """Every attachment is listed; .docx/.pdf are downloaded (size-capped) for their text."""
        seen: set[str] = set()
        for link in links:
            if link.url in seen:
                continue
            seen.add(link.url)
            attachment = AttachmentRecord(name=link.name, url=link.url, type=(link.type or "").lower())
            record.attachments.append(attachment)
            if attachment.type not in TEXT_ATTACHMENTS or self.blocked_reason:
                continue
            # One download per file and run, even when two listings of a document race for it.
            task = self._attachments.get(link.url)
            if task is None:
                task = self._attachments[link.url] = asyncio.ensure_future(
                    self._download_attachment(link.url, attachment.type)
                )
            attachment.size, attachment.text, attachment.error = await task

    async def _download_attachment(self, url: str, type_: str) -> tuple[int | None, str | None, str | None]:
        """(size, text, error) of one attachment file."""
        attachment = AttachmentRecord(name="", url=url, type=type_)
        await self._fetch_attachment(attachment)
        return attachment.size, attachment.text, attachment.error

    async def _fetch_attachment(self, attachment: AttachmentRecord) -> None:
        request = Request(
            attachment.url,
            meta={"download_maxsize": self.max_attachment_bytes, "attachment": True},
            dont_filter=True,
        )
        try:
            response = await self.crawler.engine.download_async(request)
        except PortalBlocked:
            attachment.error = "portal answered with a challenge page"
            return
        except IgnoreRequest as exc:
            attachment.error = f"not fetched: {exc}"
            return
        except Exception as exc:  # noqa: BLE001 — size cap, timeout, reset: the record says why
            text = str(exc) or type(exc).__name__
            if "maxsize" in text.lower() or "max size" in text.lower() or "larger than" in text.lower():
                attachment.error = f"larger than {self.max_attachment_bytes} bytes"
            elif is_data_loss(Failure(exc)):
                attachment.error = "download failed: truncated (the connection closed before the announced Content-Length)"
            else:
                attachment.error = f"download failed: {type(exc).__name__}: {text}"[:500]
            return
        if response.status != 200:
            attachment.error = f"HTTP {response.status}"
            return
        attachment.size = len(response.body)
        try:
            attachment.text = attachment_text(response.body, attachment.type)
        except AttachmentError as exc:
            attachment.error = str(exc)[:500]

    # --- bookkeeping ------------------------------------------------------------------------

    def count_response(self, response: Response) -> None:
        self.pages_fetched += 1

    def record_error(self, url: str, reason: str) -> None:
        self.logger.warning("error on %s: %s", url, reason)
        self.errors.append(FetchError(url, reason))

    def block(self, reason: str, url: str) -> None:
        """A challenge page: stop this portal now; the run is recorded as blocked."""
        if self.blocked_reason:
            return
        self.blocked_reason = reason
        self.errors.append(FetchError(url, f"challenge page: {reason}"))
        self.blocked_url = url
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="blocked"))

    @staticmethod
    def _failure_reason(failure: Failure) -> str:
        if failure.check(HttpError):
            return f"HTTP {failure.value.response.status}"  # type: ignore[union-attr]
        if is_data_loss(failure):
            return "truncated: the connection closed before the announced Content-Length (data loss)"
        if failure.check(RedirectLoop):
            return str(failure.value)
        value = failure.value
        return f"{type(value).__name__}: {value}"[:500]

    # --- withdrawal probes and the end of the run ---------------------------------------------

    def _on_idle(self, spider: scrapy.Spider) -> None:
        if spider is not self or self._probes_scheduled or self.blocked_reason:
            return
        self._probes_scheduled = True
        if self.list_failures:
            return  # a list we could not read vouches for nothing
        candidates = self.walk.probe_candidates()
        if not candidates:
            return
        self.logger.info("%s: probing %d known URLs missing from the lists", self.portal, len(candidates))
        for url in candidates:
            self.crawler.engine.crawl(self.probe_request(url))
        raise DontCloseSpider

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
        self.store.record_probe(self.run_id, response.request.url, response.status)  # type: ignore[union-attr]

    def probe_failed(self, failure: Failure) -> None:
        if failure.check(HttpError):
            status = failure.value.response.status  # type: ignore[union-attr]
            self.store.record_probe(self.run_id, failure.request.url, status)  # type: ignore[union-attr,attr-defined]
        elif failure.check(RedirectLoop) or not failure.check(PortalBlocked, IgnoreRequest):
            self.record_error(failure.request.url, self._failure_reason(failure))  # type: ignore[attr-defined]

    def run_status(self, close_reason: str) -> tuple[str, str | None]:
        """The run's status and reason; a list cut short by max_list_pages is noted in the
        reason (the status stays what it is: the cap is the operator's setting, not a fault)."""
        status, why = self._close_status(close_reason)
        note = self.page_cap_note()
        if note and status != "blocked":
            why = f"{why}; {note}" if why else note
        return status, why

    def page_cap_note(self) -> str | None:
        """``stopped at max_list_pages=50 on <list>`` for lists that went on past the cap."""
        capped = [key for key in self.capped_lists if not self.walk.ended(key)]
        if not capped:
            return None
        others = f" and {len(capped) - 1} other list(s)" if len(capped) > 1 else ""
        return f"stopped at max_list_pages={self.max_list_pages} on {capped[0]}{others}"

    def _close_status(self, close_reason: str) -> tuple[str, str | None]:
        if self.blocked_reason:
            where = getattr(self, "blocked_url", "")
            return "blocked", f"challenge page at {where}: {self.blocked_reason}"
        if self.pages_fetched == 0:
            first = self.errors[0].reason if self.errors else close_reason
            return "failed", f"nothing could be fetched ({first})"
        if self.list_failures:
            first = next((e for e in self.errors), None)
            detail = f": {first.url}: {first.reason}" if first else ""
            return "failed", f"{self.list_failures} list page(s) could not be read{detail}"
        if close_reason == "closespider_timeout":
            limit = self.crawler.settings.getfloat("CLOSESPIDER_TIMEOUT")
            return "failed", f"crawl time limit of {limit:g} s reached before the crawl finished"
        if close_reason == "memusage_exceeded":
            limit = self.crawler.settings.getint("MEMUSAGE_LIMIT_MB")
            return "failed", f"crawl process exceeded its memory limit of {limit} MB"
        if close_reason == "shutdown":
            return "failed", "crawl process was stopped (SIGTERM/SIGINT) before the crawl finished"
        if close_reason not in ("finished", "blocked"):
            return "failed", f"crawl ended early ({close_reason})"
        return "ok", None

    def _on_closed(self, spider: scrapy.Spider, reason: str) -> None:
        if spider is not self or self._finished or self.store is None or self.run_id is None:
            return
        self._finished = True
        status, why = self.run_status(reason)
        try:
            self.summary = self.store.finish_run(
                self.run_id, status=status, reason=why, pages_fetched=self.pages_fetched, errors=self.errors
            )
        finally:
            if self._own_db is not None:
                self._own_db.dispose()
        self.logger.info("%s: run %s %s (%s)", self.portal, self.run_id, status, why or "no problems")


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def iter_json_articles(payload: Any) -> Iterator[dict[str, Any]]:
    articles = payload.get("articles") if isinstance(payload, dict) else None
    for article in articles or []:
        if isinstance(article, dict):
            yield article


_LIST_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def list_links(text: str, base_url: str, pattern: str | re.Pattern[str]) -> list[ListEntry]:
    """Links to detail pages on an HTML list page, with the title and date shown beside them.

    The title is the link's ``title`` attribute when present (anchor text is often cut with
    ``...``); the date is the first date printed in the link's list item outside the link.
    """
    regex = re.compile(pattern) if isinstance(pattern, str) else pattern
    root = parse_html(text)
    entries: dict[str, ListEntry] = {}
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        url = urljoin(base_url, href)
        if not regex.search(url.split("?", 1)[0]) or url in entries:
            continue
        shown = re.sub(r"\s+", " ", anchor.text_content() or "").strip()
        title = (anchor.get("title") or "").strip() or shown or None
        entries[url] = ListEntry(url, title, _date_beside(anchor, shown), len(entries))
    return list(entries.values())


def _date_beside(anchor: Any, shown: str) -> str | None:
    node = anchor.getparent()
    for _ in range(3):  # the <li>, or a wrapper a level or two up
        if node is None:
            break
        around = (node.text_content() or "").replace(shown, " ", 1)
        match = _LIST_DATE.search(around)
        if match:
            return match.group(0).strip()
        if node.tag in ("li", "tr", "dd"):
            break
        node = node.getparent()
    return None
