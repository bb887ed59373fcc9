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


def test_a_redirect_cycle_between_two_urls_is_an_error_not_a_silent_drop() -> None:
    """A -> B -> A: without the check the second A is dropped by the dupefilter without an error."""
    import pytest
    from scrapy.http import HtmlResponse, Request

    from crawler.politeness import CookieRedirectMiddleware, RedirectLoop

    crawler = get_crawler(Spider, {"REDIRECT_MAX_TIMES": 20})
    crawler.spider = Spider("x")
    middleware = CookieRedirectMiddleware.from_crawler(crawler)
    a, b = "http://127.0.0.1:1/a.html", "http://127.0.0.1:1/b.html"
    first = Request(a)
    to_b = middleware.process_response(first, HtmlResponse(a, status=302, headers={"Location": b}))
    assert isinstance(to_b, Request) and to_b.url == b
    with pytest.raises(RedirectLoop, match="redirect loop: http://127.0.0.1:1/b.html redirected through 2 URLs"):
        middleware.process_response(to_b, HtmlResponse(b, status=302, headers={"Location": a}))
