"""Answering a search: ranked documents with a snippet around the match.

Whitespace separates phrases that must all occur (``乡村 教师``); each phrase matches as
written, in the title, the body or an attachment's text. Ranking puts title matches well above
body matches (SQLite: bm25 with the title weighted 10; PostgreSQL: ts_rank, title terms weight
A against the body's D), over the newest 2,000 matches of a very common word. On PostgreSQL a phrase of several terms is found through its terms and
then checked as a whole in the text (tsvector positions stop at 16,383, so its phrase operator
cannot be trusted over a long plan).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from storage.search.index import searchable_texts
from storage.search.schema import FTS_TABLE
from storage.search.tokens import Term, query_terms

SNIPPET_BEFORE, SNIPPET_AFTER = 30, 90  # characters of context around the first match
TITLE_WEIGHT = 10.0
COUNT_CAP = 1000  # matches counted at most; pages say "1000+"
RANKED_CANDIDATES = 2000  # the newest matches of a very common word that are ranked (see search)
WINDOW_SLACK = 50  # extra ranked rows for SQLite's orphaned index rows (see storage.search.index)


@dataclass(frozen=True)
class SearchQuery:
    text: str
    portal: str | None = None
    plans: bool = False  # only rural-education plans
    limit: int = 20
    offset: int = 0

    @property
    def phrases(self) -> list[str]:
        return [part for part in self.text.split() if query_terms(part)]


@dataclass
class SearchHit:
    document_id: int
    title: str
    score: float
    is_rural_plan: bool | None
    published_date: date | None
    snippet: str
    highlights: list[tuple[int, int]] = field(default_factory=list)  # [start, end) in snippet
    title_highlights: list[tuple[int, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SearchPage:
    query: SearchQuery
    total: int  # at most COUNT_CAP
    hits: list[SearchHit]

    @property
    def more(self) -> bool:
        return self.total >= COUNT_CAP


def search(connection: Connection, query: SearchQuery) -> SearchPage:
    """The ``query.limit`` best documents from ``query.offset``, and how many match (counted up
    to :data:`COUNT_CAP`: a common word matches half the corpus, and nobody pages that far)."""
    phrases = query.phrases
    if not phrases:
        return SearchPage(query, 0, [])
    if connection.dialect.name == "sqlite":
        match_sql, params = _sqlite_match(phrases)
    else:
        match_sql, params = _postgres_match(phrases)
    filters, filter_params = _filters(query)
    params.update(filter_params, limit=query.limit, offset=query.offset, cap=COUNT_CAP)
    where = " AND ".join([match_sql["where"], *filters])
    body = f"FROM {match_sql['from']} JOIN documents d ON d.id = e.document_id WHERE {where}"
    total = connection.scalar(text(f"SELECT count(*) FROM (SELECT 1 {body} LIMIT :cap) AS found"), params) or 0
    if connection.dialect.name == "sqlite" and not filters:
        # Rank inside FTS5 alone and join only the page's window: joining every match of a
        # common word (100,000 rows) to documents cost more than ranking them.
        # As on PostgreSQL, a very common word ranks only its newest RANKED_CANDIDATES matches:
        # FTS5 walks its rows newest first and stops, then bm25 scores the rows from there on.
        params["window"] = (query.offset + query.limit) * 2 + WINDOW_SLACK
        params["candidates"] = RANKED_CANDIDATES
        params["floor"] = connection.scalar(text(
            f"SELECT min(rowid) FROM (SELECT rowid FROM {FTS_TABLE} WHERE {match_sql['where']} "
            "ORDER BY rowid DESC LIMIT :candidates)"), params) or 0
        body = (f"FROM (SELECT rowid AS row_id, {match_sql['score']} AS score FROM {FTS_TABLE} "
                f"WHERE {match_sql['where']} AND rowid >= :floor ORDER BY score DESC LIMIT :window) AS m "
                "JOIN search_entries e ON e.row_id = m.row_id JOIN documents d ON d.id = e.document_id")
        score = "m.score"
    elif connection.dialect.name != "sqlite":
        # ts_rank reads each match's whole tsvector: ranking 100,000 matches of a common word
        # took seconds. Rank the newest RANKED_CANDIDATES matches instead (all of them, for a
        # query matching fewer): the GIN index finds them without reading any tsvector.
        # The whole-phrase checks run on those candidates only (each reads a document's body).
        params["candidates"] = RANKED_CANDIDATES
        found = " AND ".join([match_sql["gin"], *filters])
        body = (f"FROM (SELECT e.document_id, e.terms FROM search_entries e JOIN documents d ON d.id = e.document_id "
                f"WHERE {found} ORDER BY e.document_id DESC LIMIT :candidates) AS e "
                f"JOIN documents d ON d.id = e.document_id WHERE {match_sql['checks']}")
        score = match_sql["score"]
    else:
        score = match_sql["score"]
    rows = connection.execute(text(
        f"SELECT d.id, d.title, d.is_rural_plan, d.published_date, {score} AS score {body} "
        f"ORDER BY score DESC, d.id DESC LIMIT :limit OFFSET :offset"
    ), params).all()
    texts = searchable_texts(connection, [row.id for row in rows])
    hits = [_hit(row, texts.get(row.id, ("", ""))[1], phrases) for row in rows]
    return SearchPage(query, total, hits)


def _fts_phrase(terms: list[Term]) -> str:
    return " + ".join('"' + term.text.replace('"', '""') + '"' + ("*" if term.prefix else "") for term in terms)


def _sqlite_match(phrases: list[str]) -> tuple[dict[str, str], dict[str, Any]]:
    match = " AND ".join(f"({_fts_phrase(query_terms(phrase))})" for phrase in phrases)
    return {
        "from": f"{FTS_TABLE} JOIN search_entries e ON e.row_id = {FTS_TABLE}.rowid",
        "where": f"{FTS_TABLE} MATCH :match",
        # bm25 is lower for better matches; negated so both databases sort by score descending.
        "score": f"-bm25({FTS_TABLE}, {TITLE_WEIGHT}, 1.0)",
    }, {"match": match}


def _tsquery(terms: list[Term]) -> str:
    return " & ".join("'" + term.text.replace("'", "''") + "'" + (":*" if term.prefix else "") for term in terms)


def _postgres_match(phrases: list[str]) -> tuple[dict[str, str], dict[str, Any]]:
    params: dict[str, Any] = {"tsquery": " & ".join(f"({_tsquery(query_terms(p))})" for p in phrases)}
    checks = []
    for number, phrase in enumerate(phrases):
        if len(query_terms(phrase)) > 1:  # one term is exact already; more may lie apart
            params[f"needle{number}"] = phrase.casefold()
            checks.append(
                f"(strpos(lower(d.title), :needle{number}) > 0 OR strpos(lower(d.body), :needle{number}) > 0 "
                f"OR EXISTS (SELECT 1 FROM attachments a WHERE a.document_id = d.id "
                f"AND strpos(lower(a.text), :needle{number}) > 0))"
            )
    return {
        "from": "search_entries e",
        "where": " AND ".join(["e.terms @@ CAST(:tsquery AS tsquery)", *checks]),
        "gin": "e.terms @@ CAST(:tsquery AS tsquery)",
        "checks": " AND ".join(checks) or "TRUE",
        "score": "ts_rank(e.terms, CAST(:tsquery AS tsquery))",
    }, params


def _filters(query: SearchQuery) -> tuple[list[str], dict[str, Any]]:
    filters: list[str] = []
    params: dict[str, Any] = {}
    if query.plans:
        filters.append("d.is_rural_plan = :plan")
        params["plan"] = True
    if query.portal:
        filters.append(
            "d.id IN (SELECT s.document_id FROM sources s JOIN portals p ON p.id = s.portal_id WHERE p.name = :portal)"
        )
        params["portal"] = query.portal
    return filters, params


def _hit(row: Any, body: str, phrases: list[str]) -> SearchHit:
    snippet, highlights = make_snippet(body, phrases)
    title = row.title or ""
    return SearchHit(
        document_id=row.id, title=title, score=round(float(row.score), 6),
        is_rural_plan=None if row.is_rural_plan is None else bool(row.is_rural_plan),
        published_date=row.published_date, snippet=snippet, highlights=highlights,
        title_highlights=find_spans(title, phrases),
    )


def find_spans(text_: str, phrases: list[str]) -> list[tuple[int, int]]:
    """[start, end) of every occurrence of any phrase in ``text_``, case-insensitively, in order."""
    folded = text_.casefold() if len(text_.casefold()) == len(text_) else text_
    spans: list[tuple[int, int]] = []
    for phrase in phrases:
        needle = phrase.casefold()
        start = folded.find(needle)
        while needle and start >= 0:
            spans.append((start, start + len(needle)))
            start = folded.find(needle, start + len(needle))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def make_snippet(body: str, phrases: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """A one-line window of ``body`` around its first match, and the matches in it."""
    spans = find_spans(body, phrases)
    first = spans[0][0] if spans else 0
    start = max(0, first - SNIPPET_BEFORE)
    end = min(len(body), first + SNIPPET_AFTER)
    window = body[start:end].replace("\n", " ")
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(body) else ""
    shift = len(prefix) - start
    marks = [(s + shift, min(e, end) + shift) for s, e in spans if start <= s < end]
    return prefix + window + suffix, marks
