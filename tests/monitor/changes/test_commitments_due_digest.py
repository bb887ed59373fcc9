"""The monthly digest of commitments falling due in 90 days: written once a month by the pass
(clock injected), matched by region to subscribers who set ``commitments_digest = true``, and
delivered for real through the outbox to a local SMTP server, one message per month."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterator

import pytest

from alerts.delivery import deliver_pending
from alerts.subscribers import sync_from_config
from eduwatch.config import Config, parse_config
from monitor.changes.commitments.due_digest import make_due_events
from tests.alerts.smtp_sink import SmtpSink
from tests.monitor.shell.web.site import Site, build_site, web_config_text

OCTOBER = datetime(2027, 10, 5, 1, 0)  # the site's plan promises four things 到2027年 (2027-12-31)
DIGEST_SUBSCRIBERS = (
    '\n[[subscribers]]\nname = "淄博督导"\nemail = "zibo@example.org"\nregions = ["山东省淄博市"]\n'
    'events = ["plan_commitment_changed"]\ncommitments_digest = true\n'
    '[[subscribers]]\nname = "广东研究者"\nemail = "gd@example.org"\nregions = ["广东省"]\ncommitments_digest = true\n'
)


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink().start()
    yield server
    server.stop()


@pytest.fixture
def digest_site(db_url: str, sink: SmtpSink) -> Iterator[tuple[Site, Config]]:
    site = build_site(db_url, smtp_port=sink.port)
    config = parse_config(web_config_text(db_url, smtp_port=sink.port) + DIGEST_SUBSCRIBERS, source="<digest test>")
    with site.db.transaction() as session:
        sync_from_config(session, config)
    yield site, config
    site.db.dispose()


def sent_to(sink: SmtpSink, address: str) -> list[str]:
    return [m.get_body(("plain",)).get_content() for m, to in zip(sink.messages, sink.handler.recipients) if address in to]


def test_the_key_is_declared_and_off_by_default(digest_site: tuple[Site, Config]) -> None:
    _, config = digest_site
    flags = {s.name: s.commitments_digest for s in config.subscribers}
    assert flags == {"揭阳规划科": False, "other": False, "淄博督导": True, "广东研究者": True}


def test_monthly_digest_reaches_opted_in_subscribers_of_the_region_once_a_month(
        digest_site: tuple[Site, Config], sink: SmtpSink) -> None:
    site, config = digest_site
    assert make_due_events(site.db, OCTOBER) == 1  # one plan has commitments due by 2028-01-03
    assert make_due_events(site.db, OCTOBER + timedelta(days=15)) == 0  # once a month
    deliver_pending(site.db, config, now=OCTOBER + timedelta(minutes=1))
    [october] = sent_to(sink, "zibo@example.org")
    assert "45周岁以下乡村校长（含副校长） ≥50%（县域内，县教育体育局牵头）" in october
    assert "2027-12-31" in october and "2035-12-31" not in october and "2024-12-31" not in october
    assert sent_to(sink, "gd@example.org") == []  # opted in, but nothing falls due in 广东省
    assert all("90天内到期" not in body for body in sent_to(sink, "guihua@example.org"))  # did not opt in
    assert make_due_events(site.db, OCTOBER + timedelta(days=31)) == 1  # November: the next digest
    deliver_pending(site.db, config, now=OCTOBER + timedelta(days=31, minutes=1))
    assert len(sent_to(sink, "zibo@example.org")) == 2


def test_nothing_due_means_no_digest(digest_site: tuple[Site, Config], sink: SmtpSink) -> None:
    site, config = digest_site
    assert make_due_events(site.db, datetime(2029, 3, 1)) == 0  # every deadline is past or years away
    deliver_pending(site.db, config, now=datetime(2029, 3, 1, 0, 1))
    assert sent_to(sink, "zibo@example.org") == []
