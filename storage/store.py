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
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import urlsplit

from sqlalchemy import Connection, func, select, update
from sqlalchemy.exc import IntegrityError

from eduwatch.config import PortalConfig
from eduwatch.redact import redact
from storage.database import Database
from storage.identity import identity_keys
from storage.models import Document, Portal, Source, utcnow
from storage.runs import count_documents, run_portal
from storage.records import DocumentRecord, ListEntry
from storage.search.index import write_index
from storage.store_rows import (
    AUTHORITATIVE,
    FILLABLE,
    PORTALS,
    Batch,
    DocumentRow,
    SourceRow,
    first_match,
    id_of,
    load_batch,
    write_batch,
)

log = logging.getLogger(__name__)
MAX_BATCH = 500  # sightings per transaction in save_documents; keeps IN (...) lists well inside limits
# Fields a repost may fill in when the document's own source left them empty.


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
                # The row is for reading (web view, alerts); the crawler reads the configuration.
                # So a base_url's user:password@ stays in the file and never reaches the database.
                row.platform, row.base_url = config.platform, redact(config.base_url)
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

    def save_documents_each(self, records: Sequence[DocumentRecord], run_id: int, *,
                            pages: int = 0) -> list[SaveResult | Exception]:
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
                results.extend(self._save_batch(chunk, run_id, pages=pages))
                pages = 0
                continue
            except Exception as exc:  # noqa: BLE001 — find the culprit(s) one by one
                log.info("batch of %d failed (%s); saving one by one", len(chunk), type(exc).__name__)
            for record in chunk:
                try:
                    results.append(self.save_document(record, run_id))
                except Exception as exc:  # noqa: BLE001 — the caller reports it against the URL
                    results.append(exc)
        return results

    def _save_batch(self, records: Sequence[DocumentRecord], run_id: int, *, pages: int = 0) -> list[SaveResult]:
        # Core statements, no ORM session: the unit of work cost more per sighting than the SQL
        # itself (a flush sorts, diffs and refreshes every object).
        with self.db.engine.begin() as connection:
            keys = [identity_keys(record) for record in records]
            batch = load_batch(connection, records, keys)
            saved = [self._save(connection, record, its_keys, run_id, batch) for record, its_keys in zip(records, keys)]
            write_batch(connection, batch)
            write_index(connection, _content_changed(batch))  # searchable as it is committed
            count_documents(connection, run_id, new=batch.counters["new"], updated=batch.counters["updated"],
                            pages=pages)
            return [SaveResult(id_of(document), outcome) for document, outcome in saved]

    def _save(
        self, connection: Connection, record: DocumentRecord, keys: list[tuple[str, str]], run_id: int, batch: Batch
    ) -> tuple[DocumentRow, str]:
        now = utcnow()
        source = batch.sources.get(record.url)
        document = source.document if source else first_match(keys, batch)
        if document is None:
            document = DocumentRow(id=None, values={"first_seen": now, "content_hash": ""})
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
            source = SourceRow(id=None, document=document, values=values)
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
            self._portal_titles[name] = connection.scalar(select(PORTALS.c.title).where(PORTALS.c.name == name)) or ""
        return self._portal_titles[name]

    def _is_primary(self, connection: Connection, document: DocumentRow, record: DocumentRecord) -> bool:
        """Whether ``record`` speaks for the document, rather than only filling gaps as a repost."""
        doc_no = document.values.get("doc_no") or record.doc_no or ""
        best = _best_source(document.sources, doc_no)
        if best is None:
            return True
        best_url, best_title = best
        incoming = self._portal_title(connection, record.portal)
        return record.url == best_url or _issuer_affinity(incoming, doc_no) > _issuer_affinity(best_title, doc_no)

    @staticmethod
    def _apply(document: DocumentRow, record: DocumentRecord, authoritative: bool) -> None:
        if authoritative:
            for field in AUTHORITATIVE:
                document.set(field, getattr(record, field))
            document.set("title", record.title or document.values["title"] or record.url)
            document.set("body", record.body)
            document.attachments = {
                a.url: {"url": a.url, "name": a.name, "type": a.type, "size": a.size, "text": a.text, "error": a.error}
                for a in record.attachments
            }
            return
        for field in FILLABLE:
            if document.values[field] in (None, "") and getattr(record, field) not in (None, ""):
                document.set(field, getattr(record, field))
        if not document.values["body"] and record.body:
            document.set("body", record.body)

    @staticmethod
    def _update_source(source: SourceRow, record: DocumentRecord, run_id: int, now: datetime) -> None:
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


def _best_source(sources: list[tuple[str, str]], doc_no: str) -> tuple[str, str] | None:
    """(url, portal title) of the source that speaks for a document: ranked_sources' rule on a batch's view.

    ``sources`` are in id order with the batch's own last, so ties go to the first seen.
    """
    return min(sources, key=lambda source: -_issuer_affinity(source[1], doc_no), default=None)



def _content_changed(batch: Batch) -> dict[int, tuple[str, str]]:
    """Searchable texts (title; body and attachment texts) of the documents the batch wrote
    anew or changed, as the batch holds them: the index is written from these directly."""
    changed = [document for document in batch.documents.values() if "content_hash" in document.changed]
    return {id_of(document): _searchable(document) for document in [*batch.new_documents, *changed]}


def _searchable(document: DocumentRow) -> tuple[str, str]:
    texts = [a["text"] for a in document.attachments.values() if a.get("text")]
    return document.values.get("title") or "", "\n".join([document.values.get("body") or "", *texts])


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
