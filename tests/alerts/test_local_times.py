"""E-mail and WeCom alerts show when eduwatch saw a change in ``[display] timezone`` (Beijing
time by default), through a real delivery pass to the local SMTP server and WeCom robot."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from alerts.delivery import deliver_pending
from alerts.subscribers import SubscriberSpec, add_subscriber
from eduwatch.config import DisplayConfig
from tests.alerts.conftest import add_document, add_event, add_portal, add_run, make_config

SEEN = datetime(2026, 11, 22, 17, 42)  # naive UTC, as stored: 01:42 the next day in Beijing


def _one_plan(db, wecom) -> None:
    with db.transaction() as session:
        add_subscriber(session, SubscriberSpec("ops", email="ops@example.org", wecom_webhook=wecom.url("alpha-key-0001")))
        huilai = add_portal(session)
        run = add_run(session, huilai)
        add_event(session, add_document(session, huilai, "乡村教育振兴方案"), huilai, run=run, at=SEEN)


def test_email_and_wecom_show_beijing_time_by_default(db, smtp, wecom):
    _one_plan(db, wecom)
    report = deliver_pending(db, make_config(db.url, smtp.port))
    assert report.sent == 2
    plain = smtp.messages[0].get_body(("plain",)).get_content()
    html = smtp.messages[0].get_body(("html",)).get_content()
    assert "2026-11-23 01:42 北京时间" in plain and "2026-11-23 01:42 北京时间" in html
    assert "17:42" not in plain  # the stored UTC time is not what a reader sees
    assert "2026-11-23 01:42 北京时间" in wecom.accepted[0].content


def test_alerts_follow_a_configured_zone(db, smtp, wecom):
    _one_plan(db, wecom)
    config = dataclasses.replace(make_config(db.url, smtp.port), display=DisplayConfig(timezone="Europe/Berlin"))
    assert deliver_pending(db, config).sent == 2
    plain = smtp.messages[0].get_body(("plain",)).get_content()
    assert "2026-11-22 18:42 Europe/Berlin" in plain  # CET, UTC+1 in November
