"""A real local HTTP server that answers like the WeCom group-robot webhook.

It enforces what the real one does (see shared/notes/wecom.md): the 4096-byte markdown limit
(40058), ``rate`` messages per ``window`` seconds per key (45009), unknown keys (93000), empty
content (44004), and answers ``-1`` (busy) for the next ``busy`` requests when told to. Every
request and every accepted message is recorded with its arrival time.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Received:
    key: str
    content: str
    at: float  # time.monotonic() on arrival


@dataclass
class FakeWecom:
    keys: set[str]
    rate: int = 20
    window: float = 60.0
    limit: int = 4096
    busy: int = 0  # answer -1 to this many next requests
    script: list[int] = field(default_factory=list)  # errcodes for the next requests (0: decide normally)
    accepted: list[Received] = field(default_factory=list)
    answers: list[tuple[str, int]] = field(default_factory=list)  # (key, errcode) of every request
    _recent: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> FakeWecom:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server naming)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                key = (parse_qs(urlsplit(self.path).query).get("key") or [""])[0]
                errcode, errmsg = fake.handle(key, raw)
                body = json.dumps({"errcode": errcode, "errmsg": errmsg}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, key: str) -> str:
        return f"{self.base}/cgi-bin/webhook/send?key={key}"

    def handle(self, key: str, raw: bytes) -> tuple[int, str]:
        now = time.monotonic()
        with self._lock:
            errcode, errmsg = self._decide(key, raw, now)
            self.answers.append((key, errcode))
            return errcode, errmsg

    def _decide(self, key: str, raw: bytes, now: float) -> tuple[int, str]:
        if key not in self.keys:
            return 93000, "invalid webhook url"
        if self.script:
            scripted = self.script.pop(0)
            if scripted:
                return scripted, "scripted failure"
        if self.busy > 0:
            self.busy -= 1
            return -1, "system busy"
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return 40001, "invalid json"
        if data.get("msgtype") != "markdown":
            return 40008, "invalid message type"
        content = (data.get("markdown") or {}).get("content") or ""
        if not content:
            return 44004, "empty content"
        if len(content.encode("utf-8")) > self.limit:
            return 40058, "content exceed max length"
        recent = self._recent.setdefault(key, deque())
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        if len(recent) >= self.rate:
            return 45009, "api freq out of limit"
        recent.append(now)
        self.accepted.append(Received(key, content, now))
        return 0, "ok"

    def max_in_window(self, key: str) -> int:
        """The most accepted messages for ``key`` inside any window-long interval."""
        times = [r.at for r in self.accepted if r.key == key]
        best = 0
        for i, start in enumerate(times):
            best = max(best, sum(1 for t in times[i:] if t < start + self.window))
        return best
