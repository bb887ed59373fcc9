"""The crawler's door into the database: crawl runs, sources and deduplicated documents.

Each public method is one transaction, so a crash or kill mid-crawl leaves every document
either fully written or not at all; the next crawl sees the missing ones as new and
completes the work.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Iterable, Sequence
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from eduwatch.config import PortalConfig
from storage.database import Database
from storage.identity import identity_keys
from storage.models import Attachment, CrawlRun, Document, DocumentKey, Portal, Source, utcnow
from storage.records import DocumentRecord, FetchError, ListEntry

log = logging.getLogger(__name__)
MAX_LOGGED_ERRORS = 200
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


@dataclass
class _Batch:
    """What one transaction has added but not yet flushed, so later sightings find it."""

    sources: dict[str, Source] = field(default_factory=dict)  # url -> pending source
    keys: dict[str, Document] = field(default_factory=dict)  # identity key -> pending owner
    stored_keys: dict[str, int] = field(default_factory=dict)  # identity key -> stored document id
    counters: Counter[Any] = field(default_factory=Counter)


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    portal: str
    status: str
    reason: str | None
    pages_fetched: int
    docs_new: int
    docs_updated: int
    errors: int

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def content_hash(document: Document) -> str:
    """Hash of what a revision compares; attachments in URL order so it is stable."""
    payload = {
        field: getattr(document, field)
        for field in ("title", "doc_no", "index_no", "publisher", "validity", "is_abolished", "body")
    }
    payload["written_date"] = str(document.written_date)
    payload["published_date"] = str(document.published_date)
    payload["attachments"] = sorted((a.url, a.name, a.text or "") for a in document.attachments)
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


class Store:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._run_portals: dict[int, int] = {}
        self._portal_titles: dict[str, str] = {}

    # --- portals and runs ------------------------------------------------------------------

    def sync_portals(self, portals: Iterable[PortalConfig]) -> None:
        self._portal_titles.clear()
        with self.db.transaction() as session:
            existing = {p.name: p for p in session.scalars(select(Portal))}
            for config in portals:
                row = existing.get(config.name) or Portal(name=config.name)
                row.title, row.region = config.title, config.region
                row.platform, row.base_url = config.platform, config.base_url
                session.add(row)

    def start_run(self, portal: str, *, full: bool, trigger: str = "manual") -> int:
        with self.db.transaction() as session:
            run = CrawlRun(portal_id=self._portal_id(session, portal), full=full, trigger=trigger)
            session.add(run)
            session.flush()
            return run.id

    def finish_run(
        self,
        run_id: int,
        *,
        status: str,
        reason: str | None,
        pages_fetched: int,
        errors: Sequence[FetchError],
    ) -> RunSummary:
        with self.db.transaction() as session:
            run = session.get_one(CrawlRun, run_id)
            run.finished_at = utcnow()
            run.status, run.reason = status, reason
            run.pages_fetched = pages_fetched
            run.errors = len(errors)
            run.error_log = [{"url": e.url, "reason": e.reason} for e in errors[:MAX_LOGGED_ERRORS]]
            return RunSummary(
                run.id, run.portal.name, status, reason, pages_fetched, run.docs_new, run.docs_updated, run.errors
            )

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
        with self.db.transaction() as session:
            batch = _Batch()
            # Two queries look up every URL and identity key of the batch at once.
            urls = [record.url for record in records]
            for source in session.scalars(select(Source).where(Source.url.in_(urls)).options(joinedload(Source.document))):
                batch.sources[source.url] = source
            _lookup_keys(session, [key for record in records for key in identity_keys(record)], batch)
            # Unflushed rows are tracked in ``batch``; autoflush would send them one by one.
            with session.no_autoflush:
                saved = [self._save(session, record, run_id, batch) for record in records]
            for column, increment in batch.counters.items():
                if increment:
                    # SQL increments, not read-modify-write: workers share one run's counters.
                    session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values({column: column + increment}))
            session.flush()
            return [SaveResult(document.id, outcome) for document, outcome in saved]

    def _save(
        self, session: Session, record: DocumentRecord, run_id: int, batch: _Batch
    ) -> tuple[Document, str]:
        now = utcnow()
        source = batch.sources.get(record.url)
        keys = identity_keys(record)
        document = source.document if source else _first_match(session, keys, batch)
        if document is None:
            # Empty collections up front: a new document must not lazy-load what cannot exist.
            document = Document(first_seen=now, content_hash="", attachments=[], sources=[], keys=[])
            session.add(document)
            outcome = "new"
        else:
            outcome = "unchanged" if source else "new_source"
        authoritative = outcome == "new" or self._is_primary(session, document, record)
        old_hash = document.content_hash
        self._apply(document, record, authoritative)
        document.last_seen = now
        for kind, key in keys:
            if key not in batch.stored_keys and key not in batch.keys:
                session.add(DocumentKey(key=key, document=document, kind=kind))
                batch.keys[key] = document
        if source is None:
            portal = session.get_one(Portal, self._run_portal(session, run_id))
            source = Source(url=record.url, document=document, portal=portal, first_seen=now)
            session.add(source)
            batch.sources[record.url] = source
        self._update_source(source, record, run_id, now)
        document.content_hash = content_hash(document)
        if outcome == "unchanged" and document.content_hash != old_hash:
            outcome = "updated"
        if outcome == "new":
            batch.counters[CrawlRun.docs_new] += 1
        elif outcome == "updated":
            batch.counters[CrawlRun.docs_updated] += 1
        return document, outcome

    def _run_portal(self, session: Session, run_id: int) -> int:
        """The run's portal id, looked up once per run rather than once per document."""
        if run_id not in self._run_portals:
            self._run_portals[run_id] = session.get_one(CrawlRun, run_id).portal_id
        return self._run_portals[run_id]

    def _portal_title(self, session: Session, name: str) -> str:
        if name not in self._portal_titles:
            self._portal_titles[name] = session.scalar(select(Portal.title).where(Portal.name == name)) or ""
        return self._portal_titles[name]

    def _is_primary(self, session: Session, document: Document, record: DocumentRecord) -> bool:
        """Whether ``record`` speaks for the document, rather than only filling gaps as a repost."""
        doc_no = document.doc_no or record.doc_no or ""
        ranked = ranked_sources(document, doc_no)
        if not ranked:
            return True
        incoming = self._portal_title(session, record.portal)
        best = ranked[0]
        return record.url == best.url or _issuer_affinity(incoming, doc_no) > _issuer_affinity(best.portal.title, doc_no)

    @staticmethod
    def _apply(document: Document, record: DocumentRecord, authoritative: bool) -> None:
        if authoritative:
            for field in _AUTHORITATIVE:
                setattr(document, field, getattr(record, field))
            document.title = record.title or document.title or record.url
            document.body = record.body
            _replace_attachments(document, record)
            return
        for field in _FILLABLE:
            if getattr(document, field) in (None, "") and getattr(record, field) not in (None, ""):
                setattr(document, field, getattr(record, field))
        if not document.body and record.body:
            document.body = record.body

    @staticmethod
    def _update_source(source: Source, record: DocumentRecord, run_id: int, now: datetime) -> None:
        source.last_seen = source.last_fetched = now
        source.last_listed_run_id = run_id
        source.etag, source.last_modified = record.etag, record.last_modified
        source.list_title = record.list_title if record.list_title is not None else source.list_title
        source.list_date = record.list_date if record.list_date is not None else source.list_date
        source.list_state = record.list_state if record.list_state is not None else source.list_state
        source.http_status, source.missing_count = 200, 0

    @staticmethod
    def _portal_id(session: Session, name: str) -> int:
        portal_id = session.scalar(select(Portal.id).where(Portal.name == name))
        if portal_id is None:
            raise KeyError(f"portal {name!r} is not in the database; sync_portals first")
        return portal_id

    def document_count(self) -> int:
        with self.db.sessions() as session:
            return session.scalar(select(func.count(Document.id))) or 0


def _lookup_keys(session: Session, keys: list[tuple[str, str]], batch: _Batch) -> None:
    """Note which of ``keys`` are already stored (one query for all of them)."""
    wanted = list({key for _, key in keys})
    rows = session.execute(select(DocumentKey.key, DocumentKey.document_id).where(DocumentKey.key.in_(wanted)))
    batch.stored_keys.update({key: document_id for key, document_id in rows})


def _first_match(session: Session, keys: list[tuple[str, str]], batch: _Batch) -> Document | None:
    """The document behind the most trusted of ``keys``, stored or added in this batch."""
    for _kind, key in keys:
        if key in batch.keys:
            return batch.keys[key]
        if key in batch.stored_keys:
            return session.get(Document, batch.stored_keys[key])
    return None


def _replace_attachments(document: Document, record: DocumentRecord) -> None:
    wanted = {a.url: a for a in record.attachments}
    for attachment in list(document.attachments):
        if attachment.url not in wanted:
            document.attachments.remove(attachment)
    existing = {a.url: a for a in document.attachments}
    for url, incoming in wanted.items():
        row = existing.get(url) or Attachment(url=url)
        row.name, row.type, row.size = incoming.name, incoming.type, incoming.size
        row.text, row.error = incoming.text, incoming.error
        if url not in existing:
            document.attachments.append(row)


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
