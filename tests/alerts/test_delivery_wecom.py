"""WeCom delivery against a real local HTTP server that behaves like the robot webhook."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from sqlalchemy import select

from alerts.delivery import deliver_pending
from alerts.ratelimit import SlidingWindowLimiter
from alerts.subscribers import SubscriberSpec, add_subscriber
from alerts.wecom import split_markdown, utf8_len
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


def _fresh_limiter(window: float = 60.0) -> SlidingWindowLimiter:
    return SlidingWindowLimiter(20, window)


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
    config = make_config(db.url)
    limiter = SlidingWindowLimiter(20, window=1.0)
    report = deliver_pending(db, config, limiter=limiter, max_wait=5)
    assert report.sent == 50
    assert len(wecom.accepted) == 50
    assert wecom.max_in_window("alpha-key-0001") <= 20
    assert 45009 not in [code for _, code in wecom.answers]
    assert {a.status for a in _alerts(db)} == {"sent"}


def test_rate_limited_webhook_does_not_hold_back_others(db, wecom):
    _setup(db, wecom, {"a": "alpha-key-0001", "b": "beta-key-0002"}, plans=25)
    limiter = _fresh_limiter(60.0)
    report = deliver_pending(db, make_config(db.url), limiter=limiter, max_wait=0)
    # each webhook gets its 20 in this minute; the other 5 each wait for the next pass
    by_key = {k: sum(1 for r in wecom.accepted if r.key == k) for k in ("alpha-key-0001", "beta-key-0002")}
    assert by_key == {"alpha-key-0001": 20, "beta-key-0002": 20}
    assert (report.sent, report.skipped) == (40, 10)
    assert 45009 not in [code for _, code in wecom.answers]


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
    from alerts.render import notice_from_event, render_wecom

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
    first = deliver_pending(db, config, limiter=_fresh_limiter(60.0), max_wait=0)
    assert first.sent == 20
    restarted = deliver_pending(db, config, limiter=_fresh_limiter(60.0), max_wait=0)
    assert restarted.sent == 0 and restarted.skipped == 5
    assert len(wecom.accepted) == 20 and 45009 not in [code for _, code in wecom.answers]


def test_limiter_window_slides():
    now = [100.0]
    limiter = SlidingWindowLimiter(2, window=60.0, clock=lambda: now[0])
    limiter.record("k")
    now[0] = 130.0
    limiter.record("k")
    assert limiter.delay("k") == 30.0  # the first send leaves the window at 160
    assert limiter.delay("other") == 0.0
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
