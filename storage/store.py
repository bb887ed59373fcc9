"""The crawler's door into the database: portals, sources and deduplicated documents
(crawl runs are :mod:`storage.runs`).

Each public method is one transaction, so a crash or kill mid-crawl leaves every document
either fully written or not at all; the next crawl sees the missing ones as new and
completes the work.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import urlsplit

from sqlalchemy import Connection, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from eduwatch.config import PortalConfig
from storage.database import Database
from storage.identity import identity_keys
from storage.models import Attachment, Document, DocumentKey, Portal, Source, utcnow
from storage.runs import count_documents, run_portal
from storage.records import DocumentRecord, ListEntry

log = logging.getLogger(__name__)
MAX_BATCH = 500  # sightings per transaction in save_documents; keeps IN (...) lists well inside limits
# Fields a repost may fill in when the document's own source left them empty.
_FILLABLE = (
    "index_no", "index_no_raw", "doc_no", "doc_no_raw", "publisher", "category", "keywords",
    "written_date", "published_date", "written_date_raw", "published_date_raw", "validity",
)
_AUTHORITATIVE = _FILLABLE + ("title", "title_raw", "is_abolished")


@dataclass(frozen=True)
class KnownSource:
    url: str
    document_id: int
    list_title: str | None
    list_date: str | None
    etag: str | None
    last_modified: str | None
    last_fetched: datetime | None
    missing_count: int
    list_state: str | None = None


@dataclass(frozen=True)
class SaveResult:
    document_id: int
    outcome: str  # new | updated | unchanged | new_source


# The save path writes rows with Core statements on these tables (see Store._save_batch).
_DOCUMENTS: Table = Document.__table__  # type: ignore[assignment]
_KEYS: Table = DocumentKey.__table__  # type: ignore[assignment]
_SOURCES: Table = Source.__table__  # type: ignore[assignment]
_ATTACHMENTS: Table = Attachment.__table__  # type: ignore[assignment]
_PORTALS: Table = Portal.__table__  # type: ignore[assignment]
# Document columns a save reads (to fill gaps and hash) and writes.
_DOCUMENT_COLUMNS = _AUTHORITATIVE + ("body", "content_hash", "first_seen", "last_seen")
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
    select(_SOURCES.c.document_id, _SOURCES.c.url, _PORTALS.c.title)
    .join(_PORTALS, _PORTALS.c.id == _SOURCES.c.portal_id)
    .where(_SOURCES.c.document_id.in_(bindparam("ids", expanding=True)))
    .order_by(_SOURCES.c.id)
)
_ATTACHMENTS_OF = select(_ATTACHMENTS).where(_ATTACHMENTS.c.document_id.in_(bindparam("ids", expanding=True)))
_INSERT_DOCUMENTS = insert(_DOCUMENTS).returning(_DOCUMENTS.c.id, sort_by_parameter_order=True)
_UPDATE_DOCUMENT = update(_DOCUMENTS).where(_DOCUMENTS.c.id == bindparam("_id"))
_UPDATE_SOURCE = update(_SOURCES).where(_SOURCES.c.id == bindparam("_id"))
_UPDATE_ATTACHMENT = update(_ATTACHMENTS).where(_ATTACHMENTS.c.id == bindparam("_id"))
_DELETE_ATTACHMENTS = delete(_ATTACHMENTS).where(_ATTACHMENTS.c.id.in_(bindparam("ids", expanding=True)))
# SQL increments, not read-modify-write: workers share one run's counters.


@dataclass
class _Document:
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
class _Source:
    id: int | None  # None until the batch inserts it
    document: _Document
    values: dict[str, Any]  # the columns a save writes (plus the list_* it keeps when a record has none)


@dataclass
class _Batch:
    """What one transaction has read and decided, written out together at its end."""

    sources: dict[str, _Source] = field(default_factory=dict)  # url -> stored or pending source
    documents: dict[int, _Document] = field(default_factory=dict)  # id -> stored document
    new_documents: list[_Document] = field(default_factory=list)
    keys: dict[str, _Document] = field(default_factory=dict)  # identity key -> pending owner
    stored_keys: dict[str, int] = field(default_factory=dict)  # identity key -> stored document id
    new_keys: list[tuple[str, str, _Document]] = field(default_factory=list)  # (key, kind, owner)
    counters: Counter[str] = field(default_factory=Counter)  # outcome -> sightings


def content_hash(values: Mapping[str, Any], attachments: Iterable[Mapping[str, Any]]) -> str:
    """Hash of what a revision compares; attachments in URL order so it is stable."""
    payload = {
        field: values.get(field)
        for field in ("title", "doc_no", "index_no", "publisher", "validity", "is_abolished", "body")
    }
    payload["written_date"] = str(values.get("written_date"))
    payload["published_date"] = str(values.get("published_date"))
    payload["attachments"] = sorted((a["url"], a["name"], a["text"] or "") for a in attachments)
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


class Store:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._run_portals: dict[int, tuple[int, str]] = {}  # run id -> its portal's (id, title)
        self._portal_titles: dict[str, str] = {}

    # --- portals ----------------------------------------------------------------------------

    def sync_portals(self, portals: Iterable[PortalConfig]) -> None:
        self._portal_titles.clear()
        with self.db.transaction() as session:
            existing = {p.name: p for p in session.scalars(select(Portal))}
            for config in portals:
                row = existing.get(config.name) or Portal(name=config.name)
                row.title, row.region = config.title, config.region
                row.platform, row.base_url = config.platform, config.base_url
                session.add(row)

    # --- what the crawler already knows ------------------------------------------------------

    def known_sources(self, portal: str) -> dict[str, KnownSource]:
        with self.db.sessions() as session:
            rows = session.execute(
                select(
                    Source.url, Source.document_id, Source.list_title, Source.list_date, Source.etag,
                    Source.last_modified, Source.last_fetched, Source.missing_count, Source.list_state,
                )
                .join(Portal, Source.portal_id == Portal.id)
                .where(Portal.name == portal, Source.withdrawn.is_(False))
            )
            return {row.url: KnownSource(*row) for row in rows}

    def listed_in_run(self, portal: str, run_id: int) -> set[str]:
        """URLs of ``portal`` some list showed in run ``run_id`` (mark_listed or a save set it):
        what a distributed run's workers saw between them."""
        with self.db.sessions() as session:
            return set(session.scalars(
                select(Source.url)
                .join(Portal, Source.portal_id == Portal.id)
                .where(Portal.name == portal, Source.last_listed_run_id == run_id)
            ))

    def mark_listed(self, run_id: int, portal: str, entries: Iterable[ListEntry]) -> None:
        """Known entries seen on a list this run: they are still published."""
        urls = [entry.url for entry in entries]
        if not urls:
            return
        now = utcnow()
        with self.db.transaction() as session:
            # One UPDATE per chunk: every list page of every incremental run comes through here,
            # and loading each Source as an ORM object cost more than the page's parsing.
            for chunk in _chunks(urls, 500):
                session.execute(
                    update(Source)
                    .where(Source.url.in_(chunk))
                    .values(last_seen=now, last_listed_run_id=run_id, missing_count=0)
                    .execution_options(synchronize_session=False)
                )

    def mark_unchanged(
        self, run_id: int, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> None:
        """A conditional GET answered 304: the page is as we stored it."""
        with self.db.transaction() as session:
            source = session.scalar(select(Source).where(Source.url == url))
            if source is None:
                return
            source.last_fetched = source.last_seen = utcnow()
            source.etag = etag or source.etag
            source.last_modified = last_modified or source.last_modified
            source.missing_count = 0

    def record_probe(self, run_id: int, url: str, status: int) -> None:
        """A known source missing from the lists was re-requested; 404/410 count towards withdrawal."""
        with self.db.transaction() as session:
            source = session.scalar(select(Source).where(Source.url == url))
            if source is None:
                return
            source.http_status = status
            if status in (404, 410):
                source.missing_count += 1
            elif 200 <= status < 400:
                source.missing_count = 0
                source.last_seen = utcnow()

    # --- documents -----------------------------------------------------------------------------

    def save_document(self, record: DocumentRecord, run_id: int) -> SaveResult:
        """Store one sighting; retried once when a concurrent writer inserted the same key."""
        for attempt in (1, 2):
            try:
                return self._save_batch([record], run_id)[0]
            except IntegrityError:
                if attempt == 2:
                    raise
                log.info("concurrent insert of %s; retrying against the winner", record.url)
        raise AssertionError("unreachable")

    def save_documents(self, records: Sequence[DocumentRecord], run_id: int) -> list[SaveResult]:
        """Store many sightings in one transaction: the bulk path (backfills, worker batches).

        Same rules as :meth:`save_document`, and still all-or-nothing per document. The
        inserts go out together at the end, which is what makes it several times faster. If
        a concurrent writer took one of the keys, the batch is redone one sighting at a time.
        """
        results: list[SaveResult] = []
        for start in range(0, len(records), MAX_BATCH):
            chunk = records[start : start + MAX_BATCH]
            try:
                results.extend(self._save_batch(chunk, run_id))
            except IntegrityError:
                log.info("batch of %d collided with a concurrent writer; saving one by one", len(chunk))
                results.extend(self.save_document(record, run_id) for record in chunk)
        return results

    def save_documents_each(self, records: Sequence[DocumentRecord], run_id: int) -> list[SaveResult | Exception]:
        """:meth:`save_documents` for a crawl: a record the store refuses costs only itself.

        Each chunk is tried in one transaction; if that fails for any reason (nothing of it is
        committed) its records are saved one at a time, and a refused one's place in the result
        holds its exception. Every record is thus saved exactly once or reported — never saved
        twice, which would miscount it as "unchanged".
        """
        results: list[SaveResult | Exception] = []
        for start in range(0, len(records), MAX_BATCH):
            chunk = records[start : start + MAX_BATCH]
            try:
                results.extend(self._save_batch(chunk, run_id))
                continue
            except Exception as exc:  # noqa: BLE001 — find the culprit(s) one by one
                log.info("batch of %d failed (%s); saving one by one", len(chunk), type(exc).__name__)
            for record in chunk:
                try:
                    results.append(self.save_document(record, run_id))
                except Exception as exc:  # noqa: BLE001 — the caller reports it against the URL
                    results.append(exc)
        return results

    def _save_batch(self, records: Sequence[DocumentRecord], run_id: int) -> list[SaveResult]:
        # Core statements, no ORM session: the unit of work cost more per sighting than the SQL
        # itself (a flush sorts, diffs and refreshes every object).
        with self.db.engine.begin() as connection:
            keys = [identity_keys(record) for record in records]
            batch = _load_batch(connection, records, keys)
            saved = [self._save(connection, record, its_keys, run_id, batch) for record, its_keys in zip(records, keys)]
            _write_batch(connection, batch)
            count_documents(connection, run_id, new=batch.counters["new"], updated=batch.counters["updated"])
            return [SaveResult(_id_of(document), outcome) for document, outcome in saved]

    def _save(
        self, connection: Connection, record: DocumentRecord, keys: list[tuple[str, str]], run_id: int, batch: _Batch
    ) -> tuple[_Document, str]:
        now = utcnow()
        source = batch.sources.get(record.url)
        document = source.document if source else _first_match(keys, batch)
        if document is None:
            document = _Document(id=None, values={"first_seen": now, "content_hash": ""})
            batch.new_documents.append(document)
            outcome = "new"
        else:
            outcome = "unchanged" if source else "new_source"
        authoritative = outcome == "new" or self._is_primary(connection, document, record)
        old_hash = document.values["content_hash"]
        self._apply(document, record, authoritative)
        document.set("last_seen", now)
        for kind, key in keys:
            if key not in batch.stored_keys and key not in batch.keys:
                batch.new_keys.append((key, kind, document))
                batch.keys[key] = document
        if source is None:
            portal_id, portal_title = self._run_portal(connection, run_id)
            values = {"url": record.url, "portal_id": portal_id, "first_seen": now}
            source = _Source(id=None, document=document, values=values)
            batch.sources[record.url] = source
            document.sources.append((record.url, portal_title))
        self._update_source(source, record, run_id, now)
        document.set("content_hash", content_hash(document.values, document.attachments.values()))
        if outcome == "unchanged" and document.values["content_hash"] != old_hash:
            outcome = "updated"
        batch.counters[outcome] += 1
        return document, outcome

    def _run_portal(self, connection: Connection, run_id: int) -> tuple[int, str]:
        """The run's portal (id, title), looked up once per run rather than once per document."""
        if run_id not in self._run_portals:
            self._run_portals[run_id] = run_portal(connection, run_id)
        return self._run_portals[run_id]

    def _portal_title(self, connection: Connection, name: str) -> str:
        if name not in self._portal_titles:
            self._portal_titles[name] = connection.scalar(select(_PORTALS.c.title).where(_PORTALS.c.name == name)) or ""
        return self._portal_titles[name]

    def _is_primary(self, connection: Connection, document: _Document, record: DocumentRecord) -> bool:
        """Whether ``record`` speaks for the document, rather than only filling gaps as a repost."""
        doc_no = document.values.get("doc_no") or record.doc_no or ""
        best = _best_source(document.sources, doc_no)
        if best is None:
            return True
        best_url, best_title = best
        incoming = self._portal_title(connection, record.portal)
        return record.url == best_url or _issuer_affinity(incoming, doc_no) > _issuer_affinity(best_title, doc_no)

    @staticmethod
    def _apply(document: _Document, record: DocumentRecord, authoritative: bool) -> None:
        if authoritative:
            for field in _AUTHORITATIVE:
                document.set(field, getattr(record, field))
            document.set("title", record.title or document.values["title"] or record.url)
            document.set("body", record.body)
            document.attachments = {
                a.url: {"url": a.url, "name": a.name, "type": a.type, "size": a.size, "text": a.text, "error": a.error}
                for a in record.attachments
            }
            return
        for field in _FILLABLE:
            if document.values[field] in (None, "") and getattr(record, field) not in (None, ""):
                document.set(field, getattr(record, field))
        if not document.values["body"] and record.body:
            document.set("body", record.body)

    @staticmethod
    def _update_source(source: _Source, record: DocumentRecord, run_id: int, now: datetime) -> None:
        values = source.values
        values["last_seen"] = values["last_fetched"] = now
        values["last_listed_run_id"] = run_id
        values["etag"], values["last_modified"] = record.etag, record.last_modified
        values["list_title"] = record.list_title if record.list_title is not None else values.get("list_title")
        values["list_date"] = record.list_date if record.list_date is not None else values.get("list_date")
        values["list_state"] = record.list_state if record.list_state is not None else values.get("list_state")
        values["http_status"], values["missing_count"] = 200, 0

    def document_count(self) -> int:
        with self.db.sessions() as session:
            return session.scalar(select(func.count(Document.id))) or 0


def _load_batch(connection: Connection, records: Sequence[DocumentRecord], keys: list[list[tuple[str, str]]]) -> _Batch:
    """Read what the batch's sightings can meet: their URLs, identity ``keys`` and those documents."""
    batch = _Batch()
    stored_sources = connection.execute(_SOURCES_AT, {"urls": list({record.url for record in records})}).all()
    wanted = list({key for record_keys in keys for _kind, key in record_keys})
    stored_keys = connection.execute(_KEYS_IN, {"keys": wanted})
    batch.stored_keys.update({key: document_id for key, document_id in stored_keys})
    met = {row.document_id for row in stored_sources} | set(batch.stored_keys.values())
    batch.documents = _load_documents(connection, met)
    for row in stored_sources:
        values = {"list_title": row.list_title, "list_date": row.list_date, "list_state": row.list_state}
        batch.sources[row.url] = _Source(id=row.id, document=batch.documents[row.document_id], values=values)
    return batch


def _load_documents(connection: Connection, ids: set[int]) -> dict[int, _Document]:
    """The stored documents ``ids`` with what a save compares: columns, sources' portals, attachments."""
    if not ids:
        return {}
    wanted = {"ids": list(ids)}
    documents: dict[int, _Document] = {}
    for row in connection.execute(_DOCUMENTS_IN, wanted):
        values = dict(row._mapping)
        documents[values.pop("id")] = _Document(id=row.id, values=values)
    for document_id, url, title in connection.execute(_SOURCE_PORTALS_OF, wanted):
        documents[document_id].sources.append((url, title))
    for row in connection.execute(_ATTACHMENTS_OF, wanted):
        attachment = dict(row._mapping)
        documents[row.document_id].stored_attachments[row.url] = attachment
        documents[row.document_id].attachments[row.url] = attachment
    return documents


def _first_match(keys: list[tuple[str, str]], batch: _Batch) -> _Document | None:
    """The document behind the most trusted of ``keys``, stored or added in this batch."""
    for _kind, key in keys:
        if key in batch.keys:
            return batch.keys[key]
        if key in batch.stored_keys:
            return batch.documents.get(batch.stored_keys[key])
    return None


def _write_batch(connection: Connection, batch: _Batch) -> None:
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
            {"key": key, "kind": kind, "document_id": _id_of(document)} for key, kind, document in batch.new_keys
        ])
    _write_sources(connection, list(batch.sources.values()))
    _write_attachments(connection, [*batch.documents.values(), *batch.new_documents])


def _write_sources(connection: Connection, sources: list[_Source]) -> None:
    new = [{**source.values, "document_id": _id_of(source.document)} for source in sources if source.id is None]
    if new:
        connection.execute(insert(_SOURCES), new)
    seen = [{"_id": source.id, **source.values} for source in sources if source.id is not None]
    if seen:
        connection.execute(_UPDATE_SOURCE, seen)


def _write_attachments(connection: Connection, documents: list[_Document]) -> None:
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
            {"document_id": _id_of(document), "url": url, **{name: wanted[name] for name in _ATTACHMENT_FIELDS}}
            for url, wanted in document.attachments.items()
            if url not in document.stored_attachments
        )
    if gone:
        connection.execute(_DELETE_ATTACHMENTS, {"ids": gone})
    if changed:
        connection.execute(_UPDATE_ATTACHMENT, changed)
    if new:
        connection.execute(insert(_ATTACHMENTS), new)


def _id_of(document: _Document) -> int:
    if document.id is None:
        raise AssertionError("document written before its id was known")
    return document.id


def _best_source(sources: list[tuple[str, str]], doc_no: str) -> tuple[str, str] | None:
    """(url, portal title) of the source that speaks for a document: ranked_sources' rule on a batch's view.

    ``sources`` are in id order with the batch's own last, so ties go to the first seen.
    """
    return min(sources, key=lambda source: -_issuer_affinity(source[1], doc_no), default=None)


def ranked_sources(document: Document, doc_no: str | None = None) -> list[Source]:
    """The document's sources, the one that speaks for it first.

    The issuer's own portal speaks for a document. A 文号 opens with its jurisdiction's
    initial (惠府办函 for 惠来县, 桓政办字 for 桓台县), so a portal whose title starts with that
    character outranks a city site that reposted the notice first; otherwise the first
    source seen keeps the word. Only stored, stable facts are used, so two portals never take
    turns overwriting each other, and the monitor attributes changes to the same source.
    """
    doc_no = doc_no if doc_no is not None else (document.doc_no or "")
    return sorted(document.sources, key=lambda s: (-_issuer_affinity(s.portal.title, doc_no), s.id or 0))


def _issuer_affinity(portal_title: str, doc_no: str) -> int:
    return int(bool(doc_no) and portal_title[:1] == doc_no[:1])


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def site_of(url: str) -> str:
    """The host that issued a 索引号 seen at ``url``."""
    return urlsplit(url).hostname or ""
