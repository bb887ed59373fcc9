"""The SQLite FTS5 table behind the search index, named once for the migration, the index and
the schema comparison (it lives outside the SQLAlchemy metadata: a virtual table and its
shadow tables ``search_fts_data``, ``_idx``, ``_docsize``, ``_config``)."""

from __future__ import annotations

FTS_TABLE = "search_fts"
# Contentless (content=''): it keeps only the terms' postings, not a second copy of every text
# (the terms are three times the text's length). unicode61 splits the bigram terms at spaces.
CREATE_FTS = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "title, body, content='', tokenize='unicode61 remove_diacritics 0')"
)


def outside_metadata(name: str | None) -> bool:
    """Whether a table name is the FTS5 table or one of its shadow tables."""
    return bool(name) and (name == FTS_TABLE or name.startswith(f"{FTS_TABLE}_"))  # type: ignore[union-attr]


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's ``include_name`` hook: leave the FTS5 tables out of schema comparisons."""
    return not (type_ == "table" and outside_metadata(name))
