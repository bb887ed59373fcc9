"""WeCom group-robot webhooks: splitting markdown to the byte limit and posting it.

WeCom counts UTF-8 *bytes* (4096 for markdown; a Chinese character is 3). A message is cut
into pieces first (its lines; a line longer than :data:`PIECE_BYTES` is cut at character
boundaries), then pieces are packed into parts that fit, each part marked ``(i/n)``. Pieces
depend on the content only, not on the limit, so ``Alert.progress`` (pieces accepted) stays
meaningful when a ``40058`` makes us pack smaller.

Success is ``errcode == 0`` in the JSON answer; HTTP 200 alone means nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx

from eduwatch.redact import install_log_redaction

install_log_redaction()  # httpx logs request URLs, and a webhook URL carries its key

MARKDOWN_LIMIT = 4096
PIECE_BYTES = 1024
MIN_LIMIT = PIECE_BYTES + 64  # never pack smaller than one piece plus its mark
MARK_RESERVE = 32  # bytes kept free in each part for "(续)(12/34)\n"

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


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def pieces(content: str) -> list[str]:
    """``content`` as lines, overlong lines cut into <= PIECE_BYTES-byte pieces."""
    out: list[str] = []
    for line in content.split("\n"):
        if utf8_len(line) <= PIECE_BYTES:
            out.append(line)
            continue
        current, size = [], 0
        for char in line:
            width = utf8_len(char)
            if size + width > PIECE_BYTES:
                out.append("".join(current))
                current, size = [], 0
            current.append(char)
            size += width
        out.append("".join(current))
    return out


def pack(items: list[str], limit: int = MARKDOWN_LIMIT) -> list[list[str]]:
    """Greedy groups of pieces whose joined text (plus a mark) fits in ``limit`` bytes."""
    budget = max(limit, MIN_LIMIT) - MARK_RESERVE
    groups: list[list[str]] = []
    current: list[str] = []
    size = 0
    for piece in items:
        width = utf8_len(piece) + 1  # + the newline joining it
        if current and size + width > budget:
            groups.append(current)
            current, size = [], 0
        current.append(piece)
        size += width
    if current:
        groups.append(current)
    return groups


def format_parts(groups: list[list[str]], continued: bool = False) -> list[str]:
    """Texts of the parts: marked ``(i/n)`` when there are several, ``(续)`` when resuming."""
    texts = ["\n".join(group).strip("\n") or "…" for group in groups]
    prefix = "(续) " if continued else ""
    if len(texts) == 1:
        return [f"{prefix}{texts[0]}" if continued else texts[0]]
    return [f"{prefix}({i}/{len(texts)})\n{text}" for i, text in enumerate(texts, start=1)]


def split_markdown(content: str, limit: int = MARKDOWN_LIMIT) -> list[str]:
    """``content`` as parts of at most ``limit`` UTF-8 bytes, split on line boundaries."""
    return format_parts(pack(pieces(content), limit))


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
