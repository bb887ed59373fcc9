"""Benchmark 6 — alerts: 1,000 e-mails through a real SMTP server, and a WeCom burst.

E-mail: 1,000 pending alerts (one subscriber, 1,000 new-plan events) delivered by one
``alerts.delivery.deliver_pending`` pass to a local aiosmtpd server. Target: < 30 s.

WeCom: one busy group robot owed 40 messages and two quiet ones owed 3 each, posted to a
local HTTP server that answers like WeCom (20 messages per 60 s per key, else errcode
45009). Targets: the busy webhook never exceeds 20 per window (and WeCom never has to say
45009), while the quiet webhooks get everything within seconds — not held back behind it.
The full run also replays the burst with a 6 s window (both sides) over several windows.
"""

from __future__ import annotations

import json
import socket
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller

from alerts.delivery import deliver_pending
from alerts.outbox import enqueue_alerts
from alerts.ratelimit import SlidingWindowLimiter
from alerts.subscribers import SubscriberSpec, add_subscriber
from benchmarks.report import Report, at_most
from eduwatch.config import Config, CrawlConfig, DatabaseConfig, DeliveryConfig, EmailConfig, WecomConfig
from storage.database import Database
from storage.models import Document, Event, Portal, Source

FULL_EMAILS, QUICK_EMAILS = 1_000, 100
BUSY, QUIET = 40, 3
RATE = 20


class _Sink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd naming)
        self.count += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class WecomImitation:
    """Answers like the group-robot webhook: ``rate`` per ``window`` seconds per key, else 45009."""

    rate: int = RATE
    window: float = 60.0
    accepted: dict[str, list[float]] = field(default_factory=dict)
    refused: int = 0
    _recent: dict[str, deque] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> "WecomImitation":
        imitation = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                key = (parse_qs(urlsplit(self.path).query).get("key") or [""])[0]
                body = json.dumps(imitation.answer(key)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def url(self, key: str) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/cgi-bin/webhook/send?key={key}"

    def answer(self, key: str) -> dict[str, object]:
        now = time.monotonic()
        with self._lock:
            recent = self._recent.setdefault(key, deque())
            while recent and recent[0] <= now - self.window:
                recent.popleft()
            if len(recent) >= self.rate:
                self.refused += 1
                return {"errcode": 45009, "errmsg": "api freq out of limit"}
            recent.append(now)
            self.accepted.setdefault(key, []).append(now)
            return {"errcode": 0, "errmsg": "ok"}

    def max_in_window(self, key: str) -> int:
        times = self.accepted.get(key, [])
        return max((sum(1 for t in times[i:] if t < start + self.window) for i, start in enumerate(times)), default=0)


def _config(url: str, smtp_port: int = 1) -> Config:
    return Config(
        database=DatabaseConfig(url=url), crawl=CrawlConfig(), portals=(),
        email=EmailConfig(host="127.0.0.1", port=smtp_port, from_addr="eduwatch@bench.example", timeout=10),
        wecom=WecomConfig(rate_per_minute=RATE, timeout=10),
        delivery=DeliveryConfig(max_attempts=4, backoff_base=10, backoff_max=600),
    )


def _publish(db: Database, portal_name: str, count: int) -> None:
    """``count`` new rural-education plans on ``portal_name``, each event with its alerts enqueued."""
    with db.transaction() as session:
        portal = Portal(name=portal_name, title=f"{portal_name}人民政府", region="广东省揭阳市惠来县",
                        platform="gkmlpt", base_url=f"http://{portal_name}.gov.cn")
        session.add(portal)
        session.flush()
        for n in range(count):
            document = Document(
                title=f"{portal_name}关于印发乡村教育振兴行动方案（{n}）的通知", content_hash=f"{n:064d}",
                body="为推进乡村教育振兴，加强乡村学校建设，制定本方案。\n" * 20, publisher=f"{portal_name}人民政府办公室",
                doc_no=f"惠府办〔2024〕{n}号", published_date=date(2024, 5, 1), is_rural_plan=True, rural_score=0.9,
                rural_evidence=[{"field": "title", "phrase": "乡村教育", "weight": 3.0, "count": 1}],
            )
            session.add(document)
            session.flush()
            session.add(Source(url=f"{portal.base_url}/gkmlpt/content/{n}.html", document_id=document.id,
                               portal_id=portal.id))
            event = Event(kind="new", document_id=document.id, portal_id=portal.id, is_rural_plan=True,
                          summary=f"new: {document.title}")
            session.add(event)
            session.flush()
            enqueue_alerts(session, event)


def email_burst(report: Report, workdir: Path, count: int) -> None:
    sink = _Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    db = Database(f"sqlite:///{workdir / 'email.db'}")
    try:
        with db.transaction() as session:
            add_subscriber(session, SubscriberSpec("规划科", email="guihua@bench.example"))
        _publish(db, "huilai", count)
        begun = time.perf_counter()
        result = deliver_pending(db, _config(db.url, port))
        seconds = time.perf_counter() - begun
    finally:
        db.dispose()
        controller.stop()
    report.figure(f"{count:,} e-mails, one delivery pass", seconds, "s",
                  target="< 30" if count >= FULL_EMAILS else None, check=at_most(30.0) if count >= FULL_EMAILS else None,
                  note=f"{sink.count} accepted by aiosmtpd, report sent={result.sent} failed={result.failed}; "
                       f"{count / seconds:.0f} e-mails/s")


def wecom_burst(report: Report, workdir: Path, window: float, passes: int, busy: int, label: str) -> None:
    imitation = WecomImitation(window=window).start()
    db = Database(f"sqlite:///{workdir / f'wecom-{window:g}.db'}")
    keys = {"busy": "busy-key-0001", "quiet1": "quiet-key-0002", "quiet2": "quiet-key-0003"}
    try:
        with db.transaction() as session:
            add_subscriber(session, SubscriberSpec("busy", wecom_webhook=imitation.url(keys["busy"]),
                                                   portals=["busyportal"]))
            for name in ("quiet1", "quiet2"):
                add_subscriber(session, SubscriberSpec(name, wecom_webhook=imitation.url(keys[name]),
                                                       portals=["quietportal"]))
        _publish(db, "busyportal", busy)
        _publish(db, "quietportal", QUIET)
        limiter = SlidingWindowLimiter(RATE, window)
        config = _config(db.url)
        begun = time.monotonic()
        sent = 0
        for _ in range(passes):  # the daemon's successive passes share one limiter
            sent += deliver_pending(db, config, limiter=limiter, max_wait=window / 2).sent
            if sum(len(v) for v in imitation.accepted.values()) >= busy + 2 * QUIET:
                break
            time.sleep(window / 4)  # the daemon's interval between passes, scaled with the window
        elapsed = time.monotonic() - begun
    finally:
        db.dispose()
        imitation.stop()
    busy_peak = imitation.max_in_window(keys["busy"])
    quiet_last = max(max(imitation.accepted.get(keys[q], [begun])) - begun for q in ("quiet1", "quiet2"))
    quiet_got = sum(len(imitation.accepted.get(keys[q], [])) for q in ("quiet1", "quiet2"))
    report.figure(f"{label} busy webhook, most in any {window:g} s window", busy_peak, "messages",
                  target=f"≤ {RATE}", check=at_most(RATE),
                  note=f"{len(imitation.accepted.get(keys['busy'], []))} of {busy} delivered in {elapsed:.1f} s "
                       f"over ≤ {passes} pass(es); WeCom refused {imitation.refused} (45009)")
    report.figure(f"{label} quiet webhooks, last message after", quiet_last, "s", target="< 5", check=at_most(5.0),
                  note=f"{quiet_got} of {2 * QUIET} delivered while the busy webhook was throttled")


def run(report: Report, quick: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="eduwatch-bench-alerts-") as tmp:
        workdir = Path(tmp)
        email_burst(report, workdir, QUICK_EMAILS if quick else FULL_EMAILS)
        # One pass against WeCom's real 60 s window: 20 go, the rest wait for the next pass.
        wecom_burst(report, workdir, 60.0, 1, BUSY, "WeCom 60 s:")
        if not quick:  # the same rule over several windows, time compressed 10× on both sides
            wecom_burst(report, workdir, 6.0, 16, 3 * BUSY // 2, "WeCom 6 s:")
