"""robots.txt, fetched once a day per host rather than once per crawl run.

Scrapy's RobotsTxtMiddleware asks each host for robots.txt at the start of every crawl
process, so a scheduled incremental run of an unchanged portal costs one request more than
its list pages. :class:`CachedRobotsTxtMiddleware` takes Scrapy's place (same slot, 100) and
first looks in the database (storage.robots_cache), which every crawler shares, for a copy
younger than ``[crawl] robots_cache_hours`` (RFC 9309 §2.4: at most 24 hours). Only when there
is none does it download, conditionally when the old copy has validators (a 304 renews it).

Everything else is Scrapy's: one parse per host per process, concurrent requests waiting on
the same Deferred, ROBOTSTXT_PARSER, ROBOTSTXT_USER_AGENT / the request's User-Agent,
``meta["dont_obey_robotstxt"]``, the ``robots_parsed`` signal and the ``robotstxt/*`` stats.

What a status means, and what is kept:

* 2xx (and a 304 revalidating our copy): the rules; kept.
* 4xx other than 429: "unavailable", so everything is allowed (RFC 9309 §2.3.1.3); kept, so
  a site without robots.txt is not asked again for a day. An anti-bot challenge page (a 瑞数
  412, say) is not an answer about robots.txt: used for this run as Scrapy would, never kept.
* 5xx, 429, no answer at all: Scrapy's behaviour for this run (it parses whatever body came
  back, which allows everything; a download error means no parser, i.e. allow). Never kept:
  the next run asks again, so a server's bad minute is not remembered for a day.

``--full`` runs (``spider.full``) ignore the stored copy and refresh it. A database that cannot
be read or written is logged and the middleware carries on like Scrapy's: a cache must never
stop a crawl.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from sqlalchemy.exc import SQLAlchemyError
from twisted.internet.defer import Deferred

from crawler.challenge import detect_challenge
from storage.database import Database
from storage.models import utcnow
from storage.robots_cache import CachedRobots, load_robots, origin_of, save_robots

log = logging.getLogger(__name__)

HOURS_SETTING = "ROBOTS_CACHE_HOURS"  # from [crawl] robots_cache_hours (crawler.settings.crawl_settings)


def keeps(status: int) -> bool:
    """Whether a robots.txt answer with ``status`` is worth remembering across runs."""
    return 200 <= status < 300 or (400 <= status < 500 and status != 429)


def rules_body(status: int, body: bytes) -> bytes:
    """The text to parse for an answer: a 4xx page is no robots.txt, so no rules (allow all)."""
    return b"" if 400 <= status < 500 and status != 429 else body


class CachedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware with a cross-run cache in the eduwatch database."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)  # raises NotConfigured unless ROBOTSTXT_OBEY
        hours = crawler.settings.getfloat(HOURS_SETTING, 24.0)
        self._max_age = timedelta(hours=hours)

    # --- the parser for a request's host -----------------------------------------------------

    async def robot_parser(self, request: Request) -> RobotParser | None:
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc not in self._parsers:
            self._parsers[netloc] = Deferred()  # later requests for this host wait on it
            origin = origin_of(request.url)
            cached = self._load(origin)
            if cached is not None and not self._refresh_all() and cached.fresh(utcnow(), self._max_age):
                self._stats.inc_value("robotstxt/cache_hit")
                await self._install(rules_body(cached.status, cached.body), netloc, request)
            else:
                await self._fetch(f"{url.scheme}://{netloc}/robots.txt", netloc, origin, cached, request)
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            return await maybe_deferred_to_future(parser)
        return parser

    async def _fetch(self, robots_url: str, netloc: str, origin: str, cached: CachedRobots | None,
                     request: Request) -> None:
        """Download robots.txt (conditionally when our copy has validators) and keep what is worth it."""
        headers: dict[str, str] = {}
        if cached is not None and keeps(cached.status) and cached.status < 300:
            if cached.etag:
                headers["If-None-Match"] = cached.etag
            if cached.last_modified:
                headers["If-Modified-Since"] = cached.last_modified
        robots_request = Request(
            robots_url, headers=headers, priority=self.DOWNLOAD_PRIORITY,
            meta={"dont_obey_robotstxt": True}, callback=NO_CALLBACK,
        )
        try:
            response = await self.crawler.engine.download_async(robots_request)
            await self._answer(response, netloc, origin, cached, request)
        except Exception as exc:
            if not isinstance(exc, IgnoreRequest):
                log.error("Error downloading %s: %s", robots_url, exc, exc_info=True,
                          extra={"spider": self.crawler.spider})
            self._robots_error(exc, netloc)
        self._stats.inc_value("robotstxt/request_count")

    async def _answer(self, response: Response, netloc: str, origin: str, cached: CachedRobots | None,
                      request: Request) -> None:
        self._stats.inc_value("robotstxt/response_count")
        self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
        status, body = response.status, response.body
        if status == 304 and cached is not None:  # our copy is still the server's
            status, body = cached.status, cached.body
        if keeps(status) and not self._challenge(response):
            self._save(CachedRobots(
                origin, status, body, utcnow(),
                etag=_header(response, b"ETag") or (cached.etag if response.status == 304 and cached else None),
                last_modified=_header(response, b"Last-Modified")
                or (cached.last_modified if response.status == 304 and cached else None),
            ))
            body = rules_body(status, body)
        await self._install(body, netloc, request)

    async def _install(self, body: bytes, netloc: str, request: Request) -> None:
        """Parse ``body`` as Scrapy does and hand the parser to everyone waiting for this host."""
        parser = build_from_crawler(self._parserimpl, self.crawler, body)
        await self.crawler.signals.send_catch_log_async(
            signal=signals.robots_parsed, robotparser=parser, request=request,
        )
        waiting = self._parsers[netloc]
        self._parsers[netloc] = parser
        if isinstance(waiting, Deferred):
            waiting.callback(parser)

    def _challenge(self, response: Response) -> bool:
        """An anti-bot page in robots.txt's place says nothing about the rules: not worth keeping."""
        headers = {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}
        reason = detect_challenge(response.status, headers, response.body)
        if reason:
            log.info("robots.txt at %s not cached: %s", response.url, reason)
        return reason is not None

    # --- the store ---------------------------------------------------------------------------

    def _refresh_all(self) -> bool:
        """A ``--full`` run refetches robots.txt like everything else."""
        return bool(getattr(self.crawler.spider, "full", False))

    def _database(self) -> Database | None:
        """The spider's store's database (every eduwatch spider has one; no second engine).

        A spider without a store, or a cache switched off (0 hours), means Scrapy's behaviour.
        """
        if self._max_age <= timedelta(0):
            return None
        db = getattr(getattr(self.crawler.spider, "store", None), "db", None)
        return db if isinstance(db, Database) else None

    def _load(self, origin: str) -> CachedRobots | None:
        try:
            db = self._database()
            return load_robots(db, origin) if db is not None else None
        except SQLAlchemyError as exc:
            log.warning("robots.txt cache unreadable, fetching %s/robots.txt: %s", origin, exc)
            return None

    def _save(self, entry: CachedRobots) -> None:
        try:
            db = self._database()
            if db is not None:
                save_robots(db, entry)
        except SQLAlchemyError as exc:
            log.warning("robots.txt for %s not cached: %s", entry.origin, exc)


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
