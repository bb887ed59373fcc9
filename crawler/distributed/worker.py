"""The worker: one long-lived Scrapy process whose spider routes every response to the
portal spider of its run (``eduwatch worker``)."""

from __future__ import annotations

import inspect
import json
import logging
import os
import pickle
import socket
import threading
import time
import uuid
from typing import Any, AsyncIterator

import redis
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro
from scrapy_redis.spiders import RedisSpider
from twisted.internet import task
from twisted.python.failure import Failure

from crawler.blocking import PortalBlocked
from crawler.distributed.attachments import SharedDownloads
from crawler.distributed.keys import RUN_KEY_TTL, WORKER_TTL, Keys
from crawler.distributed.probes import probe_candidates, share_walk
from crawler.distributed.queue import requeue_orphans, requeue_worker
from crawler.distributed.tally import RunTally, finish_from_tally
from crawler.pipelines import save_records
from crawler.revisits import freshness_settings, record_deep_walk_now
from crawler.spiders import spider_for
from eduwatch.config import Config
from storage.database import Database
from storage.records import DocumentRecord
from storage.store import Store

log = logging.getLogger("eduwatch.distributed")

SPIDER_NAME = "eduwatch_worker"


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
        """This worker's instance of the portal's own spider for ``run_id``, composed with the
        run's shared list walk and attachment downloads."""
        found = self.delegates.get(run_id)
        if found is not None:
            return found
        cls = spider_for(self.config.portal(portal).platform)
        spider = cls(portal=portal, run_id=run_id, full=full, config=self.config, store=self.store, trigger="worker")
        spider.settings = self.crawler.settings
        downloads = SharedDownloads(self.crawler, self.config.crawl.max_attachment_bytes, self.redis,
                                    f"{self.keys.run(run_id)}:attachments")
        tally = RunTally(self.redis, self.keys, run_id)
        decided = tally.plan()  # None on the seed's worker: it plans the run for every worker
        spider.setup(self.crawler, share_walk=lambda walk: share_walk(walk, self.redis, self.keys.coverage(run_id)),
                     downloads=downloads, decided=decided)
        if decided is None:
            tally.set_plan(spider.freshness.revisit, spider.freshness.deep)
        for old in [r for r in self.delegates if r < run_id - 1000]:
            self.delegates.pop(old, None)
        self.delegates[run_id] = spider
        return spider

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
        """Save now, into the run; new/updated are counted in Redis too (exact across workers)."""
        results = save_records(self.store, [record], run_id, delegate.book)
        for result in results:
            if result is not None and result.outcome in ("new", "updated"):
                self.redis.hincrby(self.keys.run(run_id), result.outcome, 1)
        delegate.freshness.saved([record], [r.outcome if r is not None else None for r in results])

    def drain(self, delegate: Any, run_id: int) -> None:
        """Move what the portal spider noted (errors, list failures) into the shared tally."""
        if delegate is None:
            return
        errors, failures = delegate.book.drain()
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
        inflight = None
        if token:
            self.running.pop(token, None)
            inflight = (self.keys.inflight, f"{self.worker_id}|{token}")
        self._finish_one(RunTally(self.redis, self.keys, int(meta["ew_run"])), inflight)

    def _finish_one(self, tally: RunTally, inflight: tuple[str, str] | None = None) -> None:
        if tally.add(-1, done_inflight=inflight) > 0:
            return
        if tally.field("cancelled") or self._schedule_probes(tally) or not tally.claim_finish():
            return
        summary = finish_from_tally(self.store, tally)
        self._record_deep_walk(tally, summary.portal, summary.status)
        self.delegates.pop(tally.run_id, None)
        log.info("%s: run %s %s (%d new, %d updated, %d pages, %d errors)", summary.portal, summary.run_id,
                 summary.status, summary.docs_new, summary.docs_updated, summary.pages_fetched, summary.errors)

    def _record_deep_walk(self, tally: RunTally, portal: str, status: str) -> None:
        """A run planned as a deep walk that closed ok walked every list to its end."""
        plan = tally.plan()
        if plan is not None and plan[1] and status == "ok":
            portal_config = self.config.portal(portal)
            record_deep_walk_now(self.db, portal, freshness_settings(self.config, portal_config))

    def _schedule_probes(self, tally: RunTally) -> bool:
        """At the run's first zero: queue its withdrawal probes and the planned revisits no list
        page asked for (the walk stopped above them). True when the run goes on."""
        if not tally.claim_probes():
            return False
        snap = tally.snapshot()
        if tally.stopped():
            return False
        portal, full = snap["portal"], snap.get("full") == "1"
        try:
            delegate = self.delegate(portal, tally.run_id, full)
            # A list we could not read vouches for nothing (as in a local run): no probes then.
            candidates = ([] if int(snap.get("list_failures", 0)) else
                          probe_candidates(self.store, self.redis, self.keys.coverage(tally.run_id), portal, tally.run_id))
            listed = self.store.listed_in_run(portal, tally.run_id)
            revisits = sorted(url for url in delegate.freshness.revisit if url not in listed and url not in candidates)
            requests = [delegate.probe_request(url) for url in candidates] + [
                delegate.revisit_request(url) for url in revisits if url in delegate.walk.known]
            requests = [self.wrap(request, portal, tally.run_id, full, counted=True) for request in requests]
        except Exception:  # noqa: BLE001 — no probes this run; the run itself is still closed
            log.exception("%s: run %s: could not work out withdrawal probes and revisits", portal, tally.run_id)
            return False
        if not requests:
            return False
        # Counted before any is queued: another worker must not see zero after the first one.
        tally.add(len(requests))
        self.redis.hset(tally.key, mapping={"probes": len(candidates), "revisits": len(requests) - len(candidates)})
        log.info("%s: run %s: probing %d known URLs missing from the lists, revisiting %d", portal, tally.run_id,
                 len(candidates), len(requests) - len(candidates))
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
        if self.redis.hsetnx(self.keys.run(run_id), "blocked", reason):
            self.redis.hset(self.keys.run(run_id), "blocked_url", url)
        self._stopped_cache.pop(run_id, None)
        delegate = self.delegates.get(run_id)
        if delegate is not None:
            delegate.book.blocked_reason = reason


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
