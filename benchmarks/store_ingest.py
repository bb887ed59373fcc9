"""Benchmark 4 — the store: ingest rate and dedupe lookup time at province size.

200,000 sightings (about 20% reposts of an earlier notice on another portal, matched by 文号
or fingerprint), every one of them written through the store's own calls, in order: all but
the last ``ONE_BY_ONE`` through ``Store.save_documents`` in batches of ``BATCH`` sightings of
one portal, as the crawler's pipeline sends them (a portal's batch goes out when it is full;
the pipeline's ``save_documents_each`` runs the same code unless a record fails), the rest
through ``Store.save_document``, one transaction per sighting. Then identity-key lookups are
timed at that size. PostgreSQL is slower per batch than SQLite and both must fit the suite's
budget, so there the first ``PG_BULK`` sightings are bulk-loaded with plain INSERTs of what the
store would have written and the rest go through the same calls; the printed note says so.
Each path is bounded in time; a bound that stops it is printed. Quick mode does the same with
1,000 sightings from empty. SQLite runs in a temporary file; PostgreSQL in a schema of its own,
``eduwatch_bench_<pid>`` (created first, dropped at the end), of EDUWATCH_TEST_DATABASE_URL or
of the local test database.
Targets: ≥ 1,000 documents/s into SQLite; a dedupe lookup under 2 ms.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from benchmarks.report import Report, at_least, at_most
from benchmarks.synthetic_records import Sighting, portal_names, sightings
from eduwatch.config import PortalConfig
from storage.database import Database
from storage.identity import identity_keys
from storage.models import Attachment, Document, DocumentKey, Portal, Source
from storage.records import DocumentRecord
from storage.runs import Runs
from storage.store import Store

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# One schema per run: two runs at once (CI and a person) must not drop each other's tables.
PG_SCHEMA = f"eduwatch_bench_{os.getpid()}"
FULL_DOCS, QUICK_DOCS = 200_000, 1_000
ONE_BY_ONE, QUICK_ONE_BY_ONE = 3_000, 200  # the last sightings, through save_document
PG_BULK = 100_000  # full mode: sightings bulk-loaded into PostgreSQL before the timed calls
PORTALS = 200
BATCH = 20  # sightings per save_documents call: the crawler pipeline's STORE_BATCH_SIZE
LOOKUPS = 2_000
QUICK_LOOKUPS = 300
# Bound per path and back end so a slow store cannot eat the suite's 10-minute budget; the
# figure then says how many documents were actually ingested.
FULL_TIME_LIMIT, QUICK_TIME_LIMIT = 100.0, 4.0


def postgres_url() -> str:
    """The benchmark's PostgreSQL URL: its own schema, so test runs dropping ``public`` don't collide."""
    base = os.environ.get("EDUWATCH_TEST_DATABASE_URL", PG_DEFAULT)
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{PG_SCHEMA}"


def reset_postgres_schema(url: str, *, create: bool = True) -> None:
    db = Database(url, create=False)
    try:
        with db.engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
            if create:
                connection.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    finally:
        db.dispose()


def _portal_configs() -> list[PortalConfig]:
    return [
        PortalConfig(name=name, title=name, region="某省某市", platform="generic", base_url=f"https://{name}.example.gov.cn/")
        for name in portal_names(PORTALS)
    ]


_DOCUMENT_FIELDS = ("index_no", "index_no_raw", "doc_no", "doc_no_raw", "title", "title_raw", "publisher",
                    "category", "keywords", "written_date", "published_date", "written_date_raw",
                    "published_date_raw", "validity", "is_abolished", "body")


def bulk_load(db: Database, items: list[Sighting]) -> float:
    """Write what save_document would have for ``items``, with executemany INSERTs; returns seconds."""
    begun = time.perf_counter()
    with db.transaction() as session:
        portal_ids = dict(session.execute(select(Portal.name, Portal.id)).all())
        next_doc = (session.scalar(select(func.max(Document.id))) or 0) + 1
    document_of: dict[int, int] = {}  # sighting index of an original -> document id
    seen_keys: set[str] = set()
    for start in range(0, len(items), 5_000):
        documents, keys, sources, attachments = [], [], [], []
        for n, item in enumerate(items[start : start + 5_000], start=start):
            record = item.record
            if item.repost_of is None:
                document_id = document_of[n] = next_doc
                next_doc += 1
                row = {field: getattr(record, field) for field in _DOCUMENT_FIELDS}
                documents.append({**row, "id": document_id, "content_hash": f"{document_id:064x}"})
                attachments.extend({"document_id": document_id, "name": a.name, "url": a.url, "type": a.type,
                                    "size": a.size, "text": a.text} for a in record.attachments)
            else:
                document_id = document_of[item.repost_of]
            for kind, key in identity_keys(record):
                if key not in seen_keys:
                    seen_keys.add(key)
                    keys.append({"key": key, "document_id": document_id, "kind": kind})
            sources.append({"url": record.url, "document_id": document_id, "portal_id": portal_ids[item.portal],
                            "list_title": record.list_title, "list_date": record.list_date, "http_status": 200})
        with db.transaction() as session:
            for model, rows in ((Document, documents), (DocumentKey, keys), (Source, sources),
                                (Attachment, attachments)):
                if rows:
                    session.execute(insert(model.__table__), rows)
    if db.engine.dialect.name == "postgresql":  # explicit ids: move the sequence past them
        with db.engine.begin() as connection:
            connection.execute(text("SELECT setval(pg_get_serial_sequence('documents', 'id'), "
                                    "(SELECT max(id) FROM documents))"))
    return time.perf_counter() - begun


def ingest(store: Store, items: list[Sighting], time_limit: float) -> tuple[list[Sighting], float, dict[str, int]]:
    """``save_document`` per sighting, in order, until done or ``time_limit``.
    Returns (the sightings stored, seconds, outcomes)."""
    runs = {name: Runs(store.db).open(name, full=True, trigger="benchmark") for name in portal_names(PORTALS)}
    outcomes: Counter[str] = Counter()
    started = time.perf_counter()
    stored: list[Sighting] = []
    for item in items:
        outcomes[store.save_document(item.record, runs[item.portal]).outcome] += 1
        stored.append(item)
        if len(stored) % 100 == 0 and time.perf_counter() - started > time_limit:
            break
    return stored, time.perf_counter() - started, dict(outcomes)


def crawl_batches(items: list[Sighting]) -> list[list[Sighting]]:
    """``items`` in the batches a crawl of all portals at once would send: each portal's sightings
    collect in its own buffer, which goes to the store when it holds BATCH (the rest at the end)."""
    buffers: dict[str, list[Sighting]] = {}
    batches: list[list[Sighting]] = []
    for item in items:
        buffer = buffers.setdefault(item.portal, [])
        buffer.append(item)
        if len(buffer) == BATCH:
            batches.append(buffer)
            buffers[item.portal] = []
    batches.extend(buffer for buffer in buffers.values() if buffer)
    return batches


def ingest_batched(store: Store, items: list[Sighting], time_limit: float) -> tuple[list[Sighting], float, dict[str, int]]:
    """The crawler's path: ``save_documents`` per batch of one portal (crawl_batches), until done
    or ``time_limit``. Returns (the sightings stored, seconds, outcomes)."""
    runs = {name: Runs(store.db).open(name, full=True, trigger="benchmark") for name in portal_names(PORTALS)}
    outcomes: Counter[str] = Counter()
    started = time.perf_counter()
    stored: list[Sighting] = []
    for batch in crawl_batches(items):
        for result in store.save_documents([item.record for item in batch], runs[batch[0].portal]):
            outcomes[result.outcome] += 1
        stored.extend(batch)
        if time.perf_counter() - started > time_limit:
            break
    return stored, time.perf_counter() - started, dict(outcomes)


def distinct_documents(stored: list[Sighting], index: dict[int, int]) -> int:
    """How many documents ``stored`` should make: one per original, reposts join theirs."""
    return len({item.repost_of if item.repost_of is not None else index[id(item)] for item in stored})


def find_by_keys(session: Session, record: DocumentRecord) -> Document | None:
    """The dedupe lookup save_document makes for a URL it has not seen: every identity key of
    the sighting in one IN query, then the document behind the most trusted key found."""
    keys = [key for _kind, key in identity_keys(record)]
    known = dict(session.execute(select(DocumentKey.key, DocumentKey.document_id).where(DocumentKey.key.in_(keys))).all())
    document_id = next((known[key] for key in keys if key in known), None)
    return session.get(Document, document_id) if document_id is not None else None


def time_lookups(store: Store, items: list[Sighting], count: int) -> list[float]:
    """Milliseconds per dedupe lookup, each in a fresh session (no identity-map cache)."""
    rng = random.Random(11)
    timings = []
    for item in rng.sample(items, min(count, len(items))):
        with store.db.sessions() as session:
            begun = time.perf_counter()
            found = find_by_keys(session, item.record)
            timings.append((time.perf_counter() - begun) * 1000)
        if found is None:
            raise AssertionError(f"dedupe lookup lost a stored document: {item.record.url}")
    return timings


def bench_backend(report: Report, label: str, url: str, items: list[Sighting], quick: bool) -> None:
    db = Database(url)
    try:
        store = Store(db)
        store.sync_portals(_portal_configs())
        head = PG_BULK if label == "postgresql" and not quick else 0
        if head:
            seconds = bulk_load(db, items[:head])
            report.note(f"{label}: bulk-loaded the first {head:,} sightings in {seconds:.0f} s "
                        f"({store.document_count():,} documents), the other {len(items) - head:,} through the store")
        bound = QUICK_TIME_LIMIT if quick else FULL_TIME_LIMIT
        one_by_one = QUICK_ONE_BY_ONE if quick else ONE_BY_ONE
        stored = list(items[:head])
        for path, through, chunk in (("save_documents", ingest_batched, items[head:-one_by_one]),
                                     ("save_document", ingest, items[-one_by_one:])):
            saved, seconds, outcomes = through(store, chunk, bound)
            stored.extend(saved)
            note = (f"{len(saved):,} sightings from {len(stored) - len(saved):,} stored, {seconds:.0f} s, {outcomes}"
                    + (f"; STOPPED at the {bound:.0f} s bound" if len(saved) < len(chunk) else ""))
            if path == "save_documents":
                batches = len(crawl_batches(saved))
                note += f"; {batches:,} batches of one portal, {len(saved) / batches:.1f} sightings on average (at most {BATCH})"
            report.figure(f"{label} ingest, {path}", len(saved) / seconds, "documents/s",
                          target="≥ 1000" if label == "sqlite" else None,
                          check=at_least(1000) if label == "sqlite" else None, note=note)
        documents = store.document_count()
        reposts = sum(1 for item in stored if item.repost_of is not None)
        report.note(f"{label}: store now holds {len(stored):,} sightings ({reposts:,} reposts) -> {documents:,} documents")
        expected = distinct_documents(stored, {id(item): n for n, item in enumerate(items)})
        if documents != expected:
            report.note(f"dedupe: expected {expected:,} distinct documents, store holds {documents:,}")
        timings = time_lookups(store, stored, QUICK_LOOKUPS if quick else LOOKUPS)
        timings.sort()
        report.figure(f"{label} dedupe lookup median", statistics.median(timings), "ms", target="< 2",
                      check=at_most(2.0), note=f"{len(timings)} lookups at {documents:,} documents")
        report.figure(f"{label} dedupe lookup p99", timings[int(len(timings) * 0.99) - 1], "ms", target="< 2",
                      check=at_most(2.0))
    finally:
        db.dispose()


def run(report: Report, quick: bool) -> None:
    total = QUICK_DOCS if quick else FULL_DOCS
    items = list(sightings(total, portals=PORTALS))
    one_by_one = QUICK_ONE_BY_ONE if quick else ONE_BY_ONE
    head = "" if quick else f" (PostgreSQL: after a bulk load of {PG_BULK:,})"
    report.note(f"{total:,} sightings over {PORTALS} portals, all through the store{head}: the last "
                f"{one_by_one:,} through save_document, the rest through save_documents in each portal's "
                f"batches of {BATCH}")
    with tempfile.TemporaryDirectory(prefix="eduwatch-bench-store-") as tmp:
        bench_backend(report, "sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", items, quick)
    url = postgres_url()
    try:
        reset_postgres_schema(url)
    except Exception as error:  # no server: say so, the SQLite figures still stand
        report.note(f"PostgreSQL skipped: {type(error).__name__}: {str(error).splitlines()[0]}")
        return
    report.note(f"PostgreSQL: schema {PG_SCHEMA} created in {url.split('?')[0].rsplit('@', 1)[-1]}, dropped after")
    try:
        bench_backend(report, "postgresql", url, items, quick)
    finally:
        reset_postgres_schema(url, create=False)
