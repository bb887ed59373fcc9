"""WeCom group-robot webhooks: their limits and error codes, and posting one part.

WeCom counts UTF-8 *bytes*: 4096 for markdown (:data:`MARKDOWN_LIMIT`); the parts are cut by
:mod:`alerts.parts`, packed smaller after a ``40058``.

Success is ``errcode == 0`` in the JSON answer; HTTP 200 alone means nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx

from alerts import parts

from eduwatch.redact import install_log_redaction

install_log_redaction()  # httpx logs request URLs, and a webhook URL carries its key

MARKDOWN_LIMIT = 4096
MIN_LIMIT = parts.MIN_LIMIT

OK = 0
BUSY = -1
TOO_FREQUENT = 45009
TOO_LONG = 40058
BAD_WEBHOOK = 93000
RETRYABLE = {BUSY, TOO_FREQUENT}


def webhook_key(url: str) -> str:
    """The ``key`` parameter of a webhook URL (the robot's identity), else the URL itself."""
    keys = parse_qs(urlsplit(url).query).get("key")
    return keys[0] if keys else url


def split_markdown(content: str, limit: int = MARKDOWN_LIMIT) -> list[str]:
    """``content`` as WeCom parts of at most ``limit`` UTF-8 bytes, split on line boundaries."""
    return parts.split_markdown(content, limit)


@dataclass(frozen=True)
class WecomAnswer:
    errcode: int
    errmsg: str


class WecomTransportError(Exception):
    """No usable answer (connection, timeout, non-JSON): nothing says the message arrived.

    ``channel``: the webhook host as a whole failed (no connection, a timeout, HTTP 5xx, an
    answer that is not WeCom's) rather than this message or this webhook (HTTP 4xx): the
    deliverer then pauses the host (alerts.pauses) and charges no alert an attempt.
    """

    def __init__(self, message: str, *, channel: bool = True) -> None:
        super().__init__(message)
        self.channel = channel


def post_markdown(client: httpx.Client, url: str, content: str) -> WecomAnswer:
    """POST one markdown message; the answer's errcode decides (see module docstring)."""
    payload = {"msgtype": "markdown", "markdown": {"content": content}}
    try:
        response = client.post(url, json=payload)
    except httpx.HTTPError as exc:
        raise WecomTransportError(f"{type(exc).__name__}: {exc}") from None
    if response.status_code != 200:
        raise WecomTransportError(f"HTTP {response.status_code}", channel=response.status_code >= 500)
    try:
        data = response.json()
        return WecomAnswer(int(data.get("errcode", -999)), str(data.get("errmsg", "")))
    except (ValueError, TypeError, AttributeError):
        raise WecomTransportError(f"answer is not WeCom JSON: {response.text[:100]!r}") from None
