"""Reading revisions back: the diff between two revisions of a document (``eduwatch diff``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from monitor.changes.diffing import TextDiff, diff_texts
from monitor.changes.snapshots import META_FIELDS, meta_key, revision_text
from storage.database import Database
from storage.models import Document


@dataclass(frozen=True)
class RevisionDiff:
    document_id: int
    title: str
    from_revision: int
    to_revision: int
    diff: TextDiff
    meta_changes: dict[str, list[Any]] = field(default_factory=dict)  # every differing field, gaps too


def diff_revisions(db: Database, document_id: int, a: int | None = None, b: int | None = None) -> RevisionDiff:
    """The diff between two revisions of a document (default: the last two).

    Raises LookupError with a message for the operator when the document or a revision is missing.
    """
    with db.sessions() as session:
        document = session.get(Document, document_id)
        if document is None:
            raise LookupError(f"no document with id {document_id}")
        revisions = {r.number: r for r in document.revisions}
        if not revisions:
            raise LookupError(f"document {document_id} has no revisions yet (run the monitor first)")
        if a is None and b is None:
            numbers = sorted(revisions)
            if len(numbers) < 2:
                raise LookupError(f"document {document_id} has only one revision")
            a, b = numbers[-2], numbers[-1]
        for number in (a, b):
            if number not in revisions:
                raise LookupError(
                    f"document {document_id} has no revision {number} (it has {', '.join(map(str, sorted(revisions)))})"
                )
        old, new = revisions[a], revisions[b]  # type: ignore[index]
        diff = diff_texts(
            revision_text(old.body, old.attachments_text or ""), revision_text(new.body, new.attachments_text or "")
        )
        old_meta, new_meta = old.meta or {}, new.meta or {}
        meta_changes = {
            name: [old_meta.get(name), new_meta.get(name)]
            for name in META_FIELDS
            if meta_key(old_meta.get(name)) != meta_key(new_meta.get(name))
        }
        return RevisionDiff(document.id, document.title, old.number, new.number, diff, meta_changes)
