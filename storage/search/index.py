"""Writing the search index: with each saved document, and all over again (``eduwatch reindex``).

:func:`index_documents` runs on the caller's connection, inside its transaction: the store
calls it as it writes a batch, so a document and its index entry are committed together.
"""

from __future__ import annotations

from typing import Iterable, Iterator, Sequence

from sqlalchemy import Connection, bindparam, delete, func, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from storage.database import Database
from storage.models import Attachment, Document, SearchEntry
from storage.search.schema import FTS_TABLE
from storage.search.tokens import document_terms

BATCH = 500  # documents per statement group (and per transaction when rebuilding)
TSVECTOR_POSITIONS = 16383  # PostgreSQL keeps no position above this
BODY_POSITIONS = 4  # positions kept per body term: enough for ranking, and a 100,000-character
                    # plan's tsvector stays far below PostgreSQL's 1 MB limit
MAX_TERMS = 40_000  # distinct terms of one document's tsvector (the same limit's safety margin)
MAX_TERM_CHARS = 100  # a longer "word" (an encoded blob) is no search term

_DOCUMENTS = Document.__table__
_ATTACHMENTS = Attachment.__table__
_ENTRIES = SearchEntry.__table__
_TEXTS = select(_DOCUMENTS.c.id, _DOCUMENTS.c.title, _DOCUMENTS.c.body).where(
    _DOCUMENTS.c.id.in_(bindparam("ids", expanding=True))
)
_ATTACHMENT_TEXTS = (
    select(_ATTACHMENTS.c.document_id, _ATTACHMENTS.c.text)
    .where(_ATTACHMENTS.c.document_id.in_(bindparam("ids", expanding=True)), _ATTACHMENTS.c.text.is_not(None))
    .order_by(_ATTACHMENTS.c.id)
)
_INSERT_FTS = text(f"INSERT INTO {FTS_TABLE}(rowid, title, body) VALUES (:row_id, :title, :body)")


def searchable_texts(connection: Connection, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """(title, body and attachment texts) of each document: what the index and snippets read."""
    texts = {row.id: (row.title or "", [row.body or ""]) for row in connection.execute(_TEXTS, {"ids": list(ids)})}
    for document_id, attachment_text in connection.execute(_ATTACHMENT_TEXTS, {"ids": list(ids)}):
        texts[document_id][1].append(attachment_text)
    return {document_id: (title, "\n".join(parts)) for document_id, (title, parts) in texts.items()}


def index_documents(connection: Connection, ids: Iterable[int]) -> None:
    """(Re)write the index entries of documents ``ids``, on ``connection``'s transaction."""
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), BATCH):
        write_index(connection, searchable_texts(connection, wanted[start : start + BATCH]))


def write_index(connection: Connection, texts: dict[int, tuple[str, str]]) -> None:
    """(Re)write the entries of documents whose (title, body and attachment texts) the caller
    already holds — the store, which has just written them, so they need not be read back."""
    if connection.dialect.name == "sqlite":
        _write_sqlite(connection, texts)
    else:
        _write_postgres(connection, texts)


def _write_sqlite(connection: Connection, texts: dict[int, tuple[str, str]]) -> None:
    # The FTS table is contentless: a changed document gets a fresh row, its old one is orphaned.
    next_row = (connection.scalar(select(func.max(_ENTRIES.c.row_id))) or 0) + 1
    rows = [
        {"document_id": document_id, "row_id": next_row + number,
         "title": " ".join(document_terms(title)), "body": " ".join(document_terms(body))}
        for number, (document_id, (title, body)) in enumerate(texts.items())
    ]
    if not rows:
        return
    connection.execute(_INSERT_FTS, rows)
    connection.execute(delete(_ENTRIES).where(_ENTRIES.c.document_id.in_(list(texts))))
    connection.execute(insert(_ENTRIES), [{"document_id": r["document_id"], "row_id": r["row_id"]} for r in rows])


def _write_postgres(connection: Connection, texts: dict[int, tuple[str, str]]) -> None:
    rows = [
        {"document_id": document_id, "row_id": document_id, "terms": tsvector_literal(title, body)}
        for document_id, (title, body) in texts.items()
    ]
    if not rows:
        return
    statement = pg_insert(_ENTRIES).values(
        document_id=bindparam("document_id"), row_id=bindparam("row_id"),
        terms=func.cast(bindparam("terms"), _ENTRIES.c.terms.type),
    )
    connection.execute(statement.on_conflict_do_update(
        index_elements=[_ENTRIES.c.document_id], set_={"terms": statement.excluded.terms}
    ), rows)


def tsvector_literal(title: str, body: str) -> str:
    """A tsvector in PostgreSQL's input syntax: title terms weighted A (ranked ten times a body
    term's weight D), positions in order. Built here, not by to_tsvector, whose parser would
    split Chinese its own (locale-dependent) way."""
    positions: dict[str, list[str]] = {}
    title_terms = document_terms(title)
    for number, term in enumerate(title_terms, start=1):
        positions.setdefault(term, []).append(f"{min(number, TSVECTOR_POSITIONS)}A")
    for number, term in enumerate(document_terms(body), start=len(title_terms) + 1):
        kept = positions.get(term)
        if kept is None:
            if len(positions) >= MAX_TERMS:
                continue
            kept = positions[term] = []
        if len(kept) < BODY_POSITIONS:
            kept.append(str(min(number, TSVECTOR_POSITIONS)))
    return " ".join(
        f"'{term}':{','.join(dict.fromkeys(spots))}" for term, spots in positions.items() if len(term) <= MAX_TERM_CHARS
    )


def rebuild_index(db: Database, progress=None) -> int:  # type: ignore[no-untyped-def]
    """Index every document afresh (after an upgrade, or to drop orphaned SQLite rows)."""
    with db.engine.begin() as connection:
        connection.execute(delete(_ENTRIES))
        if connection.dialect.name == "sqlite":
            connection.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('delete-all')"))
    done = 0
    for ids in _id_batches(db):
        with db.engine.begin() as connection:
            index_documents(connection, ids)
        done += len(ids)
        if progress:
            progress(done)
    return done


def _id_batches(db: Database) -> Iterator[list[int]]:
    last = 0
    while True:
        with db.engine.connect() as connection:
            ids = list(connection.scalars(
                select(_DOCUMENTS.c.id).where(_DOCUMENTS.c.id > last).order_by(_DOCUMENTS.c.id).limit(BATCH)
            ))
        if not ids:
            return
        yield ids
        last = ids[-1]


def unindexed_count(connection: Connection) -> int:
    """Documents without an index entry (stored before the index existed): ``reindex`` them."""
    indexed = select(_ENTRIES.c.document_id)
    return connection.scalar(select(func.count()).select_from(_DOCUMENTS).where(_DOCUMENTS.c.id.not_in(indexed))) or 0
