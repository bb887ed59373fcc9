"""Read-side views of stored documents, shaped for the CLI's tables and JSON.

Dates and times stay ``date``/``datetime`` (naive UTC): how they are written is the reader's
choice (the CLI's ``--json`` writes every time one way, as its other views do)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from storage.models import Document, Event, Portal, Revision, Source


@dataclass(frozen=True)
class DocumentQuery:
    portal: str | None = None
    since: date | None = None  # first seen on or after this day
    limit: int | None = None
    # The web view's filters (the CLI leaves them unset):
    until: date | None = None  # first seen on or before this day
    region: str | None = None  # prefix of a source portal's region
    plans: bool = False  # only rural-education plans
    event_kind: str | None = None  # only documents with an event of this kind
    ids: tuple[int, ...] | None = None  # only these (a text search's matches)
    offset: int = 0
    newest_first: bool = False


def _filtered(statement: Select[Any], query: DocumentQuery) -> Select[Any]:
    """``statement`` narrowed to the documents ``query`` asks for."""
    if query.portal:
        statement = statement.where(
            Document.id.in_(select(Source.document_id).join(Portal).where(Portal.name == query.portal))
        )
    if query.region:
        statement = statement.where(Document.id.in_(
            select(Source.document_id).join(Portal).where(Portal.region.startswith(query.region, autoescape=True))
        ))
    if query.since:
        statement = statement.where(Document.first_seen >= datetime.combine(query.since, datetime.min.time()))
    if query.until:
        statement = statement.where(Document.first_seen < datetime.combine(query.until + timedelta(days=1), datetime.min.time()))
    if query.plans:
        statement = statement.where(Document.is_rural_plan.is_(True))
    if query.event_kind:
        statement = statement.where(Document.id.in_(select(Event.document_id).where(Event.kind == query.event_kind)))
    if query.ids is not None:
        statement = statement.where(Document.id.in_(query.ids))
    return statement


def count_documents(session: Session, query: DocumentQuery) -> int:
    """How many documents ``query`` selects, before its limit and offset."""
    return session.scalar(_filtered(select(func.count(Document.id)), query)) or 0


def list_documents(session: Session, query: DocumentQuery) -> list[dict[str, Any]]:
    stats = (
        select(
            Revision.document_id,
            func.count(Revision.id).label("count"),
            func.max(Revision.created_at).label("last_changed"),
        )
        .group_by(Revision.document_id)
        .subquery()
    )
    statement = (
        select(Document, stats.c.count, stats.c.last_changed)
        .outerjoin(stats, stats.c.document_id == Document.id)
        .options(selectinload(Document.sources).selectinload(Source.portal), selectinload(Document.attachments))
        .order_by(Document.id.desc() if query.newest_first else Document.id)
    )
    statement = _filtered(statement, query)
    if query.limit:
        statement = statement.limit(query.limit)
    if query.offset:
        statement = statement.offset(query.offset)
    return [document_view(d, (count or 0, last)) for d, count, last in session.execute(statement)]


def get_document(session: Session, document_id: int) -> dict[str, Any] | None:
    document = session.get(Document, document_id)
    if document is None:
        return None
    view = document_view(document, _revision_stats(session, [document_id]).get(document_id, (0, None)))
    view["body"] = document.body
    view["attachments"] = [
        {"name": a.name, "url": a.url, "type": a.type, "text_chars": len(a.text or ""), "error": a.error}
        for a in document.attachments
    ]
    view["sources"] = [
        {
            "url": s.url,
            "portal": s.portal.name,
            "first_seen": s.first_seen,
            "last_seen": s.last_seen,
            "withdrawn": s.withdrawn,
        }
        for s in document.sources
    ]
    view["rural_evidence"] = document.rural_evidence or []
    return view


def document_view(document: Document, revisions: tuple[int, datetime | None]) -> dict[str, Any]:
    portals = list(dict.fromkeys(s.portal.name for s in document.sources))
    count, last_changed = revisions
    return {
        "id": document.id,
        "index_no": document.index_no_raw or document.index_no,
        "doc_no": document.doc_no,
        "doc_no_raw": document.doc_no_raw,
        "title": document.title,
        "publisher": document.publisher,
        "category": document.category,
        "written_date": document.written_date,
        "published_date": document.published_date,
        "validity": document.validity,
        "portals": portals,
        "urls": [s.url for s in document.sources],
        "attachments": [{"name": a.name, "url": a.url, "type": a.type} for a in document.attachments],
        "first_seen": document.first_seen,
        "last_seen": document.last_seen,
        "body_chars": len(document.body or ""),
        "incomplete": document.incomplete,  # why only the list entry is stored, or None
        "is_rural_plan": document.is_rural_plan,
        "rural_score": document.rural_score,
        "revision_count": count,
        "last_changed": last_changed,
    }


def _revision_stats(session: Session, ids: list[int]) -> dict[int, tuple[int, datetime | None]]:
    if not ids:
        return {}
    rows = session.execute(
        select(Revision.document_id, func.count(Revision.id), func.max(Revision.created_at))
        .where(Revision.document_id.in_(ids))
        .group_by(Revision.document_id)
    )
    return {row[0]: (row[1], row[2]) for row in rows}
