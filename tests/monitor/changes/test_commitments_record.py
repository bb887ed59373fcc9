"""Commitments in the change pass: stored per plan revision; a revision that moves one target
raises exactly one ``commitment_changed`` with the old and new values, alerted to subscribers who
ask for ``plan_commitment_changed`` and shown with both values."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from alerts.render import email_text, notice_from_event
from alerts.render_chat import render_wecom
from monitor.changes.commitments.listing import list_commitments
from monitor.changes.revisions import run_monitor
from storage.database import Database
from storage.models import Alert, Event, PlanCommitment, Revision, Subscriber
from storage.store import Store
from tests.monitor.changes.test_revisions import NOW, SEED, crawl, huantai, portal

TARGET = "原则上达到50%以上"


@pytest.fixture
def store(db: Database) -> Store:
    store = Store(db)
    store.sync_portals([portal("huantai", "桓台县人民政府", "山东省淄博市桓台县")])
    with db.transaction() as session:
        session.add(Subscriber(name="研究者", email="r@example.org", events=["plan_commitment_changed"]))
        session.add(Subscriber(name="只要新方案", email="n@example.org", events=["new_plan"]))
    return store


def changed_events(db: Database) -> list[Event]:
    with db.sessions() as session:
        return list(session.scalars(select(Event).where(Event.kind == "commitment_changed")))


def test_each_plan_revision_stores_its_commitments(store: Store, db: Database) -> None:
    crawl(store, huantai())
    run_monitor(db, now=NOW)
    with db.sessions() as session:
        rows = session.scalars(select(PlanCommitment).order_by(PlanCommitment.position)).all()
        assert {r.revision_id for r in rows} == {session.scalar(select(Revision.id))}
        principals = next(r for r in rows if r.target == 50)
        assert (principals.deadline, principals.scope, principals.lead) == (date(2027, 12, 31), "县域内", "县教育体育局")
    assert changed_events(db) == [], "a first revision announces itself with new, not commitment_changed"


def test_a_revision_changing_one_target_raises_exactly_one_commitment_changed(store: Store, db: Database) -> None:
    crawl(store, huantai())
    run_monitor(db, now=NOW)
    crawl(store, huantai(body=SEED.replace(TARGET, "原则上达到60%以上")))
    report = run_monitor(db, now=NOW)
    assert report.counts["commitment_changed"] == 1 and report.counts["revised"] == 1
    (event,) = changed_events(db)
    (change,) = event.details["commitments"]
    assert (change["old"]["target"], change["new"]["target"]) == (50, 60)
    assert change["old"]["indicator"] == change["new"]["indicator"] == "45周岁以下乡村校长（含副校长）"
    assert change["line"] == "45周岁以下乡村校长（含副校长）：≥50%（2027-12-31） → ≥60%（2027-12-31）"
    assert event.is_rural_plan is True and (event.details["from_revision"], event.details["to_revision"]) == (1, 2)
    with db.sessions() as session:
        alerted = {a.subscriber.name for a in session.scalars(select(Alert).where(Alert.event_id == event.id))}
        assert alerted == {"研究者"}
        notice = notice_from_event(session.get(Event, event.id))
        assert "≥50%（2027-12-31） → ≥60%（2027-12-31）" in email_text([notice], "研究者", False)
        assert "≥50%（2027-12-31） → ≥60%（2027-12-31）" in render_wecom([notice])
    (latest,) = [c for c in list_commitments(db) if c.indicator.startswith("45周岁")]
    assert (latest.target, latest.revision) == (60, 2)


def test_a_moved_deadline_and_a_dropped_commitment_are_one_event(store: Store, db: Database) -> None:
    crawl(store, huantai())
    run_monitor(db, now=NOW)
    body = SEED.replace("到2025年实现结对全覆盖", "到2026年实现结对全覆盖").replace("力争2024年全部实现", "逐步实现")
    crawl(store, huantai(body=body))
    run_monitor(db, now=NOW)
    (event,) = changed_events(db)
    lines = [c["line"] for c in event.details["commitments"]]
    assert lines == ["结对：100%（2025-12-31） → 100%（2026-12-31）",
                     "删去：全部实现“千兆进校、百兆进班” （定性）（2024-12-31）"]


def test_a_revision_leaving_the_commitments_alone_raises_none(store: Store, db: Database) -> None:
    crawl(store, huantai())
    run_monitor(db, now=NOW)
    crawl(store, huantai(body=SEED.replace("持续开展乡村学校文明校园", "持续开展乡村学校文明、平安校园")))
    report = run_monitor(db, now=NOW)
    assert report.counts["revised"] == 1 and report.counts["commitment_changed"] == 0
    with db.sessions() as session:
        counts = [len(session.scalars(select(PlanCommitment).where(PlanCommitment.revision_id == r.id)).all())
                  for r in session.scalars(select(Revision).order_by(Revision.number))]
    assert counts[0] == counts[1] > 0, "each revision keeps its own commitments"


def test_a_document_that_is_no_plan_stores_no_commitments(store: Store, db: Database) -> None:
    crawl(store, huantai(title="桓台县2023年教师招聘公告", title_key="桓台县2023年教师招聘公告",
                         body="招聘教师50名。报名时间：2023年9月20日。", doc_no=None, doc_no_raw=None,
                         url="http://www.huantai.gov.cn/zp.html"))
    run_monitor(db, now=NOW)
    with db.sessions() as session:
        assert session.scalars(select(PlanCommitment)).all() == []
