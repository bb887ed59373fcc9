"""Alerts link to the web view's diff page when [web] public_url is set, and not otherwise:
delivered for real to a local SMTP server (tests/alerts/smtp_sink.py)."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Iterator

import pytest

from alerts.delivery import deliver_pending
from tests.alerts.smtp_sink import SmtpSink
from tests.monitor.shell.web.site import PLAN_TITLE, build_site


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink().start()
    yield server
    server.stop()


def delivered(db_url: str, sink: SmtpSink, public_url: str | None) -> tuple[int, list[EmailMessage]]:
    site = build_site(db_url, public_url, smtp_port=sink.port)
    try:
        deliver_pending(site.db, site.config)
    finally:
        site.db.dispose()
    return site.plan_id, [m for m in sink.messages if PLAN_TITLE in str(m["Subject"])]


def test_alert_emails_link_to_the_diff_page(db_url: str, sink: SmtpSink) -> None:
    plan_id, messages = delivered(db_url, sink, "https://eduwatch.example.org/")
    revised = next(m for m in messages if "修订" in str(m["Subject"]))
    text = revised.get_body(("plain",)).get_content()
    html = revised.get_body(("html",)).get_content()
    link = f"https://eduwatch.example.org/documents/{plan_id}/diff?to=2"  # pinned to the event's revision
    assert f"网页查看 View on the web: {link}" in text
    assert f'<a href="{link}">在网页上查看改动' in html
    new = next(m for m in messages if "新文件" in str(m["Subject"]))
    assert f"View on the web: https://eduwatch.example.org/documents/{plan_id}\r\n" in new.get_body(("plain",)).get_content()


def test_no_link_without_public_url(db_url: str, sink: SmtpSink) -> None:
    _, messages = delivered(db_url, sink, None)
    assert messages and all("View on the web" not in m.get_body(("plain",)).get_content() for m in messages)
