"""Benchmark 6 — alerts: 1,000 e-mails through a real SMTP server, and a WeCom burst.

E-mail: 1,000 pending alerts (one subscriber, 1,000 new-plan events) delivered by one
``alerts.delivery.deliver_pending`` pass to a local aiosmtpd server. Target: < 30 s.

WeCom: one busy group robot owed 40 messages and two quiet ones owed 3 each, posted to the
local robot imitation (:class:`localportals.wecom.WecomServer`: 20 messages per 60 s per key,
else errcode 45009). Targets: the busy webhook never exceeds 20 per window (and WeCom never
has to say 45009); the quiet webhooks get everything within seconds — not held back behind
it; every delivery pass returns within seconds instead of sleeping for the busy webhook's
window (what does not fit stays pending, due when the window has room); and later passes,
15 s apart like a daemon's, deliver the rest within the limit. The full run does this against
the real 60 s window (about 75 s); both runs replay it with a 6 s window (both sides, the
passes 1.5 s apart) over three windows.
"""

from __future__ import annotations

import socket
import tempfile
import time
from datetime import date
from pathlib import Path

from aiosmtpd.controller import Controller

from alerts.delivery import DeliveryReport, deliver_pending
from alerts.outbox import enqueue_alerts
from alerts.ratelimit import SlidingWindowLimiter
from alerts.subscribers import SubscriberSpec, add_subscriber
from benchmarks.report import Report, at_most
from eduwatch.config import Config, CrawlConfig, DatabaseConfig, DeliveryConfig, EmailConfig, WecomConfig
from localportals.wecom import WecomServer
from storage.database import Database
from storage.models import Document, Event, Portal, Source, utcnow

FULL_EMAILS, QUICK_EMAILS = 1_000, 100
BUSY, QUIET = 40, 3
RATE = 20
MOST_PASSES = 40


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


def wecom_burst(report: Report, workdir: Path, window: float, busy: int, label: str) -> None:
    """Delivery passes at the daemon's interval (scaled with the window) until nothing waits."""
    keys = {"busy": "busy-key-0001", "quiet1": "quiet-key-0002", "quiet2": "quiet-key-0003"}
    robot = WecomServer(keys=set(keys.values()), rate=RATE, window=window).start()
    db = Database(f"sqlite:///{workdir / f'wecom-{window:g}.db'}")
    passes: list[tuple[float, DeliveryReport]] = []  # (seconds until the pass returned, its report)
    interval, max_wait = window / 4, window / 30  # 15 s and the default 2 s at WeCom's real window
    try:
        with db.transaction() as session:
            add_subscriber(session, SubscriberSpec("busy", wecom_webhook=robot.url(keys["busy"]),
                                                   portals=["busyportal"]))
            for name in ("quiet1", "quiet2"):
                add_subscriber(session, SubscriberSpec(name, wecom_webhook=robot.url(keys[name]),
                                                       portals=["quietportal"]))
        _publish(db, "busyportal", busy)
        _publish(db, "quietportal", QUIET)
        limiter = SlidingWindowLimiter(RATE, window)  # the daemon's successive passes share one limiter
        config = _config(db.url)
        begun = time.monotonic()
        first_at = utcnow()
        while True:
            started = time.monotonic()
            result = deliver_pending(db, config, limiter=limiter, max_wait=max_wait)
            passes.append((time.monotonic() - started, result))
            if not result.waiting or len(passes) >= MOST_PASSES:
                break
            time.sleep(max(0.0, begun + interval * len(passes) - time.monotonic()))  # a fixed schedule
        elapsed = time.monotonic() - begun
    finally:
        db.dispose()
        robot.stop()
    busy_got = len(robot.accepted_by(keys["busy"]))
    quiet_last = max(max((r.at for r in robot.accepted_by(keys[q])), default=begun) - begun for q in ("quiet1", "quiet2"))
    quiet_got = sum(len(robot.accepted_by(keys[q])) for q in ("quiet1", "quiet2"))
    first = passes[0][1]
    due = (first.next_at - first_at).total_seconds() if first.next_at else float("nan")
    slowest = max(passes, key=lambda p: p[0])
    report.figure(f"{label} slowest delivery pass, returned after", slowest[0], "s", target="< 5", check=at_most(5.0),
                  note=f"pass {passes.index(slowest) + 1} of {len(passes)}, {interval:g} s apart (sent "
                       f"{slowest[1].sent}); the first sent {first.sent} and left {first.waiting} pending, "
                       f"the first of them due after {due:.1f} s")
    report.figure(f"{label} busy webhook, most in any {window:g} s window", robot.max_in_window(keys["busy"]),
                  "messages", target=f"≤ {RATE}", check=at_most(RATE),
                  note=f"WeCom refused {robot.refused()} (45009)")
    report.figure(f"{label} busy webhook, alerts delivered", busy_got, "alerts", target=f"= {busy}",
                  check=lambda got: got == busy,
                  note=f"in {elapsed:.1f} s: the rest of the throttled webhook's alerts went out with later passes"
                       + (f"; {passes[-1][1].waiting} still waiting" if passes[-1][1].waiting else ""))
    report.figure(f"{label} quiet webhooks, last message after", quiet_last, "s", target="< 5", check=at_most(5.0),
                  note=f"{quiet_got} of {2 * QUIET} delivered while the busy webhook was throttled")


def run(report: Report, quick: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="eduwatch-bench-alerts-") as tmp:
        workdir = Path(tmp)
        email_burst(report, workdir, QUICK_EMAILS if quick else FULL_EMAILS)
        if not quick:  # WeCom's real 60 s window: 20 go now, the other 20 with a pass a minute later
            wecom_burst(report, workdir, 60.0, BUSY, "WeCom 60 s:")
        # the same rule over several windows, time compressed 10× on both sides
        wecom_burst(report, workdir, 6.0, 3 * BUSY // 2, "WeCom 6 s:")
