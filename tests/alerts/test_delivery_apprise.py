"""Apprise channels through the outbox, against local robots that sign, refuse and fall over like
DingTalk's and Feishu's (localportals.robots), and a generic Apprise target (``json://``).

Hours pass on an injected clock (``deliver_pending(now=…)``) as the daemon's passes see them.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from alerts.apprise_targets import target_key
from alerts.delivery import deliver_pending
from alerts.parts import utf8_len
from alerts.ratelimit import SlidingWindowLimiter
from alerts.subscribers import SubscriberError, SubscriberSpec, add_subscriber
from localportals.robots import DingTalkServer, FeishuServer
from storage.models import Alert, ChannelPause, utcnow
from tests.alerts.conftest import add_document, add_event, add_portal, make_config
from tests.alerts.smtp_sink import free_port

DELIVER_INTERVAL = timedelta(seconds=60)  # the shipped [daemon] deliver_interval
MARK = r"^(\(续\) )?\(\d+/\d+\)\n"


def _plans(db, urls: list[str], count: int = 1, body: str = "推进乡村教育振兴。", name: str = "ops") -> None:
    with db.transaction() as session:
        add_subscriber(session, SubscriberSpec(name, apprise=urls))
        huilai = add_portal(session)
        for i in range(count):
            add_event(session, add_document(session, huilai, f"惠来县乡村教育振兴方案 第{i}号", body), huilai)


def _alerts(db) -> list[Alert]:
    with db.transaction() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def _limiter() -> SlidingWindowLimiter:
    return SlidingWindowLimiter(20, 60.0)


def test_signed_dingtalk_robot_gets_each_alert_once_as_markdown(db, dingtalk: DingTalkServer):
    url = dingtalk.url("9f3ad1e07c2b0001")
    _plans(db, [url], count=2, body="<@all> [点我](http://evil.example) **加粗**")
    first = deliver_pending(db, make_config(db.url), limiter=_limiter())
    again = deliver_pending(db, make_config(db.url), limiter=_limiter())
    assert (first.sent, again.sent, dingtalk.codes()) == (2, 0, [0, 0])  # the robot checked both signatures
    texts = [a.text for a in dingtalk.accepted_by("9f3ad1e07c2b0001")]
    assert "## 惠来县乡村教育振兴方案 第0号" in texts[0] and "**乡村教育规划 · 新文件 New notice**" in texts[0]
    assert "<@all>" not in texts[0] and "](http://evil.example)" not in texts[0]  # portal text is inert
    assert [(a.channel, a.target, a.status) for a in _alerts(db)] == [("apprise", target_key(url), "sent")] * 2


def test_a_refused_signature_is_dead_at_once_saying_why_and_never_the_secret(db, dingtalk, caplog):
    caplog.set_level(logging.DEBUG)
    url = dingtalk.url("9f3ad1e07c2b0001").replace("SEC5e0c2d4b6a8f1e3d", "SEC0000000000000000")
    _plans(db, [url])
    report = deliver_pending(db, make_config(db.url), limiter=_limiter())
    (alert,) = _alerts(db)
    assert (report.dead, alert.status, alert.attempts, dingtalk.codes()) == (1, "dead", 1, [310000])
    assert "310000" in alert.last_error and "security settings" in alert.last_error
    for secret in ("SEC0000000000000000", "9f3ad1e07c2b0001"):
        assert secret not in alert.last_error and secret not in caplog.text


def test_unsigned_request_to_a_signing_robot_is_what_apprise_alone_would_call_sent(dingtalk):
    """Why eduwatch does not use Apprise's DingTalk sender: it calls this refusal a delivery."""
    from apprise.plugins.dingtalk import NotifyDingTalk

    stock = NotifyDingTalk(token="9f3ad1e07c2b0001")
    stock.notify_url = dingtalk.base + "/robot/send?access_token={token}"
    assert stock.send("乡村教育") is True
    assert dingtalk.codes() == [310000] and dingtalk.accepted == []


def test_dingtalk_down_for_hours_then_up_delivers_each_alert_once(db, dingtalk):
    url = dingtalk.url("9f3ad1e07c2b0002")
    _plans(db, [url], count=4)
    config = make_config(db.url, shipped_delivery=True)  # 8 attempts, 30 s doubling to 1 h
    dingtalk.stop()  # connection refused, like a receiver that is down
    now = utcnow()
    for _ in range(180):  # three hours of the daemon's passes
        report = deliver_pending(db, config, now=now, limiter=_limiter())
        assert report.sent == 0 and report.dead == 0
        now += DELIVER_INTERVAL
    with db.transaction() as session:
        pause = session.get(ChannelPause, f"apprise:127.0.0.1:{dingtalk.port}")
        assert pause is not None and pause.failures >= 5  # the service waited as a whole, with backoff
    assert {a.status for a in _alerts(db)} == {"pending"}
    dingtalk.start()
    sent = 0
    for _ in range(70):  # the longest pause (1 h) runs out, then everything goes
        sent += deliver_pending(db, config, now=now, limiter=_limiter()).sent
        now += DELIVER_INTERVAL
    assert sent == 4 and len(dingtalk.accepted) == 4
    assert sorted(a.text.splitlines()[0] for a in dingtalk.accepted) == [f"## 惠来县乡村教育振兴方案 第{i}号" for i in range(4)]
    alerts = _alerts(db)
    assert {a.status for a in alerts} == {"sent"} and max(a.attempts - a.outage_claims for a in alerts) == 1


def test_feishu_answering_503_then_up_delivers_once_signed_as_a_card(db, feishu: FeishuServer):
    url = feishu.url("3e7a9c1d-5b2f-4e8a-9d6c-0f1e2d3c0001")
    _plans(db, [url], count=2)
    config = make_config(db.url, shipped_delivery=True)
    feishu.outage = 503
    now = utcnow()
    first = deliver_pending(db, config, now=now, limiter=_limiter())
    assert (first.sent, first.paused) == (0, 2) and [a.attempts - a.outage_claims for a in _alerts(db)] == [0, 0]
    feishu.outage = None
    later = deliver_pending(db, config, now=now + timedelta(hours=1), limiter=_limiter())
    assert later.sent == 2 and feishu.codes() == [0, 0]
    card = feishu.accepted[0]
    assert card.title.startswith("乡村教育规划 · 新文件: 惠来县乡村教育振兴方案") and "**惠来县乡村教育振兴方案" in card.text
    assert "##" not in card.text  # lark_md shows no headings


def test_too_fast_is_an_attempt_retried_after_the_minute(db, feishu):
    feishu.rate, feishu.window = 2, 1.0
    url = feishu.url("3e7a9c1d-5b2f-4e8a-9d6c-0f1e2d3c0002")
    _plans(db, [url], count=3)
    config = make_config(db.url)
    first = deliver_pending(db, config, limiter=_limiter())
    assert (first.sent, first.failed) == (2, 1) and feishu.codes()[-1] == 11232
    failed = [a for a in _alerts(db) if a.status == "failed"][0]
    assert "11232" in failed.last_error and failed.next_attempt_at >= utcnow() + timedelta(seconds=50)
    threading.Event().wait(1.1)  # the imitation's window is real time (a second here)
    later = deliver_pending(db, config, now=utcnow() + timedelta(seconds=61), limiter=_limiter())
    assert later.sent == 1 and len(feishu.accepted) == 3


def test_a_long_plan_goes_in_parts_under_the_byte_limit_and_smaller_when_refused(db, dingtalk):
    dingtalk.max_bytes = 6_000  # stricter than documented: the robot answers 460101
    body = "\n".join(f"第{i}条 加强乡村学校标准化建设，推进城乡教育一体化发展。" * 3 for i in range(60))
    _plans(db, [dingtalk.url("9f3ad1e07c2b0002")], body=body)
    report = deliver_pending(db, make_config(db.url), limiter=_limiter())
    assert report.sent == 1 and 460101 in dingtalk.codes()
    parts = [a.text for a in dingtalk.accepted]
    assert len(parts) >= 3 and all(utf8_len(p) <= 6_000 for p in parts)
    import re

    joined = "\n".join(re.sub(MARK, "", p) for p in parts)
    assert all(joined.count(f"第{i}条") == 3 for i in range(60))  # every line once, none twice


class _JsonReceiver:
    """A plain JSON webhook on a fixed port, for Apprise's own ``json://`` sender."""

    def __init__(self, port: int) -> None:
        self.port, self.bodies, self._server = port, [], None

    def start(self) -> _JsonReceiver:
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def test_any_apprise_target_down_then_up_is_delivered_once(db, caplog):
    caplog.set_level(logging.DEBUG)
    port = free_port()  # nothing listens yet
    url = f"json://robot:s3cretpass@127.0.0.1:{port}/hook"
    _plans(db, [url], count=2)
    config = make_config(db.url, shipped_delivery=True)
    now = utcnow()
    down = deliver_pending(db, config, now=now, limiter=_limiter())
    assert (down.sent, down.paused, down.dead) == (0, 2, 0)
    with db.transaction() as session:
        (pause,) = session.scalars(select(ChannelPause)).all()
        said = pause.last_error + "".join(a.last_error or "" for a in _alerts(db))
    assert "Connection error" in said and "s3cretpass" not in said and "s3cretpass" not in caplog.text
    receiver = _JsonReceiver(port).start()
    try:
        up = deliver_pending(db, config, now=now + timedelta(minutes=5), limiter=_limiter())
        again = deliver_pending(db, config, now=now + timedelta(minutes=10), limiter=_limiter())
    finally:
        receiver.stop()
    assert (up.sent, again.sent, len(receiver.bodies)) == (2, 0, 2)
    assert "惠来县乡村教育振兴方案" in receiver.bodies[0]["message"]


def test_two_targets_of_one_subscriber_are_separate_deliveries(db, dingtalk, feishu):
    feishu.outage = 503
    _plans(db, [dingtalk.url("9f3ad1e07c2b0002"), feishu.url("3e7a9c1d-5b2f-4e8a-9d6c-0f1e2d3c0002")])
    report = deliver_pending(db, make_config(db.url), limiter=_limiter())
    assert (report.sent, report.paused) == (1, 1)  # Feishu being down holds back no DingTalk alert
    keys = sorted(a.idempotency_key for a in _alerts(db))
    assert len(keys) == 2 and all(k.startswith("e1:s1:apprise:") for k in keys)


def test_a_url_apprise_cannot_send_to_is_refused_without_echoing_it():
    with pytest.raises(SubscriberError) as refused:
        SubscriberSpec("ops", apprise=["dingtalk://SECx@not-a-token!secretish/"]).validate()
    assert "DingTalk" in str(refused.value) and "secretish" not in str(refused.value)
    with pytest.raises(SubscriberError, match="https"):
        SubscriberSpec("ops", apprise=["http://oapi.dingtalk.com/robot/send?access_token=abc"]).validate()


def test_dry_run_shows_the_parts_with_the_robot_masked(db, dingtalk):
    url = dingtalk.url("9f3ad1e07c2b0001")
    _plans(db, [url])
    report = deliver_pending(db, make_config(db.url), dry_run=True)
    (message,) = report.messages
    assert message.startswith("apprise to DingTalk robot ****0001 at 127.0.0.1") and "1 part(s)" in message
    assert "SEC5e0c2d4b6a8f1e3d" not in message and dingtalk.answers == []




def test_a_feishu_keyword_refusal_is_dead_with_the_hint_and_other_robots_go_on(db, dingtalk, feishu):
    feishu.keywords["3e7a9c1d-5b2f-4e8a-9d6c-0f1e2d3c0002"] = "周报"  # the bot's 自定义关键词
    _plans(db, [feishu.url("3e7a9c1d-5b2f-4e8a-9d6c-0f1e2d3c0002"), dingtalk.url("9f3ad1e07c2b0002")])
    report = deliver_pending(db, make_config(db.url), limiter=_limiter())
    assert (report.sent, report.dead, feishu.codes()) == (1, 1, [19024])
    (dead,) = [a for a in _alerts(db) if a.status == "dead"]
    assert "19024" in dead.last_error and "keyword" in dead.last_error


def test_a_changed_secret_still_reaches_the_alerts_owed_to_that_robot(db, dingtalk):
    """Refused for a wrong secret, fixed in the config, retried: the same robot, the same alerts."""
    from alerts import outbox
    from alerts.subscribers import apply_spec

    wrong = dingtalk.url("9f3ad1e07c2b0001").replace("SEC5e0c2d4b6a8f1e3d", "SEC0000000000000000")
    _plans(db, [wrong])
    assert deliver_pending(db, make_config(db.url), limiter=_limiter()).dead == 1
    assert target_key(wrong) == target_key(dingtalk.url("9f3ad1e07c2b0001"))  # the robot, not its secret
    with db.transaction() as session:
        apply_spec(session, SubscriberSpec("ops", apprise=[dingtalk.url("9f3ad1e07c2b0001")]), origin="cli")
        (alert,) = session.scalars(select(Alert)).all()
        assert outbox.retry(session, [alert.id]) == 1
    assert deliver_pending(db, make_config(db.url), limiter=_limiter()).sent == 1
    assert dingtalk.codes() == [310000, 0]


def test_a_robot_that_closes_the_connection_unanswered_is_down_not_a_refusal(db, dingtalk):
    dingtalk.outage = -1  # the connection is accepted and closed: no HTTP answer at all
    _plans(db, [dingtalk.url("9f3ad1e07c2b0002")])
    down = deliver_pending(db, make_config(db.url), limiter=_limiter())
    (alert,) = _alerts(db)
    assert (down.sent, down.paused, alert.status, alert.attempts - alert.outage_claims) == (0, 1, "pending", 0)
    dingtalk.outage = None
    later = deliver_pending(db, make_config(db.url), now=utcnow() + timedelta(hours=1), limiter=_limiter())
    assert later.sent == 1 and dingtalk.codes() == [0]
