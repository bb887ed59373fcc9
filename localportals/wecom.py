"""A local HTTP server that answers like the WeCom (企业微信) group-robot webhook.

The one imitation the alerts tests and the alert benchmark share. It enforces what the real
robot does (see shared/notes/wecom.md): errors come with HTTP 200 and an ``errcode``;
``rate`` messages per ``window`` seconds per key (45009), unknown keys (93000), the byte
limits of UTF-8 content (40058: 4096 for markdown, 2048 for text), empty content (44004),
unknown message types (40008). Tests can make it stricter (``limit``, ``rate``, ``window``),
answer ``-1`` (busy) to the next ``busy`` requests, script the next errcodes, or play an
outage of the host (``outage``: see :mod:`localportals.receivers`).

Every request's answer and every accepted message is recorded with its arrival time, so a
caller can check what the robot saw (``max_in_window``, ``refused``)::

    with WecomServer(keys={"alpha-key-0001"}) as wecom:
        url = wecom.url("alpha-key-0001")
        ...
        wecom.accepted, wecom.max_in_window("alpha-key-0001")
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from localportals.receivers import JsonReceiver

OK = 0
BUSY = -1
BAD_JSON = 40001
BAD_MSGTYPE = 40008
TOO_LONG = 40058
EMPTY = 44004
TOO_FREQUENT = 45009
BAD_KEY = 93000

TEXT_LIMIT = 2048  # bytes of text.content; markdown's limit is WecomServer.limit


@dataclass
class Received:
    """One accepted message."""

    key: str
    content: str
    at: float  # time.monotonic() on arrival


@dataclass
class WecomServer(JsonReceiver):
    keys: set[str]
    rate: int = 20
    window: float = 60.0
    limit: int = 4096  # markdown (and markdown_v2) bytes
    busy: int = 0  # answer -1 to this many next requests
    script: list[int] = field(default_factory=list)  # errcodes for the next requests (0: decide normally)
    accepted: list[Received] = field(default_factory=list)
    answers: list[tuple[str, int]] = field(default_factory=list)  # (key, errcode) of every request
    _recent: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def respond(self, path: str, raw: bytes) -> dict[str, object]:
        key = (parse_qs(urlsplit(path).query).get("key") or [""])[0]
        errcode, errmsg = self.handle(key, raw)
        return {"errcode": errcode, "errmsg": errmsg}

    def url(self, key: str) -> str:
        return f"{self.base}/cgi-bin/webhook/send?key={key}"

    def handle(self, key: str, raw: bytes) -> tuple[int, str]:
        """The answer to one POST (also callable without HTTP)."""
        now = time.monotonic()
        with self._lock:
            errcode, errmsg = self._decide(key, raw, now)
            self.answers.append((key, errcode))
            return errcode, errmsg

    def _decide(self, key: str, raw: bytes, now: float) -> tuple[int, str]:
        if key not in self.keys:
            return BAD_KEY, "invalid webhook url"
        if self.script:
            scripted = self.script.pop(0)
            if scripted:
                return scripted, "scripted failure"
        if self.busy > 0:
            self.busy -= 1
            return BUSY, "system busy"
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return BAD_JSON, "invalid json"
        msgtype = data.get("msgtype") if isinstance(data, dict) else None
        if msgtype not in ("markdown", "markdown_v2", "text"):
            return BAD_MSGTYPE, "invalid message type"
        content = (data.get(msgtype) or {}).get("content") or ""
        if not content:
            return EMPTY, "empty content"
        if len(content.encode("utf-8")) > (TEXT_LIMIT if msgtype == "text" else self.limit):
            return TOO_LONG, "content exceed max length"
        recent = self._recent.setdefault(key, deque())
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        if len(recent) >= self.rate:
            return TOO_FREQUENT, "api freq out of limit"
        recent.append(now)
        self.accepted.append(Received(key, content, now))
        return OK, "ok"

    def accepted_by(self, key: str) -> list[Received]:
        with self._lock:
            return [r for r in self.accepted if r.key == key]

    def refused(self, errcode: int = TOO_FREQUENT) -> int:
        """How many requests got ``errcode`` (by default: "too frequent")."""
        with self._lock:
            return sum(1 for _, code in self.answers if code == errcode)

    def max_in_window(self, key: str) -> int:
        """The most accepted messages for ``key`` inside any window-long interval."""
        times = [r.at for r in self.accepted_by(key)]
        return max((sum(1 for t in times[i:] if t < start + self.window) for i, start in enumerate(times)), default=0)
