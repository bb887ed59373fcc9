"""The verdict stored on a document: the classifier's, unless a person labelled the document.

Why a module of its own: the monitor pass, ``reclassify`` and ``label`` all set the verdict,
and all must treat a document that becomes a plan alike — it raises ``new_plan`` once, if it
never alerted as one (and is no page of a plan that already did); a document that stops being
a plan alerts nobody.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from alerts import outbox
from monitor.changes.classifier import ClassifiableDocument, Classification, classify
from monitor.changes.events import one_line
from monitor.changes.related import NEW, alerted_relative
from storage.database import Database
from storage.models import Document, DocumentLabel, Event, utcnow

log = logging.getLogger(__name__)


def classify_document(document: Document) -> Classification:
    attachments_text = "\n".join(a.text for a in document.attachments if a.text)
    return classify(
        ClassifiableDocument(
            title=document.title, body=document.body or "", doc_no=document.doc_no,
            category=document.category, keywords=document.keywords, publisher=document.publisher,
            attachments_text=attachments_text,
        )
    )


def latest_label(session: Session | None, document_id: int | None) -> DocumentLabel | None:
    if session is None or document_id is None:
        return None
    return session.scalar(
        select(DocumentLabel).where(DocumentLabel.document_id == document_id)
        .order_by(DocumentLabel.labelled_at.desc(), DocumentLabel.id.desc()).limit(1)
    )


def _verdict_evidence(result: Classification, label: DocumentLabel | None) -> list[dict[str, Any]]:
    """What is stored with the verdict: the classifier's evidence, its genre, and the label."""
    items = result.evidence_json()
    items.append({"field": "verdict", "phrase": result.genre, "weight": 0.0, "count": 1, "draft": result.draft,
                  "classifier": result.is_rural_plan})
    if label is not None:
        items.append({
            "field": "label", "phrase": "plan" if label.is_plan else "not-plan", "weight": 0.0, "count": 1,
            "by": label.labelled_by, "labelled_at": label.labelled_at.isoformat(), "note": label.note,
        })
    return items


def store_classification(document: Document) -> Classification:
    """Classify and store the verdict on the document (the caller's transaction commits it).

    A person's latest label overrides the classifier's verdict; the classifier's own score,
    genre and evidence are kept beside it, so a reader sees both.
    """
    result = classify_document(document)
    label = latest_label(object_session(document), document.id)
    document.is_rural_plan = label.is_plan if label is not None else result.is_rural_plan
    document.rural_score = result.score
    document.rural_evidence = _verdict_evidence(result, label)
    return result


def alerted_as_plan(session: Session, document_id: int) -> bool:
    return session.scalar(
        select(Event.id).where(Event.document_id == document_id, Event.kind == NEW, Event.is_rural_plan.is_(True)).limit(1)
    ) is not None


def became_plan_event(session: Session, document: Document, now: datetime, why: str) -> Event | None:
    """The ``new`` plan event of an announced document that has just become a plan, or None.

    None when it is no plan, was never announced (its first ``new`` will say it), already
    alerted as a plan, or is a page of a plan that alerted (one plan, one alert). The event is
    added, flushed and its alerts enqueued in the caller's transaction.
    """
    if not document.is_rural_plan or not any(s.announced for s in document.sources):
        return None
    if alerted_as_plan(session, document.id) or alerted_relative(session, document) is not None:
        return None
    source = next((s for s in document.sources if s.announced and not s.withdrawn), document.sources[0])
    event = Event(
        kind=NEW, document_id=document.id, portal_id=source.portal_id, crawl_run_id=source.last_listed_run_id,
        at=now, is_rural_plan=True, is_revert=False, summary=one_line(f"新方案（{why}）：{document.title}"),
        details={"url": source.url, "became_plan": why},
    )
    session.add(event)
    session.flush()
    outbox.enqueue_alerts(session, event)
    return event


@dataclass
class ReclassifyReport:
    documents: int = 0
    changed: list[int] = field(default_factory=list)  # ids whose verdict flipped
    new_plans: list[int] = field(default_factory=list)  # event ids of plans announced now


def reclassify_all(db: Database, *, batch: int = 200, now: datetime | None = None) -> ReclassifyReport:
    """Re-run the classifier over every stored document (after the rules changed)."""
    report = ReclassifyReport()
    last_id = 0
    while True:
        with db.transaction() as session:
            documents = session.scalars(
                select(Document).where(Document.id > last_id).order_by(Document.id).limit(batch)
            ).all()
            if not documents:
                return report
            for document in documents:
                before = document.is_rural_plan
                store_classification(document)
                if document.is_rural_plan != before and before is not None:
                    report.changed.append(document.id)
                    event = became_plan_event(session, document, now or utcnow(), "重新判定")
                    if event is not None:
                        report.new_plans.append(event.id)
                report.documents += 1
            last_id = documents[-1].id


@dataclass(frozen=True)
class LabelResult:
    document_id: int
    title: str
    is_plan: bool
    classifier_said: bool
    new_plan_event: int | None


def label_document(
    db: Database, document_id: int, *, is_plan: bool, by: str, note: str | None = None, now: datetime | None = None
) -> LabelResult:
    """Record a person's verdict and apply it now; LookupError when there is no such document."""
    at = now or utcnow()
    with db.transaction() as session:
        document = session.get(Document, document_id)
        if document is None:
            raise LookupError(f"no document with id {document_id}")
        session.add(DocumentLabel(document_id=document_id, is_plan=is_plan, note=note, labelled_by=by, labelled_at=at))
        session.flush()
        result = store_classification(document)
        event = became_plan_event(session, document, at, "人工标注")
        log.info("label: document %s is %s (by %s)", document_id, "a plan" if is_plan else "no plan", by)
        return LabelResult(document_id, document.title, is_plan, result.is_rural_plan, event.id if event else None)


def labelled_documents(db: Database) -> list[dict[str, Any]]:
    """Every labelled document in the corpus format, with its latest label (for export)."""
    with db.sessions() as session:
        rows = session.scalars(select(DocumentLabel).order_by(DocumentLabel.document_id, DocumentLabel.labelled_at,
                                                              DocumentLabel.id)).all()
        latest = {row.document_id: row for row in rows}
        entries = []
        for document_id, label in sorted(latest.items()):
            document = label.document
            attachments = "\n".join(a.text for a in document.attachments if a.text)
            entries.append({
                "id": f"doc_{document_id}", "label": label.is_plan, "reason": label.note or "",
                "labelled_by": label.labelled_by, "labelled_at": label.labelled_at.isoformat(),
                "url": document.sources[0].url if document.sources else None,
                "title": document.title, "body": document.body or "", "doc_no": document.doc_no,
                "category": document.category, "keywords": document.keywords, "publisher": document.publisher,
                "attachments_text": attachments,
            })
        return entries
