"""Snapshots: what a revision stores and compares, and the hash that says "same content".

Why a module of its own: the monitor pass writes revisions from snapshots, and reading them
back (diffs, reverts) compares their hashes; both need the same definition of "noise only".
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from monitor.changes.events import META_LABELS
from monitor.changes.textnorm import clean_text, comparison_key, fold
from storage.models import Document, Revision

META_FIELDS = tuple(META_LABELS)
_ATTACHMENT_HEADER = re.compile(r"^【附件：(.*)】$", re.MULTILINE)


@dataclass(frozen=True)
class Snapshot:
    body: str  # clean_text of the body
    attachments_text: str  # 【附件：name】 blocks of cleaned attachment text
    meta: dict[str, Any]
    content_hash: str

    @property
    def text(self) -> str:
        """Body and attachments as one text: what diffs show."""
        return revision_text(self.body, self.attachments_text)


def revision_text(body: str, attachments_text: str) -> str:
    return body + ("\n" + attachments_text if attachments_text else "")


def snapshot_hash(body: str, attachments_text: str, meta: dict[str, Any]) -> str:
    """Hash of the comparison keys: equal for texts that differ only by noise."""
    payload = {
        "body": comparison_key(body),
        "attachments": comparison_key(attachments_text),
        "meta": {name: meta_key(meta.get(name)) for name in META_FIELDS},
    }
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def take_snapshot(document: Document, previous: Revision | None = None) -> Snapshot:
    body = clean_text(document.body)
    attachments = _attachments_text(document, previous)
    meta = _meta(document)
    return Snapshot(body, attachments, meta, snapshot_hash(body, attachments, meta))


def revision_hash(revision: Revision) -> str:
    """Recomputed from the stored texts, so improved noise rules apply to old revisions too."""
    return snapshot_hash(revision.body, revision.attachments_text or "", revision.meta or {})


def _meta(document: Document) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for name in META_FIELDS:
        value = getattr(document, name)
        if isinstance(value, (date, datetime)):
            value = value.isoformat()
        elif isinstance(value, str):
            value = " ".join(value.split()) or None
        meta[name] = value
    meta["is_abolished"] = bool(document.is_abolished)
    if document.incomplete:  # stored from its list entry only; not compared (see _record_revision)
        meta["incomplete"] = document.incomplete
    return meta


def meta_key(value: Any) -> Any:
    return fold(value) if isinstance(value, str) else value


def _attachments_text(document: Document, previous: Revision | None) -> str:
    """Attachment texts under 【附件：name】 headers, by name.

    An attachment whose download failed this time (error, no text) keeps the text of the
    previous revision: a flaky download is not a change of the document.
    """
    earlier = split_attachments(previous.attachments_text) if previous is not None else {}
    blocks = []
    for attachment in sorted(document.attachments, key=lambda a: (a.name or "", a.url)):
        name = " ".join((attachment.name or attachment.url).split())
        text = clean_text(attachment.text)
        if not text and attachment.error and earlier.get(name):
            text = earlier[name]
        blocks.append(f"【附件：{name}】" + (f"\n{text}" if text else ""))
    return "\n".join(blocks)


def split_attachments(attachments_text: str) -> dict[str, str]:
    """The blocks of an attachments_text by attachment name."""
    parts = _ATTACHMENT_HEADER.split(attachments_text or "")
    return {name: text.strip("\n") for name, text in zip(parts[1::2], parts[2::2])}
