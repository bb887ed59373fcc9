"""The monthly digest of commitments falling due: once per calendar month (UTC) the pass writes
one ``commitments_due`` event per plan with commitments due in the next 90 days.

Why events: the outbox already matches an event to subscribers by region, portal and keyword,
sends it exactly once and retries it; the subscribers who set ``commitments_digest = true`` hold
the filter that selects this kind (rural plans only, as every plan filter), and all of one
month's events join one message per subscriber (:func:`alerts.outbox.month_group`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import groupby

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts import outbox
from eduwatch.event_kinds import COMMITMENTS_DUE
from monitor.changes.commitments.listing import CommitmentView, list_commitments
from monitor.changes.commitments.types import Commitment
from monitor.changes.events import one_line
from storage.database import Database
from storage.models import Document, Event, utcnow
from storage.store import ranked_sources

HORIZON = timedelta(days=90)


def month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def made_this_month(session: Session, now: datetime) -> bool:
    """Whether this month's digest events exist (the pass runs often; the digest once)."""
    found = select(Event.id).where(Event.kind == COMMITMENTS_DUE, Event.at >= month_start(now)).limit(1)
    return session.scalar(found) is not None


def due_soon(db: Database, today: date) -> list[CommitmentView]:
    """Latest-revision commitments whose deadline falls in [today, today + 90 days]."""
    return [v for v in list_commitments(db, today=today)
            if v.deadline is not None and today <= v.deadline <= today + HORIZON]


def line(view: CommitmentView) -> str:
    """2027-12-31 45周岁以下乡村校长（含副校长） ≥50%（县域内，县教育体育局牵头）."""
    target = Commitment(sentence=view.sentence, section=None, indicator=view.indicator, target=view.target,
                        target_max=view.target_max, unit=view.unit, comparison=view.comparison).target_text()
    extra = "，".join(part for part in (view.scope, f"{view.lead}牵头" if view.lead else None) if part)
    deadline = view.deadline.isoformat() if view.deadline else ""
    return f"{deadline} {view.indicator} {target or '（定性）'}" + (f"（{extra}）" if extra else "")


def make_due_events(db: Database, now: datetime | None = None) -> int:
    """Write this month's ``commitments_due`` events and their alerts, unless already written;
    returns how many events were written."""
    now = now or utcnow()
    with db.sessions() as session:
        if made_this_month(session, now):
            return 0
    views = sorted(due_soon(db, now.date()), key=lambda v: v.document_id)
    written = 0
    with db.transaction() as session:
        if made_this_month(session, now):  # another process got here first
            return 0
        for document_id, group in groupby(views, key=lambda v: v.document_id):
            document = session.get(Document, document_id)
            assert document is not None
            event = _event(document, list(group), now)
            session.add(event)
            session.flush()
            outbox.enqueue_alerts(session, event)
            written += 1
    return written


def _event(document: Document, views: list[CommitmentView], now: datetime) -> Event:
    source = next((s for s in ranked_sources(document) if not s.withdrawn), None)
    return Event(
        kind=COMMITMENTS_DUE, document_id=document.id, at=now, is_rural_plan=bool(document.is_rural_plan),
        portal_id=source.portal_id if source else None,
        summary=one_line(f"90天内到期的承诺 {len(views)} 条：{document.title}"),
        details={"month": f"{now:%Y-%m}", "commitments": [{"line": line(v), "deadline": v.deadline.isoformat()
                                                           if v.deadline else None, "sentence": v.sentence}
                                                          for v in views]},
    )
