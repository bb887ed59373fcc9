"""One document: its page (metadata, sources, attachments, verdict, body, related pages,
revisions) and its diff page (inline and side by side, between any two revisions)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.changes.diffing import DEFAULT_CONTEXT
from monitor.changes.events import META_LABELS, show_value
from monitor.changes.revision_diff import diff_revisions
from monitor.shell.web import side_by_side
from monitor.shell.web.admin import csrf_value, signed_in
from monitor.shell.web.deps import database, not_found, render
from storage.documents import get_document
from storage.models import Document, DocumentLabel, Event, PlanCommitment, Revision

router = APIRouter(include_in_schema=False)
RELATED_LIMIT = 20


def revisions_of(session: Session, document_id: int) -> list[Revision]:
    return list(session.scalars(select(Revision).where(Revision.document_id == document_id).order_by(Revision.number)))


def _related(session: Session, document: Document) -> list[dict[str, Any]]:
    """Pages that report or explain this plan, or the plans this page names (the classifier's links)."""
    from monitor.changes.related import related_pages

    links = related_pages(session, document)[:RELATED_LIMIT]
    titles = dict(session.execute(select(Document.id, Document.title).where(
        Document.id.in_({link.page_id for link in links} | {link.plan_id for link in links})
    )).all())
    return [
        {"id": other, "title": titles.get(other, ""), "via": link.via, "role": "plan" if other == link.plan_id else "page"}
        for link in links
        for other in [link.plan_id if link.page_id == document.id else link.page_id]
    ]


def _commitment_count(session: Session, revisions: list[Revision]) -> int:
    """The latest revision's commitments, so the page links to them only when there are some."""
    if not revisions:
        return 0
    return session.scalar(select(func.count(PlanCommitment.id)).where(PlanCommitment.revision_id == revisions[-1].id)) or 0


@router.get("/documents/{document_id}", response_class=HTMLResponse)
def document_page(request: Request, document_id: int) -> HTMLResponse:
    with database(request).sessions() as session:
        view = get_document(session, document_id)
        if view is None:
            raise not_found(f"没有编号为 {document_id} 的文件")
        document = session.get(Document, document_id)
        assert document is not None
        revisions = revisions_of(session, document_id)
        events = list(session.scalars(select(Event).where(Event.document_id == document_id).order_by(Event.at.desc())))
        label = session.scalar(select(DocumentLabel).where(DocumentLabel.document_id == document_id)
                               .order_by(DocumentLabel.id.desc()).limit(1))
        portal_titles = {s.portal.name: s.portal.title for s in document.sources}
        commitments = _commitment_count(session, revisions)
    return render(request, "document.html", doc=view, revisions=revisions, events=events, label=label,
                  portal_titles=portal_titles, commitments=commitments, csrf=csrf_value(request) if signed_in(request) else "")


@router.get("/documents/{document_id}/related", response_class=HTMLResponse)
def related_page(request: Request, document_id: int) -> HTMLResponse:
    """Related pages on a page of their own: finding them scans bodies (monitor.changes.related),
    hundreds of milliseconds at 200,000 documents, which the document page should not wait for."""
    with database(request).sessions() as session:
        document = session.get(Document, document_id)
        if document is None:
            raise not_found(f"没有编号为 {document_id} 的文件")
        related = _related(session, document)
        title = document.title
    return render(request, "related.html", document_id=document_id, title=title, related=related)


@router.get("/documents/{document_id}/diff", response_class=HTMLResponse)
def diff_page(
    request: Request, document_id: int, from_: int | None = Query(None, alias="from"),
    to: int | None = None, view: str = "inline", full: bool = False,
) -> HTMLResponse:
    db = database(request)
    with db.sessions() as session:
        document = session.get(Document, document_id)
        if document is None:
            raise not_found(f"没有编号为 {document_id} 的文件")
        numbers = [r.number for r in revisions_of(session, document_id)]
    if (from_ is None) != (to is None):  # one end given: compare it with its neighbour
        to = to if to is not None else next((n for n in numbers if n > (from_ or 0)), None)
        from_ = from_ if from_ is not None else max((n for n in numbers if n < (to or 0)), default=None)
    try:
        result = diff_revisions(db, document_id, from_, to)
    except LookupError as problem:
        if from_ is not None or to is not None:
            raise not_found(str(problem)) from None
        return render(request, "diff.html", title=document.title, document_id=document_id, result=None,
                      problem="这份文件还没有修订（只有一版或尚未建立版本）。", numbers=numbers)
    meta = [(META_LABELS.get(name, name), show_value(old), show_value(new))
            for name, (old, new) in result.meta_changes.items()]
    context = None if full else DEFAULT_CONTEXT
    return render(
        request, "diff.html", title=result.title, document_id=document_id, result=result, numbers=numbers,
        meta=meta, summary=result.diff.summary(), view="side" if view == "side" else "inline", full=full,
        # TextDiff.html escapes every piece of text itself and adds only <ins>, <del>, <br>, <span class="gap">.
        inline_html=Markup(result.diff.html(context)),
        rows=side_by_side.rows(result.diff, context or 10**9), problem=None,
    )
