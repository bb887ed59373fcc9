"""The monitor pass: turn what the crawler stored into revisions and change events.

The crawler only records sightings (``Document.content_hash`` changes whenever what it stored
changes). This pass looks at every document whose ``content_hash`` differs from the
``monitored_hash`` it left last time, every source not yet announced, and every source the
crawler found missing twice, and decides what happened:

- a new revision when the *normalised* content differs from the last one (noise — counters,
  today's date, whitespace, full-width forms — never makes one, see monitor.changes.textnorm);
- ``new`` / ``reposted`` for sources, ``revised`` / ``metadata_changed`` / ``abolished`` for
  content, ``withdrawn`` for sources gone twice; a return to one of the recent revisions is
  still recorded, but marked as a revert, so an A→B→A flip-flop does not read as news.

One transaction per document: classification, revision, events, their alert outbox rows and
``monitored_hash`` are committed together or not at all, so a crash (or a failing outbox)
leaves the document dirty and the next pass redoes exactly that work.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from alerts import outbox
from monitor.changes import events as kinds
from monitor.changes.classification import (  # noqa: F401  (re-exported: the pass's public names)
    ReclassifyReport, became_plan_event, classify_document, reclassify_all, store_classification,
)
from monitor.changes.commitments.record import commitment_events
from monitor.changes.diffing import DEFAULT_CONTEXT, diff_texts
from monitor.changes.events import META_LABELS, one_line, show_value
from monitor.changes.related import alerted_relative
from monitor.changes.revision_diff import RevisionDiff, diff_revisions  # noqa: F401  (re-exported)
from monitor.changes.snapshots import (  # noqa: F401  (re-exported)
    META_FIELDS, Snapshot, meta_key, revision_hash, revision_text, split_attachments, take_snapshot,
)
from monitor.changes.textnorm import comparison_key, fold
from storage.database import Database
from storage.models import CrawlRun, Document, Event, Revision, Source, utcnow
from storage.store import ranked_sources
from storage.runs import mark_monitored, unmonitored_runs

log = logging.getLogger(__name__)

# A new version equal to one of this many recent revisions is a revert, not news.
REVERT_WINDOW = 5
# A source missing from the lists and answering 404 this many crawls in a row is withdrawn.
WITHDRAWN_AFTER = 2
ABOLISHED_VALIDITY = ("失效", "废止")


# --- the pass --------------------------------------------------------------------------------


@dataclass
class MonitorReport:
    documents: int = 0  # documents looked at
    revisions: int = 0  # revisions written
    counts: dict[str, int] = field(default_factory=lambda: {kind: 0 for kind in kinds.EVENT_KINDS})
    event_ids: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)  # document id -> error, redone next pass
    runs_monitored: list[int] = field(default_factory=list)

    @property
    def events(self) -> int:
        return len(self.event_ids)

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents, "revisions": self.revisions, "counts": dict(self.counts),
            "event_ids": list(self.event_ids), "failed": {str(k): v for k, v in self.failed.items()},
            "runs_monitored": list(self.runs_monitored),
        }


def run_monitor(db: Database, *, now: datetime | None = None) -> MonitorReport:
    """Process every document that needs it, one transaction each; never stops on one failure.

    ``now`` stamps events and revisions (default: the time each document is processed); an
    aware datetime is converted to the naive UTC the database stores.
    """
    if now is not None and now.tzinfo is not None:
        now = now.astimezone(timezone.utc).replace(tzinfo=None)
    report = MonitorReport()
    with db.sessions() as session:
        finished_runs = unmonitored_runs(session)
        document_ids = sorted(set(session.scalars(_pending_documents())))
    for document_id in document_ids:
        try:
            with db.transaction() as session:
                written = _monitor_document(session, document_id, now or utcnow())
        except Exception as exc:  # one broken document must not stop the others
            log.exception("monitor: document %s failed; it stays pending for the next pass", document_id)
            report.failed[document_id] = f"{type(exc).__name__}: {exc}"
            continue
        if written is None:
            continue
        report.documents += 1
        report.revisions += written.revisions
        for event_id, kind in written.events:
            report.event_ids.append(event_id)
            report.counts[kind] += 1
    if finished_runs and not report.failed:
        # Every document those runs touched has been through the monitor: digests may go out.
        with db.transaction() as session:
            mark_monitored(session, finished_runs)
        report.runs_monitored = finished_runs
    log.info(
        "monitor: %d documents, %d revisions, events %s, %d failed",
        report.documents, report.revisions, {k: v for k, v in report.counts.items() if v}, len(report.failed),
    )
    return report


def _pending_documents():  # type: ignore[no-untyped-def]
    dirty = select(Document.id).where(
        or_(Document.monitored_hash.is_(None), Document.monitored_hash != Document.content_hash)
    )
    unannounced = select(Source.document_id).where(Source.announced.is_(False), Source.withdrawn.is_(False))
    missing = select(Source.document_id).where(
        Source.missing_count >= WITHDRAWN_AFTER, Source.withdrawn.is_(False)
    )
    back = select(Source.document_id).where(  # withdrawn, but the crawler fetched it again
        Source.withdrawn.is_(True), Source.missing_count == 0, Source.http_status == 200
    )
    return dirty.union(unannounced, missing, back)


@dataclass
class _Written:
    revisions: int = 0
    events: list[tuple[int, str]] = field(default_factory=list)


def _monitor_document(session: Session, document_id: int, now: datetime) -> _Written | None:
    # Take the write lock first (a row lock on PostgreSQL, the database lock on SQLite), so two
    # monitor passes, or a pass and the crawler, never interleave on one document.
    session.execute(
        update(Document).where(Document.id == document_id).values(monitored_hash=Document.monitored_hash)
    )
    document = session.get(Document, document_id)
    if document is None:
        return None
    observed_hash = document.content_hash  # what this pass saw; a later crawl write stays dirty
    written = _Written()
    pending: list[Event] = []
    revision = _latest_revision(session, document.id)
    was_plan = document.is_rural_plan
    if document.monitored_hash != observed_hash or revision is None:
        classification = store_classification(document)
        new_revision, content_events = _record_revision(session, document, revision, now)
        if new_revision is not None:
            written.revisions += 1
            # A plan's commitments, stored with the revision; moved ones are commitment_changed.
            content_events += commitment_events(session, document, revision, new_revision, classification.genre, now)
            revision = new_revision
        pending += content_events
    pending += _announce_sources(session, document, revision, now)
    pending += _withdraw_sources(session, document, revision, now)
    for event in pending:
        session.add(event)
    session.flush()
    for event in pending:
        enqueue_alerts(session, event)
        written.events.append((event.id, event.kind))
    if was_plan is False and document.is_rural_plan:  # a revision made an announced page a plan
        became = became_plan_event(session, document, now, "修订后")
        if became is not None:
            written.events.append((became.id, became.kind))
    document.monitored_hash = observed_hash
    return written


def enqueue_alerts(session: Session, event: Event) -> None:
    """Write the event's alert outbox rows in this transaction (alerts.outbox decides who).

    Imported eagerly on purpose: an alerts layer that cannot load must stop the pass (documents
    stay pending), never let events through without their alerts.
    """
    outbox.enqueue_alerts(session, event)


def _latest_revision(session: Session, document_id: int) -> Revision | None:
    return session.scalar(
        select(Revision).where(Revision.document_id == document_id).order_by(Revision.number.desc()).limit(1)
    )


def _record_revision(
    session: Session, document: Document, latest: Revision | None, now: datetime
) -> tuple[Revision | None, list[Event]]:
    """A new revision when the normalised content differs from the latest, with its events."""
    snapshot = take_snapshot(document, latest)
    if latest is not None and revision_hash(latest) == snapshot.content_hash:
        return None, []
    recent = session.scalars(
        select(Revision)
        .where(Revision.document_id == document.id)
        .order_by(Revision.number.desc())
        .limit(REVERT_WINDOW)
    ).all()
    reverts_to = next((r.number for r in recent[1:] if revision_hash(r) == snapshot.content_hash), None)
    revision = Revision(
        document_id=document.id, number=(latest.number + 1) if latest else 1, created_at=now,
        body=snapshot.body, attachments_text=snapshot.attachments_text, meta=snapshot.meta,
        content_hash=snapshot.content_hash, reverts_to=reverts_to,
    )
    session.add(revision)
    session.flush()
    if latest is None or (latest.meta or {}).get("incomplete"):
        # A first revision is announced by its source ("new"); one that completes a document
        # stored from its list entry (crawler.spiders.incomplete) is no revision of the notice.
        return revision, []
    return revision, _content_events(document, latest, revision, snapshot, now)


def _content_events(
    document: Document, old: Revision, new: Revision, snapshot: Snapshot, now: datetime
) -> list[Event]:
    source = _reporting_source(document)
    base = dict(
        document_id=document.id, revision_id=new.id, at=now, is_rural_plan=bool(document.is_rural_plan),
        is_revert=new.reverts_to is not None,
        portal_id=source.portal_id if source else None,
        crawl_run_id=source.last_listed_run_id if source else None,
    )
    revert = f"恢复为第{new.reverts_to}版：" if new.reverts_to is not None else ""
    events: list[Event] = []
    old_text = revision_text(old.body, old.attachments_text or "")
    attachments_changed = comparison_key(old.attachments_text or "") != comparison_key(snapshot.attachments_text)
    if _body_changed(old.body, snapshot.body) or attachments_changed:
        diff = diff_texts(old_text, snapshot.text)
        summary = diff.summary() if diff.changes() else f"{document.title}（标点或分段调整）"
        events.append(
            Event(
                kind=kinds.REVISED, summary=one_line(revert + summary),
                details={
                    "summary": summary, "html": diff.html(DEFAULT_CONTEXT),
                    "from_revision": old.number, "to_revision": new.number,
                },
                **base,
            )
        )
    old_meta, new_meta = old.meta or {}, snapshot.meta
    if _abolished(new_meta) and not _abolished(old_meta):
        label = "已废止" if "废止" in (new_meta.get("validity") or "") or new_meta.get("is_abolished") else "已失效"
        events.append(
            Event(
                kind=kinds.ABOLISHED, summary=one_line(f"{revert}{label}：{document.title}"),
                details={"changes": _abolish_changes(old_meta, new_meta), "from_revision": old.number,
                         "to_revision": new.number},
                **base,
            )
        )
    changes = _meta_changes(old_meta, new_meta)
    if changes:
        text = "；".join(f"{META_LABELS[name]}：{show_value(a)} → {show_value(b)}" for name, (a, b) in changes.items())
        events.append(
            Event(
                kind=kinds.METADATA_CHANGED, summary=one_line(revert + text),
                details={"changes": changes, "from_revision": old.number, "to_revision": new.number},
                **base,
            )
        )
    return events


def _body_changed(old: str, new: str) -> bool:
    """A change of the body, unless one side is empty: a page that lost its body (a broken
    extraction) or got it back is recorded in the revision, not announced as a revision.
    (Attachments need no such rule: a failed download keeps the earlier text.)"""
    old_key, new_key = comparison_key(old), comparison_key(new)
    return old_key != new_key and bool(old_key) and bool(new_key)


def _abolished(meta: dict[str, Any]) -> bool:
    validity = fold(meta.get("validity") or "")
    return bool(meta.get("is_abolished")) or any(word in validity for word in ABOLISHED_VALIDITY)


def _abolish_changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    return {
        name: [old.get(name), new.get(name)]
        for name in ("validity", "is_abolished")
        if meta_key(old.get(name)) != meta_key(new.get(name))
    }


def _meta_changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields whose value changed from one real value to another.

    A field that appears or disappears (empty on one side) is a gap filled by a repost or a
    label the extractor missed, not the publisher's change; validity and is_abolished turning
    to abolished are the ``abolished`` event's, not repeated here.
    """
    changes: dict[str, list[Any]] = {}
    becomes_abolished = _abolished(new) and not _abolished(old)
    for name in META_FIELDS:
        before, after = old.get(name), new.get(name)
        if name == "is_abolished":
            before, after = bool(before), bool(after)
        if meta_key(before) == meta_key(after):
            continue
        if becomes_abolished and name in ("validity", "is_abolished"):
            continue  # the abolished event says it
        if before in (None, "") or after in (None, ""):
            continue  # a gap filled by a repost, or a label the extractor missed
        changes[name] = [before, after]
    return changes


def _reporting_source(document: Document) -> Source | None:
    """The source a content change belongs to: the one the store takes content from.

    Reposts only fill gaps, so a change was seen at the document's own source, whichever
    other portal happened to be crawled last.
    """
    ordered = ranked_sources(document)
    return next((s for s in ordered if not s.withdrawn), ordered[0] if ordered else None)


def _announce_sources(session: Session, document: Document, revision: Revision | None, now: datetime) -> list[Event]:
    """``new`` for a document's first source, ``reposted`` for one on another portal.

    A second URL on a portal that already announced the document is recorded silently. A plan
    that is a page of an already announced plan (its news report, its 解读, or the 通知 a news
    report announced first) is announced as a page: ``new`` without the plan flag, linked in
    ``details``, so the plan's subscribers are not told twice.
    """
    announced_portals = {s.portal_id for s in document.sources if s.announced}
    events: list[Event] = []
    as_plan, details = bool(document.is_rural_plan), {}
    if as_plan and not announced_portals:
        link = alerted_relative(session, document)
        if link is not None:
            as_plan = False
            details = {"related_to": link.plan_id if link.page_id == document.id else link.page_id,
                       "related_via": link.via, "related_key": link.key}
    for source in ranked_sources(document):
        if source.announced or source.withdrawn:
            continue
        if not announced_portals:
            kind, summary = kinds.NEW, f"新文件：{document.title}"
        elif source.portal_id not in announced_portals:
            portal = source.portal.title if source.portal else str(source.portal_id)
            kind, summary = kinds.REPOSTED, f"转载：{document.title}（{portal}）"
        else:
            kind = None
        if kind is not None:
            events.append(
                Event(
                    kind=kind, document_id=document.id, revision_id=revision.id if revision else None,
                    portal_id=source.portal_id, crawl_run_id=source.last_listed_run_id, at=now,
                    is_rural_plan=as_plan if kind == kinds.NEW else bool(document.is_rural_plan),
                    is_revert=False, summary=one_line(summary), details={"url": source.url, **details},
                )
            )
        source.announced = True
        announced_portals.add(source.portal_id)
    return events


def _withdraw_sources(
    session: Session, document: Document, revision: Revision | None, now: datetime
) -> list[Event]:
    """``withdrawn`` for each source the crawler found gone (unlisted and 404) twice running.

    The event belongs to the crawl that confirmed the withdrawal (the portal's latest run), not
    to the run that last listed the page, whose digest has long gone out.
    """
    events: list[Event] = []
    for source in document.sources:
        if source.withdrawn and source.missing_count == 0 and source.http_status == 200:
            # Back after a maintenance outage or a re-publication: watched again, so a later
            # disappearance is reported again. No event: its return is not news.
            log.info("monitor: withdrawn source %s answers again; watching it again", source.url)
            source.withdrawn = False
            continue
        if source.withdrawn or source.missing_count < WITHDRAWN_AFTER:
            continue
        source.withdrawn = True
        latest_run = session.scalar(select(func.max(CrawlRun.id)).where(CrawlRun.portal_id == source.portal_id))
        portal = source.portal.title if source.portal else str(source.portal_id)
        events.append(
            Event(
                kind=kinds.WITHDRAWN, document_id=document.id, revision_id=revision.id if revision else None,
                portal_id=source.portal_id, crawl_run_id=latest_run or source.last_listed_run_id, at=now,
                is_rural_plan=bool(document.is_rural_plan), is_revert=False,
                summary=one_line(f"已撤回：{document.title}（{portal}）"),
                details={"url": source.url, "http_status": source.http_status},
            )
        )
    return events


