"""Change events: their one-line summaries, and how they are read back.

Why a module of its own: the monitor pass writes events, and the CLI and the daemon read
them; the JSON shape a reader sees is defined once, here. The kinds themselves live in
:mod:`eduwatch.event_kinds`, where the alerts layer can import them too; they are re-exported
here so the change pass names them as ``events.NEW`` etc.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eduwatch.event_kinds import (  # noqa: F401 — re-exported for the change pass and the CLI
    ABOLISHED, EVENT_KINDS, METADATA_CHANGED, NEW, REPOSTED, REVISED, WITHDRAWN,
)
from storage.database import Database
from storage.models import Document, Event

# Chinese labels of the metadata a revision compares, for summaries.
META_LABELS = {
    "title": "标题",
    "doc_no": "文号",
    "index_no": "索引号",
    "publisher": "发布机构",
    "written_date": "成文日期",
    "published_date": "发布日期",
    "validity": "有效性",
    "is_abolished": "废止",
}
SUMMARY_LIMIT = 200  # characters of one event summary


@dataclass(frozen=True)
class EventView:
    """An event as readers see it (CLI, JSON output): plain values; ``at`` stays a naive UTC
    datetime, for the writer to format (the CLI's --json writes every time alike)."""

    id: int
    kind: str
    document_id: int
    at: datetime
    is_rural_plan: bool
    is_revert: bool
    summary: str
    title: str
    portal_id: int | None
    revision_id: int | None
    crawl_run_id: int | None
    details: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def show_value(value: Any) -> str:
    """A metadata value as a summary prints it."""
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def one_line(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """Summaries are single lines of bounded length, whatever the document holds."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def list_events(
    db: Database, *, since: datetime | None = None, kind: str | None = None, limit: int | None = None,
    plans: bool | None = None, newest_first: bool = False, offset: int = 0,
) -> list[EventView]:
    """Events in the order they happened (the web view: newest first), optionally from
    ``since``, of one kind, about plans (True) or other documents (False)."""
    order = (Event.at.desc(), Event.id.desc()) if newest_first else (Event.at, Event.id)
    query = select(Event).options(selectinload(Event.document).load_only(Document.title)).order_by(*order)
    if since is not None:
        query = query.where(Event.at >= since)
    if kind is not None:
        query = query.where(Event.kind == kind)
    if plans is not None:
        query = query.where(Event.is_rural_plan.is_(plans))
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    with db.sessions() as session:
        return [
            EventView(
                id=event.id, kind=event.kind, document_id=event.document_id, at=event.at,
                is_rural_plan=bool(event.is_rural_plan), is_revert=bool(event.is_revert),
                summary=event.summary, title=event.document.title, portal_id=event.portal_id,
                revision_id=event.revision_id, crawl_run_id=event.crawl_run_id, details=event.details,
            )
            for event in session.scalars(query)
        ]
