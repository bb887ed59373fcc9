"""WeCom delivery against a real local HTTP server that behaves like the robot webhook."""

from __future__ import annotations

import logging
import re
import time
from datetime import datetime, timedelta

from sqlalchemy import select

from alerts.delivery import DeliveryReport, deliver_pending
from alerts.ratelimit import SlidingWindowLimiter
from alerts.subscribers import SubscriberSpec, add_subscriber
from alerts.parts import utf8_len
from alerts.wecom import split_markdown
from storage.models import Alert, Subscriber, utcnow
from tests.alerts.conftest import add_document, add_event, add_portal, make_config

MARK = re.compile(r"^(\(续\) )?\((\d+)/(\d+)\)\n")


def _setup(db, wecom, subscribers: dict[str, str], plans: int = 1, body: str = "乡村学校建设。") -> None:
    with db.transaction() as session:
        for name, key in subscribers.items():
            add_subscriber(session, SubscriberSpec(name, wecom_webhook=wecom.url(key)))
        huilai = add_portal(session)
        for i in range(plans):
            add_event(session, add_document(session, huilai, f"乡村教育方案{i}", body), huilai)


def _alerts(db) -> list[Alert]:
    with db.transaction() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def _fresh_limiter(window: float = 60.0, rate: int = 20) -> SlidingWindowLimiter:
    return SlidingWindowLimiter(rate, window)


def _sleep_until(at: datetime) -> None:
    time.sleep(max(0.0, (at - utcnow()).total_seconds()) + 0.02)  # the limiter's clock is not utcnow's


def _passes_until_done(db, config, limiter, *, most: int = 20) -> list[DeliveryReport]:
    """What the daemon does: pass after pass, here each one when the first waiting alert is due.

    ``max_wait=0``: with a window of a second, the default slack would let one pass do it all.
    """
    reports = [deliver_pending(db, config, limiter=limiter, max_wait=0)]
    while reports[-1].waiting and len(reports) < most:
        _sleep_until(reports[-1].next_at)
        reports.append(deliver_pending(db, config, limiter=limiter, max_wait=0))
    return reports


def test_long_plan_arrives_in_parts_that_each_fit(db, wecom):
    body = "\n".join(f"第{i}条 加强乡村学校标准化建设，推进城乡教育一体化发展。" * 3 for i in range(60))
    assert len(body) > 5000
    _setup(db, wecom, {"group": "alpha-key-0001"}, body=body)
    report = deliver_pending(db, make_config(db.url), limiter=_fresh_limiter())
    assert report.sent == 1
    parts = [r.content for r in wecom.accepted]
    assert len(parts) >= 4
    assert all(utf8_len(p) <= 4096 for p in parts)
    marks = [MARK.match(p).group(2, 3) for p in parts]
    assert marks == [(str(i), str(len(parts))) for i in range(1, len(parts) + 1)]
    joined = "\n".join(MARK.sub("", p) for p in parts)
    assert all(f"第{i}条" in joined for i in range(60))
    assert all(code == 0 for _, code in wecom.answers)


def test_content_too_long_is_split_smaller_and_retried(db, wecom):
    wecom.limit = 2048  # stricter than documented: the robot answers 40058
    body = "\n".join("推进乡村教育振兴，" * 20 for _ in range(10))
    _setup(db, wecom, {"group": "alpha-key-0001"}, body=body)
    report = deliver_pending(db, make_config(db.url), limiter=_fresh_limiter())
    assert report.sent == 1
    assert 40058 in [code for _, code in wecom.answers]
    assert all(utf8_len(r.content) <= 2048 for r in wecom.accepted)
    joined = "".join(r.content for r in wecom.accepted)
    assert joined.count("推进乡村教育振兴") == 200


def test_burst_of_50_never_exceeds_the_rate(db, wecom):
    wecom.window = 1.0  # the real server rule (20 per window), with a 1 s window to keep the test short
    _setup(db, wecom, {"group": "alpha-key-0001"}, plans=50)
    before = utcnow()
    reports = _passes_until_done(db, make_config(db.url), SlidingWindowLimiter(20, window=1.0))
    # the first pass sends a window's worth and leaves the rest pending for later passes
    first = reports[0]
    assert (first.sent, first.waiting, first.failed, first.skipped) == (20, 30, 0, 0)
    assert before < first.next_at <= utcnow() + timedelta(seconds=1)
    assert sum(r.sent for r in reports) == 50 and reports[-1].waiting == 0
    assert len(wecom.accepted) == 50
    assert wecom.max_in_window("alpha-key-0001") <= 20
    assert wecom.refused() == 0
    # waiting for the window is not an attempt: every alert went out on its first
    assert {(a.status, a.attempts) for a in _alerts(db)} == {("sent", 1)}


def test_rate_limited_webhook_does_not_hold_back_others(db, wecom):
    _setup(db, wecom, {"a": "alpha-key-0001", "b": "beta-key-0002"}, plans=25)
    limiter = _fresh_limiter(60.0)
    report = deliver_pending(db, make_config(db.url), limiter=limiter)
    # each webhook gets its 20 in this minute; the other 5 each wait, pending, for a later pass
    by_key = {k: len(wecom.accepted_by(k)) for k in ("alpha-key-0001", "beta-key-0002")}
    assert by_key == {"alpha-key-0001": 20, "beta-key-0002": 20}
    assert (report.sent, report.waiting, report.skipped) == (40, 10, 0)
    assert wecom.refused() == 0
    waiting = [a for a in _alerts(db) if a.status != "sent"]
    assert len(waiting) == 10 and {(a.status, a.attempts, a.last_error) for a in waiting} == {("pending", 0, None)}
    # due when the window has room again: about a minute after the first sends, not before
    assert all(utcnow() + timedelta(seconds=50) < a.next_attempt_at < utcnow() + timedelta(seconds=61) for a in waiting)
    assert report.next_at == min(a.next_attempt_at for a in waiting)
    # a pass before then sends nothing to them, still counts them as waiting and leaves them as they are
    again = deliver_pending(db, make_config(db.url), limiter=limiter)
    assert (again.sent, again.waiting, again.next_at) == (0, 10, report.next_at) and len(wecom.accepted) == 40
    assert [a.next_attempt_at for a in _alerts(db) if a.status != "sent"] == [a.next_attempt_at for a in waiting]


def test_a_window_about_to_open_is_waited_for(db, wecom):
    """The daemon's next pass starts a whole interval after the last: a moment too early."""
    wecom.window = 1.0
    _setup(db, wecom, {"group": "alpha-key-0001"}, plans=25)
    config, limiter = make_config(db.url), _fresh_limiter(1.0)
    first = deliver_pending(db, config, limiter=limiter, max_wait=0)
    assert (first.sent, first.waiting) == (20, 5) and first.next_at > utcnow()
    soon = deliver_pending(db, config, limiter=limiter, max_wait=2.0)  # due within 1 s: taken, sent
    assert (soon.sent, soon.waiting) == (5, 0)
    assert wecom.max_in_window("alpha-key-0001") <= 20 and wecom.refused() == 0


def test_a_message_is_not_started_without_room_for_all_its_parts(db, wecom):
    body = "\n".join("城乡教育共同体建设，乡村教师队伍建设。" * 4 for _ in range(40))
    _setup(db, wecom, {"group": "alpha-key-0001"}, body=body)
    parts = len(split_markdown(_render_only(db)))
    assert parts >= 3
    limiter = _fresh_limiter(60.0)
    for _ in range(20 - parts + 1):
        limiter.record("alpha-key-0001")  # one slot too few left in this window
    report = deliver_pending(db, make_config(db.url), limiter=limiter)
    assert (report.sent, report.waiting) == (0, 1) and wecom.answers == []
    assert {(a.status, a.attempts, a.progress) for a in _alerts(db)} == {("pending", 0, 0)}


def test_more_parts_than_a_window_holds_go_on_in_later_passes(db, wecom):
    wecom.rate, wecom.window = 2, 1.0
    body = "\n".join("城乡教育共同体建设，乡村教师队伍建设。" * 4 for _ in range(40))
    _setup(db, wecom, {"group": "alpha-key-0001"}, body=body)
    total = len(split_markdown(_render_only(db)))
    assert total >= 3
    reports = _passes_until_done(db, make_config(db.url), _fresh_limiter(1.0, rate=2))
    first = reports[0]
    assert (first.sent, first.waiting) == (0, 1) and len(reports) >= 2
    assert sum(r.sent for r in reports) == 1 and wecom.refused() == 0
    assert wecom.max_in_window("alpha-key-0001") <= 2
    contents = [r.content for r in wecom.accepted]
    assert contents[2].startswith("(续) ")  # the second pass resumes after the two accepted parts
    lines = [line for c in contents for line in MARK.sub("", c).removeprefix("(续) ").split("\n") if line.startswith("城乡")]
    assert len(lines) == 40  # every body line exactly once
    [alert] = _alerts(db)
    assert alert.status == "sent" and alert.attempts == len(reports)  # each resumed pass is an attempt


def test_45009_from_the_server_backs_off(db, wecom):
    wecom.rate = 3  # the server is stricter than our limiter
    _setup(db, wecom, {"a": "alpha-key-0001", "b": "beta-key-0002"}, plans=5)
    report = deliver_pending(db, make_config(db.url), limiter=_fresh_limiter(60.0))
    assert sum(1 for r in wecom.accepted if r.key == "alpha-key-0001") == 3
    assert sum(1 for r in wecom.accepted if r.key == "beta-key-0002") == 3  # not held back by a
    assert report.failed == 2 and report.sent == 6
    failed = [a for a in _alerts(db) if a.status == "failed"]
    assert all("45009" in a.last_error for a in failed)
    assert all(a.next_attempt_at > utcnow() + timedelta(seconds=30) for a in failed)
    # the webhook's last alert is not tried into the refusal: it waits as long, unattempted
    waiting = [a for a in _alerts(db) if a.status == "pending"]
    assert report.waiting == len(waiting) == 2 and {a.attempts for a in waiting} == {0}
    assert all(a.next_attempt_at > utcnow() + timedelta(seconds=30) for a in waiting)


def test_busy_is_retried_and_delivered_once(db, wecom):
    wecom.busy = 1
    _setup(db, wecom, {"group": "alpha-key-0001"})
    config = make_config(db.url)
    assert deliver_pending(db, config, limiter=_fresh_limiter()).failed == 1
    assert wecom.accepted == []
    assert deliver_pending(db, config, now=utcnow() + timedelta(minutes=1), limiter=_fresh_limiter()).sent == 1
    assert len(wecom.accepted) == 1
    assert deliver_pending(db, config, now=utcnow() + timedelta(hours=1), limiter=_fresh_limiter()).sent == 0


def test_failed_part_resumes_without_repeating_earlier_parts(db, wecom):
    body = "\n".join("城乡教育共同体建设，乡村教师队伍建设。" * 4 for _ in range(40))
    _setup(db, wecom, {"group": "alpha-key-0001"}, body=body)
    total = len(split_markdown(_render_only(db)))
    assert total >= 3
    wecom.script = [0, -1]  # part 1 accepted, part 2: busy
    config = make_config(db.url)
    assert deliver_pending(db, config, limiter=_fresh_limiter()).failed == 1
    assert len(wecom.accepted) == 1
    assert _alerts(db)[0].progress > 0
    assert deliver_pending(db, config, now=utcnow() + timedelta(minutes=2), limiter=_fresh_limiter()).sent == 1
    contents = [r.content for r in wecom.accepted]
    assert contents[1].startswith("(续) (1/")
    lines = [line for c in contents for line in MARK.sub("", c).split("\n") if line.startswith("城乡")]
    assert len(lines) == 40  # every body line exactly once


def _render_only(db) -> str:
    from alerts.render import notice_from_event
    from alerts.render_chat import render_wecom

    with db.transaction() as session:
        alert = session.scalars(select(Alert)).first()
        return render_wecom([notice_from_event(alert.event)])


def test_invalid_webhook_marks_the_subscriber_and_hides_the_key(db, wecom, caplog):
    caplog.set_level(logging.DEBUG)
    _setup(db, wecom, {"wrong": "unknown-key-9876", "right": "gamma-key-0003"}, plans=2)
    report = deliver_pending(db, make_config(db.url), limiter=_fresh_limiter())
    assert report.dead == 1 and report.sent == 2
    assert report.skipped == 1  # the second alert of the broken webhook waits, parked
    with db.transaction() as session:
        wrong = session.scalar(select(Subscriber).where(Subscriber.name == "wrong"))
        assert "93000" in wrong.wecom_error and "****9876" in wrong.wecom_error
        dead = session.scalars(select(Alert).where(Alert.status == "dead")).one()
        assert "93000" in dead.last_error
    # not retried blindly: the next pass leaves the broken webhook alone
    again = deliver_pending(db, make_config(db.url), now=utcnow() + timedelta(hours=1), limiter=_fresh_limiter())
    assert again.sent == 0 and again.skipped == 1
    assert [code for key, code in wecom.answers if key == "unknown-key-9876"] == [93000]
    everything = caplog.text + " ".join(a.last_error or "" for a in _alerts(db)) + wrong.wecom_error
    assert "unknown-key-9876" not in everything and "gamma-key-0003" not in everything


def test_a_restarted_process_does_not_burst(db, wecom):
    """A new process (fresh limiter) learns the last minute's sends from the database."""
    _setup(db, wecom, {"group": "alpha-key-0001"}, plans=25)
    config = make_config(db.url)
    first = deliver_pending(db, config, limiter=_fresh_limiter(60.0))
    assert (first.sent, first.waiting) == (20, 5)
    with db.transaction() as session:  # what a later pass of a restarted process loads: due again
        for alert in session.scalars(select(Alert).where(Alert.status == "pending")):
            alert.next_attempt_at = utcnow()
    restarted = deliver_pending(db, config, limiter=_fresh_limiter(60.0))
    assert (restarted.sent, restarted.waiting) == (0, 5)
    assert len(wecom.accepted) == 20 and wecom.refused() == 0


def test_limiter_window_slides():
    now = [100.0]
    limiter = SlidingWindowLimiter(2, window=60.0, clock=lambda: now[0])
    limiter.record("k")
    now[0] = 130.0
    limiter.record("k")
    assert limiter.delay("k") == 30.0  # the first send leaves the window at 160
    assert limiter.delay("other") == 0.0
    assert limiter.delay("k", 2) == 60.0  # room for two at once when the second has left
    assert limiter.delay("k", 3) == 90.0  # the third next one waits for the first next one to leave
    assert limiter.delay("other", 2) == 0.0 and limiter.delay("other", 3) == 60.0
    now[0] = 160.0
    assert limiter.delay("k") == 0.0
    limiter.block("k", 10)
    assert limiter.delay("k") == 10.0


def test_digest_goes_to_wecom_as_one_message(db, wecom):
    from tests.alerts.conftest import add_run

    with db.transaction() as session:
        add_subscriber(session, SubscriberSpec("daily", wecom_webhook=wecom.url("beta-key-0002"), digest=True))
        huilai = add_portal(session)
        run = add_run(session, huilai)
        for i in range(4):
            add_event(session, add_document(session, huilai, f"乡村教育方案{i}"), huilai, run=run)
    report = deliver_pending(db, make_config(db.url), limiter=_fresh_limiter())
    assert report.sent == 4 and len(wecom.accepted) == 1
    content = wecom.accepted[0].content
    assert content.startswith("## eduwatch: 4 条更新") and all(f"乡村教育方案{i}" in content for i in range(4))
