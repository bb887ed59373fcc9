"""Outages do not spend alerts: a channel that is down is paused as a whole (alerts.pauses).

Real parts throughout: an aiosmtpd server that is stopped (connection refused) and later
started on the same port, or answers 421; the local WeCom imitation answering 503. Hours pass
on an injected clock (``deliver_pending(now=…)``), as the daemon's passes would see them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from alerts.delivery import deliver_pending
from alerts.subscribers import SubscriberSpec, add_subscriber
from storage.models import Alert, ChannelPause, utcnow
from tests.alerts.conftest import add_document, add_event, add_portal, make_config
from tests.alerts.smtp_sink import SmtpSink, free_port

DELIVER_INTERVAL = timedelta(seconds=60)  # the shipped [daemon] deliver_interval


def _plans(db, count: int, **subscribers: str) -> None:
    """``count`` plan alerts for each subscriber, name=email (or name=webhook URL for WeCom)."""
    with db.transaction() as session:
        for name, address in subscribers.items():
            if address.startswith("http"):
                add_subscriber(session, SubscriberSpec(name, wecom_webhook=address))
            else:
                add_subscriber(session, SubscriberSpec(name, email=address))
        huilai = add_portal(session)
        for i in range(count):
            add_event(session, add_document(session, huilai, f"乡村教育振兴方案 第{i}号"), huilai)


def _alerts(db) -> list[Alert]:
    with db.transaction() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def _passes(db, config, start: datetime, until: datetime) -> tuple[datetime, list]:
    now, reports = start, []
    while now < until:
        reports.append(deliver_pending(db, config, now=now))
        now += DELIVER_INTERVAL
    return now, reports


def test_three_hour_mail_outage_then_every_alert_exactly_once(db):
    port = free_port()  # nothing listens: connection refused, as a stopped mail server
    _plans(db, 5, ops="ops@example.org", desk="desk@example.org")
    config = make_config(db.url, port, shipped_delivery=True)
    start = utcnow()
    now, reports = _passes(db, config, start, start + timedelta(hours=3))
    assert sum(r.sent + r.failed + r.dead for r in reports) == 0
    assert all(r.paused == 10 for r in reports)
    alerts = _alerts(db)
    assert [a.status for a in alerts] == ["pending"] * 10
    assert all(a.attempts == 0 for a in alerts)  # three hours, not one attempt spent
    with db.transaction() as session:
        pause = session.get(ChannelPause, "email")
        # backoff doubled 30 s … capped at 1 h: a handful of knocks, not 180
        assert 5 <= pause.failures <= 10 and pause.until > now - DELIVER_INTERVAL

    sink = SmtpSink(port).start()  # the server is back
    try:
        now, reports = _passes(db, config, now, now + timedelta(hours=1, minutes=5))
        assert sum(r.sent for r in reports) == 10
        assert sum(r.failed + r.dead for r in reports) == 0
        ids = [m["Message-ID"] for m in sink.messages]
        assert len(ids) == 10 and len(set(ids)) == 10  # nothing lost, nothing doubled
        assert [a.status for a in _alerts(db)] == ["sent"] * 10
        with db.transaction() as session:
            assert session.get(ChannelPause, "email") is None  # the first success ends the pause
    finally:
        sink.stop()


def test_a_restarted_deliverer_respects_the_pause(db):
    port = free_port()
    _plans(db, 2, ops="ops@example.org")
    config = make_config(db.url, port)
    start = utcnow()
    assert deliver_pending(db, config, now=start).paused == 2
    sink = SmtpSink(port).start()
    try:
        # a fresh pass (another process: the pause is in the database) before the pause ends
        early = deliver_pending(db, config, now=start + timedelta(seconds=5))
        assert (early.sent, early.paused) == (0, 2) and sink.messages == []
        assert "email" in early.pauses and early.pauses["email"].describe().startswith("e-mail (SMTP server) paused until")
        later = deliver_pending(db, config, now=start + timedelta(minutes=5))
        assert later.sent == 2 and len(sink.messages) == 2
    finally:
        sink.stop()


def test_421_mid_session_hands_the_message_back_unspent(db):
    sink = SmtpSink().start()
    try:
        _plans(db, 3, ops="ops@example.org")
        config = make_config(db.url, sink.port)
        sink.handler.data_answer = "421 4.3.2 service shutting down"
        start = utcnow()
        down = deliver_pending(db, config, now=start)
        assert (down.sent, down.failed, down.dead, down.paused) == (0, 0, 0, 3)
        first = _alerts(db)[0]
        assert first.status == "pending" and first.attempts == 1 and first.outage_claims == 1
        assert "421" in first.last_error
        sink.handler.data_answer = None
        up = deliver_pending(db, config, now=start + timedelta(minutes=5))
        assert up.sent == 3 and len({m["Message-ID"] for m in sink.messages}) == 3
    finally:
        sink.stop()


def test_a_failure_of_one_message_still_counts_and_others_go(db):
    sink = SmtpSink().start()
    try:
        _plans(db, 1, ops="ops@example.org", gone="gone@example.org", full="full@example.org")
        sink.handler.refused = {"gone@example.org": "550 5.1.1 no such user",
                                "full@example.org": "452 4.2.2 mailbox full"}
        config = make_config(db.url, sink.port, max_attempts=2)
        start = utcnow()
        first = deliver_pending(db, config, now=start)
        assert (first.sent, first.failed, first.dead, first.paused) == (1, 1, 1, 0)
        second = deliver_pending(db, config, now=start + timedelta(hours=1))
        assert second.dead == 1
        ops, gone, full = _alerts(db)  # one event, subscribers in the order added
        assert ops.status == "sent"
        assert gone.status == "dead" and gone.attempts == 1  # 5xx for one recipient: at once
        assert full.status == "dead" and full.attempts == 2 and "gave up after 2 attempts" in full.last_error
    finally:
        sink.stop()


def test_wecom_host_answering_503_pauses_the_host_and_spends_nothing(db, wecom):
    _plans(db, 2, group=wecom.url("alpha-key-0001"), other=wecom.url("beta-key-0002"))
    config = make_config(db.url)
    wecom.outage = 503
    start = utcnow()
    down = deliver_pending(db, config, now=start)
    assert (down.sent, down.failed, down.dead) == (0, 0, 0) and down.paused == 4
    assert all(a.status == "pending" and a.attempts - a.outage_claims == 0 for a in _alerts(db))
    assert list(down.pauses) == ["wecom:" + wecom.base.removeprefix("http://")]
    wecom.outage = None
    assert deliver_pending(db, config, now=start + timedelta(seconds=10)).paused == 4  # still paused
    up = deliver_pending(db, config, now=start + timedelta(minutes=5))
    assert up.sent == 4 and len(wecom.accepted) == 4
