"""HTTP servers for the imitation portals, bound to loopback only.

* :class:`PortalServer` — one site on ``127.0.0.1:<ephemeral port>``; what tests use.
* :class:`MultiSiteServer` — many sites for benchmarks: every site gets its own loopback
  address (``127.0.1.1``, ``127.0.1.2`` … the whole 127.0.0.0/8 is loopback on Linux) on one
  shared port; a single selector thread accepts on all of them and a fixed thread pool answers,
  so 2,000 sites cost 2,000 sockets but no extra threads. No DNS is needed.

Both speak HTTP/1.0-style ``Connection: close`` so a slow client never pins a worker.
"""

from __future__ import annotations

import selectors
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterable

from localportals.model import RequestRecord, Site
from localportals.pipeline import Request, handle


class _Handler(BaseHTTPRequestHandler):
    server_version = "nginx"
    sys_version = ""
    protocol_version = "HTTP/1.0"

    def _site(self) -> Site:
        return self.server.site_for(self.connection)  # type: ignore[attr-defined]

    def _serve(self, send_body: bool = True) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(self.command, self.path, {k: v for k, v in self.headers.items()}, body)
        status, headers, payload = handle(self._site(), request)
        self.send_response(status)
        for key, value in headers.items():
            if key != "Content-Length":
                self.send_header(key, value)
        # A declared length other than the payload's is the truncation fault (see localportals.faults).
        self.send_header("Content-Length", headers.get("Content-Length", str(len(payload))))
        self.send_header("Connection", "close")
        self.end_headers()
        if send_body and self.command != "HEAD":
            self.wfile.write(payload)

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self._serve()

    def do_POST(self) -> None:  # noqa: N802
        self._serve()

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(send_body=False)

    def log_message(self, format: str, *args: object) -> None:  # quiet: the site log records requests
        return


class _OneSiteHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, site: Site) -> None:
        self.site = site
        super().__init__(("127.0.0.1", 0), _Handler)

    def site_for(self, connection: socket.socket) -> Site:
        return self.site


class PortalServer:
    """Serve one :class:`Site` on 127.0.0.1 with an ephemeral port.

    >>> with PortalServer(site) as server:
    ...     urllib.request.urlopen(server.base_url + "/gkmlpt/index")
    """

    def __init__(self, site: Site) -> None:
        self.site = site
        self._httpd: _OneSiteHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> "PortalServer":
        self._httpd = _OneSiteHTTPServer(self.site)
        host, port = self._httpd.server_address[:2]
        self.site.base_url = f"http://{host}:{port}{self.site.prefix}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"portal-{self.site.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "PortalServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        """The site's base URL, including its path prefix (gkmlpt under /swlhjyj …)."""
        return self.site.base_url

    @property
    def root_url(self) -> str:
        return self.site.base_url_root

    @property
    def log(self) -> list[RequestRecord]:
        return self.site.log

    def reset_log(self) -> None:
        self.site.reset_log()


def loopback_address(n: int) -> str:
    """The n-th site's address: 127.0.1.1 … 127.0.1.254, 127.0.2.1 … (never 127.0.0.1)."""
    return f"127.{n // (254 * 254)}.{n // 254 % 254 + 1}.{n % 254 + 1}"


class MultiSiteServer:
    """Serve many sites cheaply: one loopback address per site, one port, one accept thread, a pool.

    ``sites[n].base_url`` becomes ``http://127.0.x.y:PORT{prefix}``. Needs one file descriptor
    per site (raise ``ulimit -n`` beyond ~1,000 sites on systems with the old 1024 limit).
    """

    def __init__(self, sites: Iterable[Site], workers: int = 16) -> None:
        self.sites = list(sites)
        self.workers = workers
        self.port = 0
        self._selector: selectors.BaseSelector | None = None
        self._sockets: list[socket.socket] = []
        self._pool: ThreadPoolExecutor | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._by_address: dict[str, Site] = {}

    def start(self) -> "MultiSiteServer":
        self._selector = selectors.DefaultSelector()
        for n, site in enumerate(self.sites):
            address = loopback_address(n)
            sock = self._listen(address)
            if self.port == 0:
                self.port = sock.getsockname()[1]
            self._sockets.append(sock)
            self._by_address[address] = site
            site.base_url = f"http://{address}:{self.port}{site.prefix}"
            self._selector.register(sock, selectors.EVENT_READ, site)
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="multisite")
        self._thread = threading.Thread(target=self._accept_loop, name="multisite-accept", daemon=True)
        self._thread.start()
        return self

    def _listen(self, address: str) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, self.port))
        sock.listen(64)
        sock.setblocking(False)
        return sock

    def _accept_loop(self) -> None:
        assert self._selector is not None and self._pool is not None
        while not self._stopping.is_set():
            for key, _ in self._selector.select(timeout=0.1):
                try:
                    conn, peer = key.fileobj.accept()  # type: ignore[union-attr]
                except (BlockingIOError, OSError):
                    continue
                conn.setblocking(True)
                conn.settimeout(30)
                self._pool.submit(self._serve, conn, peer, key.data)

    def _serve(self, conn: socket.socket, peer: tuple[str, int], site: Site) -> None:
        shim = _SiteShim(site)
        try:
            _Handler(conn, peer, shim)
        except Exception:  # a client hanging up mid-request is not a server failure
            pass
        finally:
            try:
                conn.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            conn.close()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        if self._selector is not None:
            self._selector.close()
        for sock in self._sockets:
            sock.close()
        self._sockets.clear()

    def __enter__(self) -> "MultiSiteServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _SiteShim:
    """The ``server`` object BaseHTTPRequestHandler expects, bound to one site."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def site_for(self, connection: socket.socket) -> Site:
        return self.site
