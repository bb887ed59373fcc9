"""E-mail delivery against a real SMTP server (aiosmtpd), including a real crash mid-send."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from alerts.delivery import deliver_pending
from alerts.subscribers import SubscriberSpec, add_subscriber
from storage.models import Alert, utcnow
from tests.alerts.conftest import add_document, add_event, add_portal, add_run, make_config
from tests.alerts.deliver_once import CRASH_HOOK

ROOT = Path(__file__).resolve().parents[2]


def _plans(db, count: int, *, digest: bool = False, monitored: bool = True) -> list[int]:
    with db.transaction() as session:
        add_subscriber(session, SubscriberSpec("ops", email="ops@example.org", digest=digest))
        huilai = add_portal(session)
        run = add_run(session, huilai, monitored=monitored)
        return [
            add_event(session, add_document(session, huilai, f"乡村教育振兴方案 第{i}号"), huilai, run=run).id
            for i in range(count)
        ]


def _statuses(db) -> list[str]:
    with db.transaction() as session:
        return [a.status for a in session.scalars(select(Alert).order_by(Alert.id))]


def test_each_alert_is_one_utf8_multipart_mail(db, smtp):
    _plans(db, 2)
    report = deliver_pending(db, make_config(db.url, smtp.port))
    assert (report.sent, report.failed, report.dead) == (2, 0, 0)
    assert _statuses(db) == ["sent", "sent"]
    assert len(smtp.messages) == 2
    message = smtp.messages[0]
    assert message["Subject"] == "[eduwatch] 新文件: 乡村教育振兴方案 第0号"
    assert message.get_content_type() == "multipart/alternative"
    assert message["Message-ID"].startswith("<eduwatch.") and message["Message-ID"].endswith("@alerts.example>")
    assert message["List-Unsubscribe"].startswith("<mailto:eduwatch@alerts.example?subject=unsubscribe")
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "乡村教育振兴方案 第0号" in plain and "惠来县人民政府办公室" in plain
    assert "<h2" in html and "乡村教育振兴方案 第0号" in html
    # a second pass has nothing left to send
    assert deliver_pending(db, make_config(db.url, smtp.port)).sent == 0
    assert len(smtp.messages) == 2


def test_digest_is_one_mail_for_a_run(db, smtp):
    _plans(db, 3, digest=True)
    report = deliver_pending(db, make_config(db.url, smtp.port))
    assert report.sent == 3 and len(smtp.messages) == 1
    assert smtp.messages[0]["Subject"].startswith("[eduwatch] 3 条更新")
    plain = smtp.messages[0].get_body(("plain",)).get_content()
    assert all(f"第{i}号" in plain for i in range(3))


def test_digest_waits_for_the_run_to_be_monitored(db, smtp):
    _plans(db, 2, digest=True, monitored=False)
    config = make_config(db.url, smtp.port)
    assert deliver_pending(db, config).skipped == 2 and smtp.messages == []
    assert deliver_pending(db, config, now=utcnow() + timedelta(hours=1)).sent == 2  # grace period over
    assert len(smtp.messages) == 1


def test_killed_between_send_and_mark_is_sent_again_with_the_same_message_id(db, smtp):
    _plans(db, 3)
    env = {**os.environ, CRASH_HOOK: "2", "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "tests.alerts.deliver_once", db.url, str(smtp.port)]
    crashed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert crashed.returncode == 86, crashed.stderr  # os._exit in the hook: killed mid-pass
    assert len(smtp.messages) == 2
    # the first is marked; the second was accepted by the server but never marked
    assert _statuses(db) == ["sent", "sending", "pending"]

    env.pop(CRASH_HOOK)
    restarted = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert restarted.returncode == 0, restarted.stderr
    assert len(smtp.messages) == 3
    assert len({m["Message-ID"] for m in smtp.messages}) == 3
    assert _statuses(db) == ["sent", "sending", "sent"]  # its claim has not expired yet: left alone

    # once its claim expires, the unknown one goes again, with the Message-ID of the first copy
    report = deliver_pending(db, make_config(db.url, smtp.port), now=utcnow() + timedelta(hours=1))
    assert (report.unknown, report.sent, report.dead) == (0, 1, 0)
    ids = [m["Message-ID"] for m in smtp.messages]
    assert len(ids) == 4 and ids[3] == ids[1] and len(set(ids)) == 3  # receivers fold the copy
    assert _statuses(db) == ["sent"] * 3
    assert deliver_pending(db, make_config(db.url, smtp.port), now=utcnow() + timedelta(hours=2)).sent == 0


def test_two_deliverers_at_once_send_each_alert_once(db, smtp):
    """The daemon and a manual `eduwatch notify` racing: the claim lets only one send."""
    from concurrent.futures import ThreadPoolExecutor

    from storage.database import Database

    _plans(db, 12)
    config = make_config(db.url, smtp.port)
    other = Database(db.url, create=False)
    try:
        with ThreadPoolExecutor(2) as pool:
            reports = list(pool.map(lambda d: deliver_pending(d, config), [db, other]))
    finally:
        other.dispose()
    assert sum(r.sent for r in reports) == 12
    assert len(smtp.messages) == 12 and len({m["Message-ID"] for m in smtp.messages}) == 12
