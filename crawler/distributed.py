"""Distributed crawling on scrapy-redis: one scheduler, any number of workers, one queue.

``eduwatch daemon --distributed`` opens a crawl run and pushes a *seed* (portal, run id) into
Redis; every ``eduwatch worker`` (any machine) runs one long-lived Scrapy process whose
:class:`DistributedSpider` turns seeds into the portal spider's list requests and routes
every response to that portal's ordinary spider code (:class:`crawler.spiders.base.PortalSpider`
subclasses, one instance per run and worker), so list walking, detail parsing and
attachments are exactly those of a local crawl. Documents are saved straight into the
shared database by the worker that parsed them (one transaction each).

What is shared through Redis (keys under ``[redis] key_prefix``, default ``eduwatch``):

* ``<p>:requests`` — the one request queue (scrapy-redis priority queue);
* ``<p>:dupefilter:<run>`` — one dupefilter per *run* (:class:`RunDupeFilter`): within a run
  no URL is fetched twice whichever worker meets it, while the next run may fetch it again.
  A single permanent dupefilter (scrapy-redis's default with ``SCHEDULER_PERSIST``) would
  silently stop every later run at its list pages; list pages are ``dont_filter`` anyway;
* ``<p>:start_urls`` — seeds; ``<p>:run:<id>`` — the run's tally (outstanding requests,
  pages, list failures, blocked/cancelled) and ``<p>:run:<id>:errors``;
* ``<p>:inflight`` + ``<p>:worker:<id>`` — every request a worker has taken and not
  finished, and each worker's heartbeat (10 s TTL). When a worker dies, any other worker
  puts its unfinished requests back in the queue: a worker killed mid-crawl loses no
  request, so no document.

A run is finished when its outstanding-request count reaches zero: each request is counted
when created (before its parent is done) and uncounted when its callback or errback ends;
the worker that brings it to zero closes the run in the database. The scheduler side
(:func:`crawl_distributed`) holds the portal's ``crawl:<portal>`` lease meanwhile, exactly
as a local crawl does, and enforces the time limit (remaining requests of a cancelled run
are dropped; the next run finds what they would have).

Withdrawal probes, as at the end of a local run: every worker's list walk merges its lists'
coverage into ``<p>:run:<id>:coverage`` (:mod:`crawler.distributed_probes`). The worker that
first brings the count to zero claims the tally's ``probes`` field (HSETNX: one worker per
run); unless the run was blocked, cancelled or failed to read a list, it computes the known
URLs missing from the lists within their covered range, counts them on the tally and pushes
them into the shared queue. Whichever worker brings the count to zero again closes the run.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import pickle
import signal
import socket
import threading
import time
import uuid
from dataclasses import dataclass, replace
from typing import Any, AsyncIterator, Iterable

import redis
from scrapy import Request, signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler
from scrapy_redis.spiders import RedisSpider
from twisted.internet import task
from twisted.python.failure import Failure

from crawler.blocking import PortalBlocked
from crawler.distributed_probes import probe_candidates, share_walk
from crawler.heap import freeze_startup_heap
from crawler.settings import settings_for_config
from crawler.spiders import spider_for
from eduwatch.config import Config, RedisConfig, load_config
from storage.database import Database
from storage.locks import LeaseBusy, LeaseKeeper, Locks, make_holder
from storage.models import CrawlRun, utcnow
from storage.records import DocumentRecord, FetchError
from storage.store import RunSummary, Store

log = logging.getLogger("eduwatch.distributed")

SPIDER_NAME = "eduwatch_worker"
WORKER_TTL = 10  # seconds a worker's heartbeat lives; beats every 3 s
RUN_KEY_TTL = 7 * 86400
CRAWL_LEASE_TTL = 60.0
DEFAULT_STALL_TIMEOUT = 900.0
META = ("ew_portal", "ew_run", "ew_full", "ew_cb", "ew_eb", "ew_token")


class PortalBusyError(LeaseBusy):
    """Raised by :func:`crawl_distributed` when the portal is being crawled elsewhere."""


# --- keys ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Keys:
    prefix: str

    @property
    def requests(self) -> str:
        return f"{self.prefix}:requests"

    @property
    def start_urls(self) -> str:
        return f"{self.prefix}:start_urls"

    @property
    def dupefilter(self) -> str:
        return f"{self.prefix}:dupefilter"

    @property
    def inflight(self) -> str:
        return f"{self.prefix}:inflight"

    def run(self, run_id: int | str) -> str:
        return f"{self.prefix}:run:{run_id}"

    def errors(self, run_id: int | str) -> str:
        return f"{self.prefix}:run:{run_id}:errors"

    def coverage(self, run_id: int | str) -> str:
        return f"{self.prefix}:run:{run_id}:coverage"

    def worker(self, worker_id: str) -> str:
        return f"{self.prefix}:worker:{worker_id}"

    @property
    def workers(self) -> str:
        return f"{self.prefix}:worker:*"


def connect(config: RedisConfig) -> redis.Redis:
    return redis.Redis.from_url(config.url)


# --- the run's tally in Redis -----------------------------------------------------------------------


class RunTally:
    """Counters of one run shared by every worker (hash ``<p>:run:<id>``)."""

    def __init__(self, server: redis.Redis, keys: Keys, run_id: int) -> None:
        self.server, self.keys, self.run_id = server, keys, int(run_id)
        self.key = keys.run(run_id)

    def open(self, portal: str, full: bool) -> None:
        self.server.hset(self.key, mapping={
            "portal": portal, "full": int(full), "pending": 1, "pages": 0, "list_failures": 0,
            "activity": time.time(),
        })
        self.server.expire(self.key, RUN_KEY_TTL)

    def add(self, n: int = 1) -> int:
        pipe = self.server.pipeline()
        pipe.hincrby(self.key, "pending", n)
        pipe.hset(self.key, "activity", time.time())
        return int(pipe.execute()[0])

    def field(self, name: str) -> str | None:
        value = self.server.hget(self.key, name)
        return value.decode() if value is not None else None

    def stopped(self) -> str | None:
        """Why this run takes no more work (cancelled or blocked), or None."""
        values = self.server.hmget(self.key, ["cancelled", "blocked"])
        for value in values:
            if value:
                return value.decode()
        return None

    def snapshot(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.server.hgetall(self.key).items()}

    def errors(self) -> list[FetchError]:
        return [FetchError(**json.loads(raw)) for raw in self.server.lrange(self.keys.errors(self.run_id), 0, 999)]

    def claim_finish(self) -> bool:
        """True for exactly one caller: the one who closes the run."""
        return bool(self.server.hsetnx(self.key, "finished", time.time()))

    def claim_probes(self) -> bool:
        """True for exactly one caller: the one who decides the run's withdrawal probes."""
        return bool(self.server.hsetnx(self.key, "probes", 0))


def finish_from_tally(store: Store, tally: RunTally) -> RunSummary:
    """Close the run in the database from the shared tally (the same rules as a local run)."""
    snap = tally.snapshot()
    errors = tally.errors()
    pages = int(snap.get("pages", 0))
    list_failures = int(snap.get("list_failures", 0))
    if snap.get("blocked"):
        status, reason = "blocked", f"challenge page: {snap['blocked']}"
    elif pages == 0:
        status, reason = "failed", f"nothing could be fetched ({errors[0].reason if errors else 'no response'})"
    elif list_failures:
        first = f": {errors[0].url}: {errors[0].reason}" if errors else ""
        status, reason = "failed", f"{list_failures} list page(s) could not be read{first}"
    else:
        status, reason = "ok", None
    summary = store.finish_run(tally.run_id, status=status, reason=reason, pages_fetched=pages, errors=errors)
    # The store counts docs_new/docs_updated with a read-modify-write of the run row, which
    # loses increments when several workers save into one run at once; Redis counted exactly.
    new, updated = int(snap.get("new", 0)), int(snap.get("updated", 0))
    with store.db.transaction() as session:
        run = session.get_one(CrawlRun, tally.run_id)
        run.docs_new, run.docs_updated = new, updated
    return replace(summary, docs_new=new, docs_updated=updated)


# --- scrapy-redis pieces -------------------------------------------------------------------------------


class RunDupeFilter(RFPDupeFilter):
    """One fingerprint set per crawl run (``<key>:<run>``), expiring after a week."""

    def request_seen(self, request: Request) -> bool:
        run = request.meta.get("ew_run")
        key = f"{self.key}:{run}" if run is not None else self.key
        fingerprint = self.request_fingerprint(request)
        pipe = self.server.pipeline()
        pipe.sadd(key, fingerprint)
        pipe.expire(key, RUN_KEY_TTL)
        added, _ = pipe.execute()
        return added == 0


class RunScheduler(Scheduler):
    """scrapy-redis's scheduler plus bookkeeping: in-flight records and per-run counts."""

    def enqueue_request(self, request: Request) -> bool:
        queued = super().enqueue_request(request)
        if not queued and request.meta.get("ew_run") is not None:
            spider = self.spider
            if isinstance(spider, DistributedSpider):
                spider.request_done(request.meta, dropped=True)
        return queued

    def next_request(self) -> Request | None:
        request = super().next_request()
        if request is not None and isinstance(self.spider, DistributedSpider):
            self.spider.taken(request, self.queue)
        return request


class RunGateMiddleware:
    """Downloader middleware: requests of a cancelled or blocked run are not sent."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "RunGateMiddleware":
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        spider = self.crawler.spider
        run = request.meta.get("ew_run")
        if run is None or not isinstance(spider, DistributedSpider):
            return None
        why = spider.run_stopped(int(run))
        if why:
            raise IgnoreRequest(f"run {run} takes no more requests ({why})")
        return None


# --- the worker's spider ------------------------------------------------------------------------------


class DistributedSpider(RedisSpider):
    """Takes seeds from Redis and routes every response to the portal spider of its run."""

    name = SPIDER_NAME

    def __init__(self, config: Config, keys: Keys, idle_exit: float | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.config = config
        self.keys = keys
        self.redis_key = keys.start_urls
        self.idle_exit = idle_exit
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.db = Database(config.database.url)
        self.store = Store(self.db)
        self.store.sync_portals(config.portals)
        self.delegates: dict[int, Any] = {}
        self.running: dict[str, dict[str, Any]] = {}  # token -> meta of requests taken, not done
        self._stopped_cache: dict[int, tuple[float, str | None]] = {}
        self._blocked_urls: dict[str, str] = {}
        self._last_work = time.monotonic()
        self._beat: threading.Thread | None = None
        self._closing = threading.Event()
        self._poll: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> "DistributedSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._opened, signal=signals.spider_opened)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        return spider

    # --- life cycle ----------------------------------------------------------------------

    @property
    def redis(self) -> redis.Redis:
        return self.server

    def _opened(self, spider: Any) -> None:
        if spider is not self:
            return
        self.redis.set(self.keys.worker(self.worker_id), time.time(), ex=WORKER_TTL)
        self._beat = threading.Thread(target=self._heartbeat, name="worker-heartbeat", daemon=True)
        self._beat.start()
        self._poll = task.LoopingCall(self._tick)
        self._poll.start(0.5, now=False)
        log.info("worker %s taking work from %s", self.worker_id, self.keys.requests)

    def _heartbeat(self) -> None:
        """Beat every 3 s; put back the unfinished requests of workers whose beat stopped."""
        while not self._closing.wait(3):
            try:
                self.redis.set(self.keys.worker(self.worker_id), time.time(), ex=WORKER_TTL)
                requeue_orphans(self.redis, self.keys)
            except redis.RedisError:
                log.warning("redis unreachable; will retry", exc_info=True)

    def _tick(self) -> None:
        """Poll Redis for seeds and queued requests (scrapy-redis alone waits for the 5 s idle beat)."""
        engine = self.crawler.engine
        if engine is None or self._closing.is_set():
            return
        if self.running:
            self._last_work = time.monotonic()
        try:
            self.schedule_next_requests()
        except redis.RedisError:
            log.warning("redis unreachable; will retry", exc_info=True)
            return
        slot = getattr(engine, "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is not None:
            nextcall.schedule()
        if self.idle_exit is not None and not self.running and time.monotonic() - self._last_work > self.idle_exit:
            if self.redis.zcard(self.keys.requests) == 0 and self.redis.llen(self.keys.start_urls) == 0:
                self._closing.set()
                deferred_from_coro(engine.close_spider_async(reason="idle"))

    def spider_idle(self) -> None:
        self.schedule_next_requests()
        if self._closing.is_set():
            return
        raise DontCloseSpider

    def _closed(self, spider: Any, reason: str) -> None:
        if spider is not self:
            return
        self._closing.set()
        if self._poll is not None and self._poll.running:
            self._poll.stop()
        # Requests taken and not finished go back to the queue now (a killed worker's wait for
        # its heartbeat to expire instead).
        try:
            back = requeue_worker(self.redis, self.keys, self.worker_id)
            self.redis.delete(self.keys.worker(self.worker_id))
            if back:
                log.info("worker %s: %d unfinished request(s) returned to the queue", self.worker_id, back)
        except redis.RedisError:
            log.warning("could not return unfinished requests; other workers will after %s s", WORKER_TTL)
        self.db.dispose()

    # --- seeds -----------------------------------------------------------------------------

    def make_request_from_data(self, data: bytes) -> list[Request]:
        self._last_work = time.monotonic()
        try:
            seed = json.loads(data)
            portal, run_id, full = seed["portal"], int(seed["run"]), bool(seed.get("full"))
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a malformed seed: %r", data[:200])
            return []
        tally = RunTally(self.redis, self.keys, run_id)
        requests: list[Request] = []
        try:
            if not tally.stopped():
                delegate = self.delegate(portal, run_id, full)
                requests = [self.wrap(r, portal, run_id, full) for r in delegate.list_starts()]
        except Exception as exc:  # noqa: BLE001 — a bad seed fails its run, not the worker
            log.exception("seed for %s run %s failed", portal, run_id)
            self.redis.rpush(self.keys.errors(run_id), json.dumps({"url": portal, "reason": f"{type(exc).__name__}: {exc}"}))
        self._finish_one(tally)
        return requests

    def delegate(self, portal: str, run_id: int, full: bool) -> Any:
        """This worker's instance of the portal's own spider for ``run_id``."""
        found = self.delegates.get(run_id)
        if found is not None:
            return found
        cls = spider_for(self.config.portal(portal).platform)
        spider = cls(portal=portal, run_id=run_id, full=full, config=self.config, store=self.store, trigger="worker")
        spider.crawler = self.crawler
        spider.settings = self.crawler.settings
        spider._setup(self.crawler)
        spider.walk = share_walk(spider.walk, self.redis, self.keys.coverage(run_id))
        self._share_attachments(spider, run_id)
        for old in [r for r in self.delegates if r < run_id - 1000]:
            self.delegates.pop(old, None)
        self.delegates[run_id] = spider
        return spider

    def _share_attachments(self, spider: Any, run_id: int) -> None:
        """One download per attachment file and run across all workers, as a local run has.

        The first worker to claim a file (HSETNX) downloads it and publishes (size, text,
        error); the others wait for that result. A claimer that dies leaves the claim empty:
        waiters give up after two minutes and download it themselves.
        """
        original = getattr(spider, "_download_attachment", None)
        if original is None:
            return
        key = f"{self.keys.run(run_id)}:attachments"
        server = self.redis

        async def shared(url: str, type_: str) -> tuple[int | None, str | None, str | None]:
            if server.hsetnx(key, url, b""):
                server.expire(key, RUN_KEY_TTL)
                try:
                    result = await original(url, type_)
                except BaseException:
                    server.hdel(key, url)
                    raise
                server.hset(key, url, json.dumps(list(result)))
                return result
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                raw = server.hget(key, url)
                if raw is None:
                    break
                if raw:
                    size, text, error = json.loads(raw)
                    return size, text, error
                await asyncio.sleep(0.2)
            return await original(url, type_)

        spider._download_attachment = shared

    # --- routing ----------------------------------------------------------------------------

    def wrap(self, request: Request, portal: str, run_id: int, full: bool, *, counted: bool = False) -> Request:
        """Point a portal spider's request at the router; count it on its run before it exists
        (``counted``: the caller already did, for a batch)."""
        callback = request.callback.__name__ if request.callback else "parse"
        errback = request.errback.__name__ if request.errback else None
        meta = dict(request.meta)
        meta.update(ew_portal=portal, ew_run=run_id, ew_full=full, ew_cb=callback, ew_eb=errback)
        if not counted:
            RunTally(self.redis, self.keys, run_id).add(1)
        return request.replace(callback=self.route, errback=self.route_error, meta=meta)

    async def route(self, response: Response, **kwargs: Any) -> AsyncIterator[Any]:
        meta = response.meta
        portal, run_id, full = meta["ew_portal"], int(meta["ew_run"]), bool(meta.get("ew_full"))
        delegate = None
        self.redis.hincrby(self.keys.run(run_id), "pages", 1)
        try:
            if self.run_stopped(run_id):
                return
            delegate = self.delegate(portal, run_id, full)
            result = getattr(delegate, meta["ew_cb"])(response, **kwargs)
            async for out in _iterate(result):
                if isinstance(out, Request):
                    yield self.wrap(out, portal, run_id, full)
                elif isinstance(out, DocumentRecord):
                    self.save(delegate, out, run_id)
                elif out is not None:
                    yield out
        except Exception as exc:  # noqa: BLE001 — one page's trouble is an error on its URL
            log.exception("%s: %s failed", portal, response.url)
            self.redis.rpush(self.keys.errors(run_id), json.dumps({"url": response.url, "reason": f"{type(exc).__name__}: {exc}"[:500]}))
        finally:
            self.drain(delegate, run_id)
            self.request_done(meta)

    def route_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        meta = request.meta
        run_id = int(meta["ew_run"])
        delegate = None
        if failure.check(PortalBlocked):
            self.redis.hincrby(self.keys.run(run_id), "pages", 1)
            self._mark_blocked(run_id, request.url)
        elif getattr(failure.value, "response", None) is not None:
            self.redis.hincrby(self.keys.run(run_id), "pages", 1)
        try:
            errback = meta.get("ew_eb")
            if errback and not self.run_stopped(run_id):
                delegate = self.delegate(meta["ew_portal"], run_id, bool(meta.get("ew_full")))
                getattr(delegate, errback)(failure)
        except Exception:  # noqa: BLE001
            log.exception("errback for %s failed", request.url)
        finally:
            self.drain(delegate, run_id)
            self.request_done(meta)

    def save(self, delegate: Any, record: DocumentRecord, run_id: int) -> None:
        try:
            result = self.store.save_document(record, run_id)
            delegate.saved[result.outcome] += 1
            if result.outcome in ("new", "updated"):
                self.redis.hincrby(self.keys.run(run_id), result.outcome, 1)
        except Exception as exc:  # noqa: BLE001 — the run lists it, the crawl goes on
            log.exception("could not save %s", record.url)
            delegate.errors.append(FetchError(record.url, f"store refused the document: {type(exc).__name__}: {exc}"))

    def drain(self, delegate: Any, run_id: int) -> None:
        """Move what the portal spider noted (errors, list failures) into the shared tally."""
        if delegate is None:
            return
        errors, delegate.errors = list(delegate.errors), []
        failures, delegate.list_failures = delegate.list_failures, 0
        pipe = self.redis.pipeline()
        for error in errors:
            pipe.rpush(self.keys.errors(run_id), json.dumps({"url": error.url, "reason": error.reason}))
        pipe.expire(self.keys.errors(run_id), RUN_KEY_TTL)
        if failures:
            pipe.hincrby(self.keys.run(run_id), "list_failures", failures)
        pipe.execute()

    # --- bookkeeping --------------------------------------------------------------------------

    def taken(self, request: Request, queue: Any) -> None:
        """A request left the shared queue for this worker: note it in flight."""
        token = uuid.uuid4().hex
        data = queue._encode_request(request)
        request.meta["ew_token"] = token
        self.running[token] = request.meta
        self.redis.hset(self.keys.inflight, f"{self.worker_id}|{token}", pickle.dumps((-request.priority, data)))
        self._last_work = time.monotonic()

    def request_done(self, meta: dict[str, Any], dropped: bool = False) -> None:
        token = meta.get("ew_token")
        if token:
            self.running.pop(token, None)
            self.redis.hdel(self.keys.inflight, f"{self.worker_id}|{token}")
        self._finish_one(RunTally(self.redis, self.keys, int(meta["ew_run"])))

    def _finish_one(self, tally: RunTally) -> None:
        if tally.add(-1) > 0:
            return
        if tally.field("cancelled") or self._schedule_probes(tally) or not tally.claim_finish():
            return
        summary = finish_from_tally(self.store, tally)
        self.delegates.pop(tally.run_id, None)
        log.info("%s: run %s %s (%d new, %d updated, %d pages, %d errors)", summary.portal, summary.run_id,
                 summary.status, summary.docs_new, summary.docs_updated, summary.pages_fetched, summary.errors)

    def _schedule_probes(self, tally: RunTally) -> bool:
        """At the run's first zero: queue its withdrawal probes. True when the run goes on."""
        if not tally.claim_probes():
            return False
        snap = tally.snapshot()
        if tally.stopped() or int(snap.get("list_failures", 0)):
            return False  # a list we could not read vouches for nothing (as in a local run)
        portal, full = snap["portal"], snap.get("full") == "1"
        try:
            candidates = probe_candidates(self.store, self.redis, self.keys.coverage(tally.run_id), portal, tally.run_id)
            if not candidates:
                return False
            delegate = self.delegate(portal, tally.run_id, full)
            requests = [
                self.wrap(delegate.probe_request(url), portal, tally.run_id, full, counted=True)
                for url in candidates
            ]
        except Exception:  # noqa: BLE001 — no probes this run; the run itself is still closed
            log.exception("%s: run %s: could not work out withdrawal probes", portal, tally.run_id)
            return False
        # Counted before any is queued: another worker must not see zero after the first one.
        tally.add(len(requests))
        self.redis.hset(tally.key, "probes", len(requests))
        log.info("%s: run %s: probing %d known URLs missing from the lists", portal, tally.run_id, len(requests))
        for request in requests:
            self.crawler.engine.crawl(request)
        return True

    def run_stopped(self, run_id: int) -> str | None:
        cached = self._stopped_cache.get(run_id)
        now = time.monotonic()
        if cached is not None and now - cached[0] < 1.0:
            return cached[1]
        why = RunTally(self.redis, self.keys, run_id).stopped()
        self._stopped_cache[run_id] = (now, why)
        return why

    # --- hooks the crawler's middlewares call on "the spider" --------------------------------------

    blocked_reason = None  # per run here: see block(); ChallengeMiddleware reads this attribute

    def count_response(self, response: Response) -> None:
        """Called by ChallengeMiddleware before the response is tied to its request: counted in route()."""

    def block(self, reason: str, url: str) -> None:
        """A challenge page at ``url``; route_error() (its request's errback) marks the run blocked."""
        self._blocked_urls[url] = reason

    def _mark_blocked(self, run_id: int, url: str) -> None:
        reason = self._blocked_urls.pop(url, "challenge page")
        self.redis.hsetnx(self.keys.run(run_id), "blocked", f"{reason} at {url}")
        self._stopped_cache.pop(run_id, None)
        delegate = self.delegates.get(run_id)
        if delegate is not None:
            delegate.blocked_reason = reason


async def _iterate(result: Any) -> AsyncIterator[Any]:
    if result is None:
        return
    if inspect.isawaitable(result) and not hasattr(result, "__aiter__"):
        result = await result
        if result is None:
            return
    if hasattr(result, "__aiter__"):
        async for out in result:
            yield out
    elif isinstance(result, (Request, DocumentRecord)):
        yield result
    else:
        for out in result:
            yield out


# --- orphaned requests --------------------------------------------------------------------------------


def _requeue(server: redis.Redis, keys: Keys, field: bytes) -> bool:
    raw = server.hget(keys.inflight, field)
    if raw is None or not server.hdel(keys.inflight, field):
        return False  # another worker got there first
    score, data = pickle.loads(raw)
    server.execute_command("ZADD", keys.requests, score, data)
    return True


def requeue_orphans(server: redis.Redis, keys: Keys) -> int:
    """Put back requests taken by workers whose heartbeat has expired (killed mid-crawl)."""
    back = 0
    alive: dict[str, bool] = {}
    for field in server.hkeys(keys.inflight):
        worker = field.decode().split("|", 1)[0]
        if worker not in alive:
            alive[worker] = bool(server.exists(keys.worker(worker)))
        if not alive[worker] and _requeue(server, keys, field):
            back += 1
    if back:
        log.warning("returned %d request(s) of dead worker(s) to the queue", back)
    return back


def requeue_worker(server: redis.Redis, keys: Keys, worker_id: str) -> int:
    return sum(
        _requeue(server, keys, field)
        for field in server.hkeys(keys.inflight)
        if field.decode().split("|", 1)[0] == worker_id
    )


# --- the scheduler side -------------------------------------------------------------------------------


def enqueue_run(server: redis.Redis, keys: Keys, run_id: int, portal: str, full: bool = False) -> None:
    RunTally(server, keys, run_id).open(portal, full)
    server.rpush(keys.start_urls, json.dumps({"portal": portal, "run": run_id, "full": full}))


def crawl_distributed(
    db: Database,
    config: Config,
    portal: str,
    *,
    full: bool = False,
    trigger: str = "schedule",
    time_limit: float | None = None,
    stop: threading.Event | None = None,
    stall_timeout: float = DEFAULT_STALL_TIMEOUT,
    wait: bool = False,
    server: redis.Redis | None = None,
) -> RunSummary:
    """One run of ``portal`` done by the workers; returns when they have finished it.

    Holds ``crawl:<portal>`` like a local crawl (raises :class:`monitor.shell.jobs.PortalBusy`-style
    :class:`PortalBusyError` when someone else crawls the portal). A run that exceeds
    ``time_limit``, stalls (no worker progress for ``stall_timeout``), or is stopped, is
    cancelled: its remaining requests are dropped and the run is recorded as failed.
    """
    locks = Locks(db)
    holder = make_holder(trigger)
    name = f"crawl:{portal}"
    if wait:
        locks.wait_acquire(name, holder, CRAWL_LEASE_TTL, stop=stop)
    elif not locks.acquire(name, holder, CRAWL_LEASE_TTL):
        raise PortalBusyError(locks.get(name), name)
    keeper = LeaseKeeper(locks, name, holder, CRAWL_LEASE_TTL).start()
    own_server = server is None
    server = server or connect(config.redis)
    keys = Keys(config.redis.key_prefix)
    try:
        store = Store(db)
        store.sync_portals([config.portal(portal)])
        run_id = store.start_run(portal, full=full, trigger=trigger if trigger in ("manual", "schedule") else "worker")
        tally = RunTally(server, keys, run_id)
        enqueue_run(server, keys, run_id, portal, full)
        started = time.monotonic()
        why: str | None = None
        while True:
            with db.sessions() as session:
                status = session.get_one(CrawlRun, run_id).status
            if status != "running":
                break
            if stop is not None and stop.is_set():
                why = "stopped by shutdown"
            elif time_limit and time.monotonic() - started > time_limit:
                why = f"time limit of {time_limit:g} s exceeded"
            else:
                activity = float(tally.field("activity") or time.time())
                if time.time() - activity > stall_timeout:
                    why = f"no worker made progress for {stall_timeout:g} s (no worker running?)"
            if why:
                server.hset(tally.key, "cancelled", why)
                if tally.claim_finish():
                    _cancel(db, run_id, why, tally)
                break
            (stop.wait(0.5) if stop is not None else time.sleep(0.5))
        with db.sessions() as session:
            run = session.get_one(CrawlRun, run_id)
            return RunSummary(run.id, portal, run.status, run.reason, run.pages_fetched, run.docs_new,
                              run.docs_updated, run.errors)
    finally:
        keeper.stop(release=True)
        if own_server:
            server.close()


def _cancel(db: Database, run_id: int, why: str, tally: RunTally) -> None:
    with db.transaction() as session:
        run = session.get_one(CrawlRun, run_id)
        if run.status == "running":
            run.status, run.reason, run.finished_at = "failed", why, utcnow()
            run.pages_fetched = int(tally.field("pages") or 0)


# --- the worker process -----------------------------------------------------------------------------


def worker_settings(config: Config, config_path: str | None) -> dict[str, Any]:
    keys = Keys(config.redis.key_prefix)
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(settings_for_config(config), priority="project")
    middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    middlewares["crawler.distributed.RunGateMiddleware"] = 585
    settings.setdict({
        "EDUWATCH_CONFIG": config_path,
        "SCHEDULER": "crawler.distributed.RunScheduler",
        "DUPEFILTER_CLASS": "crawler.distributed.RunDupeFilter",
        "SCHEDULER_PERSIST": True,  # the queue outlives any one worker
        "SCHEDULER_QUEUE_KEY": keys.requests,
        "SCHEDULER_DUPEFILTER_KEY": keys.dupefilter,
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "REDIS_URL": config.redis.url,
        "REDIS_START_URLS_KEY": keys.start_urls,
        "REDIS_START_URLS_BATCH_SIZE": 1,
        "ITEM_PIPELINES": {},  # documents are saved by the router, against their own run
        "DOWNLOADER_MIDDLEWARES": middlewares,
        "LOG_LEVEL": os.environ.get("EDUWATCH_CRAWL_LOG_LEVEL", "WARNING"),
        # The list-page HTTP cache is per machine; a worker without the cached copy gets a 200.
    }, priority="cmdline")
    return settings  # type: ignore[return-value]


def run_worker(config_path: str | None, config: Config | None = None, *, idle_exit: float | None = None) -> int:
    """``eduwatch worker``: crawl whatever the queue holds until SIGTERM/SIGINT (or idle_exit)."""
    config = config or load_config(config_path)
    if config_path:
        os.environ["EDUWATCH_CONFIG"] = str(config_path)
    keys = Keys(config.redis.key_prefix)
    connect(config.redis).ping()  # fail now, with the URL's host in the message, if Redis is away
    process = CrawlerProcess(worker_settings(config, config_path), install_root_handler=False)
    process.crawl(DistributedSpider, config=config, keys=keys, idle_exit=idle_exit)
    freeze_startup_heap()
    process.start()
    return 0


def main(argv: Iterable[str] | None = None) -> int:
    """``python -m crawler.distributed [--config F] [--idle-exit S]``: a worker without the CLI."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m crawler.distributed")
    parser.add_argument("--config")
    parser.add_argument("--idle-exit", type=float)
    args = parser.parse_args(list(argv) if argv is not None else None)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    return run_worker(args.config, idle_exit=args.idle_exit)


if __name__ == "__main__":
    raise SystemExit(main())
