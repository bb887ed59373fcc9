"""Reading stored commitments back: the latest revision's commitments of every plan, with the
plan's title, region, portal and link, filtered as ``eduwatch commitments`` and the web view ask.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from monitor.changes.commitments.record import is_due
from storage.database import Database
from storage.models import Document, PlanCommitment, Revision, Source
from storage.store import ranked_sources


@dataclass(frozen=True)
class CommitmentView:
    document_id: int
    title: str
    region: str
    portal: str | None
    url: str | None
    revision: int
    is_rural_plan: bool
    deadline: date | None
    due: bool  # the deadline has passed
    recurring: str | None
    indicator: str
    target: float | None
    target_max: float | None
    unit: str | None
    comparison: str | None
    scope: str | None
    lead: str | None
    partners: list[str]
    sentence: str
    section: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def list_commitments(
    db: Database, *, region: str | None = None, portal: str | None = None, due_before: date | None = None,
    indicator: str | None = None, document_id: int | None = None, today: date | None = None,
) -> list[CommitmentView]:
    """Commitments of each plan's latest revision, by region, deadline (undated last), indicator."""
    today = today or date.today()
    latest = (select(Revision.document_id, func.max(Revision.number).label("number"))
              .group_by(Revision.document_id).subquery())
    query = (
        select(PlanCommitment, Revision.number)
        .join(Revision, Revision.id == PlanCommitment.revision_id)
        .join(latest, (latest.c.document_id == Revision.document_id) & (latest.c.number == Revision.number))
        .options(selectinload(PlanCommitment.document).selectinload(Document.sources).selectinload(Source.portal))
        .order_by(PlanCommitment.document_id, PlanCommitment.position)
    )
    if due_before is not None:
        query = query.where(PlanCommitment.deadline.is_not(None), PlanCommitment.deadline < due_before)
    if indicator:
        query = query.where(PlanCommitment.indicator.contains(indicator) | PlanCommitment.sentence.contains(indicator))
    if document_id is not None:
        query = query.where(PlanCommitment.document_id == document_id)
    views = []
    with db.sessions() as session:
        for row, number in session.execute(query):
            view = _view(row, number, today)
            if portal and view.portal != portal:
                continue
            if region and not _in_region(row.document, region):
                continue
            views.append(view)
    return sorted(views, key=lambda v: (v.region, v.deadline is None, v.deadline or date.max, v.indicator))


def _in_region(document: Document, region: str) -> bool:
    wanted = "".join(region.split())
    return any(s.portal is not None and "".join((s.portal.region or "").split()).startswith(wanted) for s in document.sources)


def _view(row: PlanCommitment, number: int, today: date) -> CommitmentView:
    document = row.document
    sources = ranked_sources(document)
    source = next((s for s in sources if not s.withdrawn), sources[0] if sources else None)
    return CommitmentView(
        document_id=document.id, title=document.title, region=(source.portal.region if source and source.portal else "") or "",
        portal=source.portal.name if source and source.portal else None, url=source.url if source else None,
        revision=number, is_rural_plan=bool(document.is_rural_plan), deadline=row.deadline,
        due=is_due(row.deadline, today), recurring=row.recurring, indicator=row.indicator, target=row.target,
        target_max=row.target_max, unit=row.unit, comparison=row.comparison, scope=row.scope, lead=row.lead,
        partners=list(row.partners or []), sentence=row.sentence, section=row.section,
    )
