"""The rows one batch of sightings reads and writes, as Core statements (no ORM unit of work).

Why apart from :mod:`storage.store`: the store decides (identity, precedence, outcomes); this
module only loads what a batch needs in a handful of SELECTs and writes the result with
executemany. The unit of work cost more per sighting than the SQL itself.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Sequence

from sqlalchemy import Connection, Table, bindparam, delete, insert, select, update

from storage.models import Attachment, Document, DocumentKey, Portal, Source
from storage.records import DocumentRecord

FILLABLE = (
    "index_no", "index_no_raw", "doc_no", "doc_no_raw", "publisher", "category", "keywords",
    "written_date", "published_date", "written_date_raw", "published_date_raw", "validity",
)
AUTHORITATIVE = FILLABLE + ("title", "title_raw", "is_abolished")

_DOCUMENTS: Table = Document.__table__  # type: ignore[assignment]
_KEYS: Table = DocumentKey.__table__  # type: ignore[assignment]
_SOURCES: Table = Source.__table__  # type: ignore[assignment]
_ATTACHMENTS: Table = Attachment.__table__  # type: ignore[assignment]
PORTALS: Table = Portal.__table__  # type: ignore[assignment]
# Document columns a save reads (to fill gaps and hash) and writes.
_DOCUMENT_COLUMNS = AUTHORITATIVE + ("body", "content_hash", "first_seen", "last_seen")
_ATTACHMENT_FIELDS = ("name", "type", "size", "text", "error")
# Built once: constructing a statement and its cache key cost about as much as running it.
_SOURCES_AT = select(
    _SOURCES.c.id, _SOURCES.c.url, _SOURCES.c.document_id, _SOURCES.c.list_title, _SOURCES.c.list_date,
    _SOURCES.c.list_state,
).where(_SOURCES.c.url.in_(bindparam("urls", expanding=True)))
_KEYS_IN = select(_KEYS.c.key, _KEYS.c.document_id).where(_KEYS.c.key.in_(bindparam("keys", expanding=True)))
_DOCUMENTS_IN = select(_DOCUMENTS.c.id, *(_DOCUMENTS.c[name] for name in _DOCUMENT_COLUMNS)).where(
    _DOCUMENTS.c.id.in_(bindparam("ids", expanding=True))
)
_SOURCE_PORTALS_OF = (
    select(_SOURCES.c.document_id, _SOURCES.c.url, PORTALS.c.title)
    .join(PORTALS, PORTALS.c.id == _SOURCES.c.portal_id)
    .where(_SOURCES.c.document_id.in_(bindparam("ids", expanding=True)))
    .order_by(_SOURCES.c.id)
)
_ATTACHMENTS_OF = select(_ATTACHMENTS).where(_ATTACHMENTS.c.document_id.in_(bindparam("ids", expanding=True)))
_INSERT_DOCUMENTS = insert(_DOCUMENTS).returning(_DOCUMENTS.c.id, sort_by_parameter_order=True)
_UPDATE_DOCUMENT = update(_DOCUMENTS).where(_DOCUMENTS.c.id == bindparam("_id"))
_UPDATE_SOURCE = update(_SOURCES).where(_SOURCES.c.id == bindparam("_id"))
_UPDATE_ATTACHMENT = update(_ATTACHMENTS).where(_ATTACHMENTS.c.id == bindparam("_id"))
_DELETE_ATTACHMENTS = delete(_ATTACHMENTS).where(_ATTACHMENTS.c.id.in_(bindparam("ids", expanding=True)))


@dataclass
class DocumentRow:
    """A document as one batch sees it: its stored columns, and which of them the batch changed."""

    id: int | None  # None until the batch inserts it
    values: dict[str, Any]
    changed: set[str] = field(default_factory=set)
    # (url, portal title) of its sources, stored ones in id order, then the batch's own.
    sources: list[tuple[str, str]] = field(default_factory=list)
    attachments: dict[str, dict[str, Any]] = field(default_factory=dict)  # url -> row as it should be
    stored_attachments: dict[str, dict[str, Any]] = field(default_factory=dict)  # url -> row as loaded

    def set(self, column: str, value: Any) -> None:
        if column not in self.values or self.values[column] != value:
            self.values[column] = value
            self.changed.add(column)


@dataclass
class SourceRow:
    id: int | None  # None until the batch inserts it
    document: DocumentRow
    values: dict[str, Any]  # the columns a save writes (plus the list_* it keeps when a record has none)


@dataclass
class Batch:
    """What one transaction has read and decided, written out together at its end."""

    sources: dict[str, SourceRow] = field(default_factory=dict)  # url -> stored or pending source
    documents: dict[int, DocumentRow] = field(default_factory=dict)  # id -> stored document
    new_documents: list[DocumentRow] = field(default_factory=list)
    keys: dict[str, DocumentRow] = field(default_factory=dict)  # identity key -> pending owner
    stored_keys: dict[str, int] = field(default_factory=dict)  # identity key -> stored document id
    new_keys: list[tuple[str, str, DocumentRow]] = field(default_factory=list)  # (key, kind, owner)
    counters: Counter[str] = field(default_factory=Counter)  # outcome -> sightings


def load_batch(connection: Connection, records: Sequence[DocumentRecord], keys: list[list[tuple[str, str]]]) -> Batch:
    """Read what the batch's sightings can meet: their URLs, identity ``keys`` and those documents."""
    batch = Batch()
    stored_sources = connection.execute(_SOURCES_AT, {"urls": list({record.url for record in records})}).all()
    wanted = list({key for record_keys in keys for _kind, key in record_keys})
    stored_keys = connection.execute(_KEYS_IN, {"keys": wanted})
    batch.stored_keys.update({key: document_id for key, document_id in stored_keys})
    met = {row.document_id for row in stored_sources} | set(batch.stored_keys.values())
    batch.documents = _load_documents(connection, met)
    for row in stored_sources:
        values = {"list_title": row.list_title, "list_date": row.list_date, "list_state": row.list_state}
        batch.sources[row.url] = SourceRow(id=row.id, document=batch.documents[row.document_id], values=values)
    return batch


def _load_documents(connection: Connection, ids: set[int]) -> dict[int, DocumentRow]:
    """The stored documents ``ids`` with what a save compares: columns, sources' portals, attachments."""
    if not ids:
        return {}
    wanted = {"ids": list(ids)}
    documents: dict[int, DocumentRow] = {}
    for row in connection.execute(_DOCUMENTS_IN, wanted):
        values = dict(row._mapping)
        documents[values.pop("id")] = DocumentRow(id=row.id, values=values)
    for document_id, url, title in connection.execute(_SOURCE_PORTALS_OF, wanted):
        documents[document_id].sources.append((url, title))
    for row in connection.execute(_ATTACHMENTS_OF, wanted):
        attachment = dict(row._mapping)
        documents[row.document_id].stored_attachments[row.url] = attachment
        documents[row.document_id].attachments[row.url] = attachment
    return documents


def first_match(keys: list[tuple[str, str]], batch: Batch) -> DocumentRow | None:
    """The document behind the most trusted of ``keys``, stored or added in this batch."""
    for _kind, key in keys:
        if key in batch.keys:
            return batch.keys[key]
        if key in batch.stored_keys:
            return batch.documents.get(batch.stored_keys[key])
    return None


def write_batch(connection: Connection, batch: Batch) -> None:
    """Send the batch's decisions as a few executemany statements, parents before children."""
    if batch.new_documents:
        rows = [{name: document.values.get(name) for name in _DOCUMENT_COLUMNS} for document in batch.new_documents]
        inserted = connection.execute(_INSERT_DOCUMENTS, rows)
        for document, document_id in zip(batch.new_documents, inserted.scalars()):
            document.id = document_id
    # One UPDATE per set of changed columns: most stored documents change only last_seen.
    changes: dict[frozenset[str], list[dict[str, Any]]] = {}
    for document in batch.documents.values():
        if document.changed:
            row = {name: document.values[name] for name in document.changed}
            changes.setdefault(frozenset(document.changed), []).append({"_id": document.id, **row})
    for rows in changes.values():
        connection.execute(_UPDATE_DOCUMENT, rows)
    if batch.new_keys:
        connection.execute(insert(_KEYS), [
            {"key": key, "kind": kind, "document_id": id_of(document)} for key, kind, document in batch.new_keys
        ])
    _write_sources(connection, list(batch.sources.values()))
    _write_attachments(connection, [*batch.documents.values(), *batch.new_documents])


def _write_sources(connection: Connection, sources: list[SourceRow]) -> None:
    new = [{**source.values, "document_id": id_of(source.document)} for source in sources if source.id is None]
    if new:
        connection.execute(insert(_SOURCES), new)
    seen = [{"_id": source.id, **source.values} for source in sources if source.id is not None]
    if seen:
        connection.execute(_UPDATE_SOURCE, seen)


def _write_attachments(connection: Connection, documents: list[DocumentRow]) -> None:
    """Attachments as the primary source lists them: drop the gone, rewrite the changed, add the new."""
    gone, changed, new = [], [], []
    for document in documents:
        for url, stored in document.stored_attachments.items():
            wanted = document.attachments.get(url)
            if wanted is None:
                gone.append(stored["id"])
            elif any(wanted[name] != stored[name] for name in _ATTACHMENT_FIELDS):
                changed.append({"_id": stored["id"], **{name: wanted[name] for name in _ATTACHMENT_FIELDS}})
        new.extend(
            {"document_id": id_of(document), "url": url, **{name: wanted[name] for name in _ATTACHMENT_FIELDS}}
            for url, wanted in document.attachments.items()
            if url not in document.stored_attachments
        )
    if gone:
        connection.execute(_DELETE_ATTACHMENTS, {"ids": gone})
    if changed:
        connection.execute(_UPDATE_ATTACHMENT, changed)
    if new:
        connection.execute(insert(_ATTACHMENTS), new)


def id_of(document: DocumentRow) -> int:
    if document.id is None:
        raise AssertionError("document written before its id was known")
    return document.id
