"""Commitments in the change pass: extracted for every revision of a plan, stored with the
revision, and compared with the revision before — a changed target or deadline (or a commitment
added or dropped) is one ``commitment_changed`` event per revision, with old and new values.

Why genre and not the rural verdict decides: a plan's commitments are worth keeping whatever its
subject (researchers read them all); alerts and digests select the rural ones, as for any event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from eduwatch.event_kinds import COMMITMENT_CHANGED
from monitor.changes.commitments.extract import extract
from monitor.changes.commitments.similarity import dice, same_text
from monitor.changes.commitments.types import Commitment
from monitor.changes.events import one_line
from monitor.changes.snapshots import revision_text
from monitor.changes.textnorm import comparison_key
from storage.models import Document, Event, PlanCommitment, Revision
from storage.store import ranked_sources

COMPARED = ("deadline", "recurring", "target", "target_max", "unit", "comparison")


def is_plan_genre(genre: str | None) -> bool:
    """plan, notice-issuing-plan, news-reproducing-plan …: anything the classifier calls a plan."""
    return bool(genre) and not str(genre).startswith("not-plan")


def stored_genre(document: Document) -> str | None:
    """The genre the classifier last stored with the verdict (documents.rural_evidence)."""
    verdict = next((e for e in document.rural_evidence or [] if isinstance(e, dict) and e.get("field") == "verdict"), None)
    return verdict.get("phrase") if verdict else None


def revision_commitments(session: Session, revision_id: int) -> list[Commitment]:
    rows = session.scalars(select(PlanCommitment).where(PlanCommitment.revision_id == revision_id)
                           .order_by(PlanCommitment.position)).all()
    return [from_row(row) for row in rows]


def from_row(row: PlanCommitment) -> Commitment:
    return Commitment(
        sentence=row.sentence, section=row.section, indicator=row.indicator, deadline=row.deadline,
        recurring=row.recurring, target=row.target, target_max=row.target_max, unit=row.unit,
        comparison=row.comparison, scope=row.scope, lead=row.lead, partners=tuple(row.partners or ()),
    )


def store_commitments(session: Session, document: Document, revision: Revision) -> list[Commitment]:
    """Extract and store the revision's commitments (body and attachment texts)."""
    found = extract(revision_text(revision.body, revision.attachments_text or ""), document.written_date)
    for position, item in enumerate(found):
        session.add(PlanCommitment(
            revision_id=revision.id, document_id=document.id, position=position, sentence=item.sentence,
            section=item.section, indicator=item.indicator, deadline=item.deadline, recurring=item.recurring,
            target=item.target, target_max=item.target_max, unit=item.unit, comparison=item.comparison,
            scope=item.scope, lead=item.lead, partners=list(item.partners),
        ))
    return found


@dataclass(frozen=True)
class Change:
    old: Commitment | None  # None: added
    new: Commitment | None  # None: dropped

    def line(self) -> str:
        """到2024年 教育集团 =3个 → =5个 (the values a reader compares)."""
        shown = self.new or self.old
        assert shown is not None
        if self.old is None:
            return f"新增：{_describe(shown)}"
        if self.new is None:
            return f"删去：{_describe(shown)}"
        return f"{shown.indicator}：{_values(self.old)} → {_values(self.new)}"

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line(), "old": self.old.to_dict() if self.old else None,
                "new": self.new.to_dict() if self.new else None}


def _values(item: Commitment) -> str:
    due = item.deadline.isoformat() if item.deadline else (item.recurring or "无期限")
    return f"{item.target_text() or '（定性）'}（{due}）"


def _describe(item: Commitment) -> str:
    return f"{item.indicator} {_values(item)}"


def compare(old: list[Commitment], new: list[Commitment]) -> list[Change]:
    """What changed between two revisions' commitments: unchanged ones pair first (all values
    equal, same indicator), then the rest by indicator and sentence (a moved target keeps its
    words around it); what is left was added or dropped."""
    remaining_old, remaining_new = list(old), []
    for item in new:
        twin = next((o for o in remaining_old if _values_equal(o, item) and same_text(o.indicator, item.indicator, 0.8)), None)
        if twin is not None:
            remaining_old.remove(twin)
        else:
            remaining_new.append(item)
    changes: list[Change] = []
    for item in remaining_new:
        scored = [(dice(o.indicator, item.indicator) + dice(o.sentence, item.sentence), o) for o in remaining_old
                  if same_text(o.indicator, item.indicator, 0.6) and same_text(o.sentence, item.sentence, 0.6)]
        if scored:
            best = max(scored, key=lambda pair: pair[0])[1]
            remaining_old.remove(best)
            changes.append(Change(best, item))
        else:
            changes.append(Change(None, item))
    changes += [Change(o, None) for o in remaining_old]
    return changes


def _values_equal(a: Commitment, b: Commitment) -> bool:
    return all(getattr(a, name) == getattr(b, name) for name in COMPARED)


def commitment_events(session: Session, document: Document, previous: Revision | None, revision: Revision,
                      genre: str | None, now: datetime) -> list[Event]:
    """Store the new revision's commitments; the ``commitment_changed`` event when they differ
    from the previous revision's (none for a first revision, or one completing a list entry)."""
    if not is_plan_genre(genre):
        return []
    found = store_commitments(session, document, revision)
    if previous is None or (previous.meta or {}).get("incomplete"):
        return []
    if not comparison_key(previous.body) or not comparison_key(revision.body):
        return []  # a body lost (or found again) by extraction is no change of the plan (as for ``revised``)
    before = revision_commitments(session, previous.id)
    if not before:
        return []  # nothing was promised before (or the plan predates the tracker): no news
    changes = compare(before, found)
    if not changes:
        return []
    source = next((s for s in ranked_sources(document) if not s.withdrawn), None)
    lines = [change.line() for change in changes]
    return [Event(
        kind=COMMITMENT_CHANGED, document_id=document.id, revision_id=revision.id, at=now,
        is_rural_plan=bool(document.is_rural_plan), is_revert=revision.reverts_to is not None,
        portal_id=source.portal_id if source else None, crawl_run_id=source.last_listed_run_id if source else None,
        summary=one_line(f"承诺变更：{document.title}：" + "；".join(lines)),
        details={"commitments": [c.to_dict() for c in changes], "from_revision": previous.number,
                 "to_revision": revision.number},
    )]


def refresh_latest(session: Session, document: Document) -> int:
    """Extract the commitments of a plan's latest revision if it has none stored (databases from
    before the tracker); returns how many were stored."""
    latest = session.scalar(select(Revision).where(Revision.document_id == document.id)
                            .order_by(Revision.number.desc()).limit(1))
    if latest is None or not is_plan_genre(stored_genre(document)):
        return 0
    if session.scalar(select(PlanCommitment.id).where(PlanCommitment.revision_id == latest.id).limit(1)) is not None:
        return 0
    return len(store_commitments(session, document, latest))


def is_due(deadline: date | None, today: date) -> bool:
    return deadline is not None and deadline < today
