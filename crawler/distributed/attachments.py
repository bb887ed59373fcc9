"""SharedDownloads: one download per attachment file and run across all workers, as a local run has.

The first worker to claim a file (HSETNX on ``<p>:run:<id>:attachments``) downloads it and
publishes (size, text, error); the others wait for that result. A claimer that dies leaves
the claim empty: waiters give up after two minutes and download the file themselves.
"""

from __future__ import annotations

import asyncio
import json
import time

import redis
from scrapy.crawler import Crawler

from crawler.attachment_downloads import AttachmentDownloads, Download
from crawler.distributed.keys import RUN_KEY_TTL

CLAIM_WAIT = 120.0  # seconds a waiter trusts another worker's claim


class SharedDownloads(AttachmentDownloads):
    def __init__(self, crawler: Crawler, max_bytes: int, server: redis.Redis, key: str) -> None:
        super().__init__(crawler, max_bytes)
        self.server, self.key = server, key

    async def download(self, url: str, type_: str) -> Download:
        if self.server.hsetnx(self.key, url, b""):
            self.server.expire(self.key, RUN_KEY_TTL)
            try:
                result = await super().download(url, type_)
            except BaseException:
                self.server.hdel(self.key, url)
                raise
            self.server.hset(self.key, url, json.dumps(list(result)))
            return result
        published = await self._wait_for(url)
        return published if published is not None else await super().download(url, type_)

    async def _wait_for(self, url: str) -> Download | None:
        deadline = time.monotonic() + CLAIM_WAIT
        while time.monotonic() < deadline:
            raw = self.server.hget(self.key, url)
            if raw is None:
                return None  # the claimer gave up (its download raised)
            if raw:
                size, text, error = json.loads(raw)
                return size, text, error
            await asyncio.sleep(0.2)
        return None
