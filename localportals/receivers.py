"""What every local chat-robot imitation shares: an HTTP server on 127.0.0.1 that answers JSON.

WeCom's (:mod:`localportals.wecom`), DingTalk's and Feishu's (:mod:`localportals.robots`)
imitations differ only in how they judge a POST (:meth:`JsonReceiver.respond`); serving,
outages and restarting on the same port live here once.

Outages: ``outage = 503`` answers every request with that HTTP status; ``outage = -1`` accepts
the connection and closes it without an answer; ``stop()`` refuses connections, and ``start()``
again serves on the same port.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(kw_only=True)
class JsonReceiver:
    outage: int | None = None  # see the module docstring
    port: int = 0  # 0: any free port; kept after the first start, so a stopped receiver comes back there
    _server: ThreadingHTTPServer | None = None

    name = "receiver"

    def respond(self, path: str, raw: bytes) -> dict[str, Any]:
        """The JSON answer (HTTP 200: robots answer refusals with 200 too) to one POST."""
        raise NotImplementedError

    def start(self) -> Any:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server naming)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if receiver.outage == -1:
                    self.close_connection = True
                    return
                if receiver.outage:
                    self.send_response(receiver.outage)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = json.dumps(receiver.respond(self.path, raw), ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True, name=f"{self.name}-imitation").start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base(self) -> str:
        assert self._server is not None, "start() the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"
