"""Retries: transient failures are retried with backoff; a host that does not resolve is not."""

from __future__ import annotations

import asyncio

from scrapy import Request, Spider
from scrapy.exceptions import CannotResolveHostError, DownloadTimeoutError
from scrapy.utils.test import get_crawler
from twisted.internet.error import DNSLookupError

from crawler.politeness import BackoffRetryMiddleware


def _middleware() -> BackoffRetryMiddleware:
    crawler = get_crawler(Spider, {"RETRY_TIMES": 2, "RETRY_BACKOFF_BASE": 0.0, "RETRY_BACKOFF_MAX": 0.0})
    crawler.spider = crawler._create_spider("probe")
    return BackoffRetryMiddleware.from_crawler(crawler)


def test_unresolvable_host_is_not_retried() -> None:
    middleware = _middleware()
    request = Request("http://www.nowhere-county.invalid/gkmlpt/index")
    for error in (CannotResolveHostError("no such host"), DNSLookupError("no such host")):
        assert asyncio.run(middleware.process_exception(request, error)) is None


def test_a_timeout_is_retried() -> None:
    middleware = _middleware()
    retry = asyncio.run(middleware.process_exception(Request("http://127.0.0.1:9/x"), DownloadTimeoutError("slow")))
    assert isinstance(retry, Request) and retry.meta["retry_times"] == 1
