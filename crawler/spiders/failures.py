"""An operator's words for why a request failed (a FetchError's reason)."""

from __future__ import annotations

from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.politeness import RedirectLoop
from crawler.spiders.truncation import is_data_loss


def failure_reason(failure: Failure) -> str:
    """An operator's words for why a request failed."""
    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status}"  # type: ignore[union-attr]
    if is_data_loss(failure):
        return "truncated: the connection closed before the announced Content-Length (data loss)"
    if failure.check(RedirectLoop):
        return str(failure.value)
    value = failure.value
    return f"{type(value).__name__}: {value}"[:500]
