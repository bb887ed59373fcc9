"""Redis keys of the distributed mode, in one place (all under ``[redis] key_prefix``)."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from eduwatch.config import RedisConfig

WORKER_TTL = 10  # seconds a worker's heartbeat lives; beats every 3 s
RUN_KEY_TTL = 7 * 86400  # a run's tally, errors and dupefilter outlive any run by far


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
