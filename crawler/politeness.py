"""Politeness towards struggling portals and the gates in front of them.

* :class:`BackoffRetryMiddleware` — retry with backoff (below).
* :class:`CookieRedirectMiddleware` — some WAFs answer a first request with a 302 *to the same
  URL* that sets a cookie. The cookie jar (CookiesMiddleware) carries the cookie, but Scrapy's
  redirect keeps the request's ``dont_filter``, so the redirected request — same URL, same
  fingerprint — is silently dropped by the duplicate filter and the page is never fetched.
  This subclass lets a same-URL redirect through, and turns a redirect chain that never ends
  (a cookie that never sticks) into a :class:`RedirectLoop` with a plain reason.

Retry with backoff: a portal that answers 5xx, 429 or times out is given time to recover.

Scrapy's RetryMiddleware re-queues a failed request at once, so a struggling server gets
the same request again within milliseconds. This subclass waits ``RETRY_BACKOFF_BASE``
seconds before the first retry and doubles the wait for each further one (capped by
``RETRY_BACKOFF_MAX``), honouring a server's ``Retry-After`` when it asks for longer.
The wait is an ``asyncio.sleep`` inside the middleware: other requests keep flowing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings
from twisted.internet.error import DNSLookupError

log = logging.getLogger(__name__)


class RedirectLoop(IgnoreRequest):
    """A request was redirected more than REDIRECT_MAX_TIMES times."""


MAX_SAME_URL_REDIRECTS = 3  # a WAF cookie that has not stuck after three tries never will


class CookieRedirectMiddleware(RedirectMiddleware):
    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        same = request.meta.get("same_url_redirects", 0) + 1 if redirected.url == request.url else 0
        try:
            if same > MAX_SAME_URL_REDIRECTS:
                raise IgnoreRequest("max same-URL redirections reached")
            if not same and redirected.url in request.meta.get("redirect_urls", []):
                # A -> B -> A: the dupefilter would drop the second A without a word; say it.
                raise IgnoreRequest("redirect cycle")
            result = super()._redirect(redirected, request, reason)
        except IgnoreRequest:
            chain = [*request.meta.get("redirect_urls", []), request.url]
            where = "to itself" if len(set(chain)) == 1 else f"through {len(set(chain))} URLs"
            raise RedirectLoop(
                f"redirect loop: {request.url} redirected {where} {len(chain)} times "
                "(a WAF whose cookie never sticks?)"
            ) from None
        result.meta["same_url_redirects"] = same
        if same:
            result.dont_filter = True  # the same page again, now with the WAF's cookie
        return result


def backoff_delay(retry_number: int, base: float, cap: float, retry_after: float | None = None) -> float:
    """Seconds to wait before retry ``retry_number`` (1 for the first retry)."""
    delay = min(cap, base * 2 ** max(0, retry_number - 1))
    if retry_after is not None:
        delay = max(delay, min(cap, retry_after))
    return delay


def _retry_after(response: Response | None) -> float | None:
    if response is None:
        return None
    value = response.headers.get(b"Retry-After")
    if not value:
        return None
    try:
        return float(value.decode("ascii", "ignore").strip())
    except ValueError:
        return None  # an HTTP date: ignore it rather than guess a clock


_UNRESOLVABLE = (CannotResolveHostError, DNSLookupError)


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        retry = super().process_response(request, response)
        if isinstance(retry, Request):
            await self._wait(retry, response)
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:  # type: ignore[override]
        if isinstance(exception, _UNRESOLVABLE):
            # A host name that does not resolve will not resolve a second later: no retries,
            # so a dead or mistyped portal fails in milliseconds, not after backoffs.
            return None
        retry = super().process_exception(request, exception)
        if isinstance(retry, Request):
            await self._wait(retry, None)
        return retry

    async def _wait(self, retry: Request, response: Response | None) -> None:
        number = int(retry.meta.get("retry_times", 1))
        delay = backoff_delay(number, self.backoff_base, self.backoff_max, _retry_after(response))
        log.debug("backing off %.2fs before retry %d of %s", delay, number, retry.url)
        await asyncio.sleep(delay)
