"""The shared queue's pieces: a dupefilter per run, a scheduler that notes requests in flight,
a gate for stopped runs, and putting back the requests of workers that died."""

from __future__ import annotations

import logging
import pickle

import redis
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from crawler.distributed.keys import RUN_KEY_TTL, Keys

log = logging.getLogger("eduwatch.distributed")


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
            if hasattr(spider, "request_done"):
                spider.request_done(request.meta, dropped=True)
        return queued

    def next_request(self) -> Request | None:
        request = super().next_request()
        if request is not None and hasattr(self.spider, "taken"):
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
        if run is None or not hasattr(spider, "request_done"):
            return None
        why = spider.run_stopped(int(run))
        if why:
            raise IgnoreRequest(f"run {run} takes no more requests ({why})")
        return None


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
