"""Chinese-aware terms for the full-text index: overlapping character bigrams.

Why bigrams: Chinese has no spaces, and the words people search for are mostly two or more
characters (乡村, 教师, 乡村教育振兴). Indexing every overlapping pair of characters lets one
index answer a two-character query (one term) and a phrase of any length (its bigrams, in a
row) without a dictionary to keep up to date; SQLite's trigram tokenizer cannot match fewer
than three characters, and pg_trgm cannot use its index for them either.

Both databases get the same terms (SQLite FTS5 reads them as space-separated words; PostgreSQL
as tsvector lexemes), so a query means the same thing on both. Each CJK run also ends with its
last character alone, so a query that starts or ends on a run's last character (``第3条`` in
``按第3条``) still finds its terms next to each other.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# CJK ideographs (basic, extension A, compatibility, extensions B+): the characters that form bigrams.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
# Letters and digits are separate runs, so 2023 is found in 教基〔2023〕 and in edu2023 alike.
_RUNS = re.compile(rf"([{_CJK}]+)|([^\W\d_{_CJK}]+|\d+)")


@dataclass(frozen=True)
class Term:
    text: str
    prefix: bool = False  # the query's last, unfinished piece: any term starting with it


def normalise(text: str) -> str:
    """NFKC (full-width Ａ１ → A1) and case folding: what both sides are compared in."""
    return unicodedata.normalize("NFKC", text).casefold()


def _runs(text: str) -> list[tuple[bool, str]]:
    return [(bool(m.group(1)), m.group()) for m in _RUNS.finditer(normalise(text))]


def _run_terms(run: str) -> list[str]:
    """A CJK run's bigrams and its last character alone (a one-character run: just itself)."""
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def document_terms(text: str) -> list[str]:
    """The terms of a stored text, in order (their positions make phrases)."""
    terms: list[str] = []
    for is_cjk, run in _runs(text):
        terms.extend(_run_terms(run) if is_cjk else [run])
    return terms


def query_terms(text: str) -> list[Term]:
    """The terms a query must find in a row: a document's terms, except that the last piece
    is open-ended (``乡`` finds 乡村, ``edu`` finds education) and drops the lone last
    character of a finished run, which a document has only where its own run ends."""
    runs = _runs(text)
    terms: list[Term] = []
    for number, (is_cjk, run) in enumerate(runs):
        last = number == len(runs) - 1
        if not is_cjk:
            terms.append(Term(run, prefix=last))
        elif last and len(run) == 1:
            terms.append(Term(run, prefix=True))
        else:
            pieces = _run_terms(run)
            terms.extend(Term(piece) for piece in (pieces[:-1] if last else pieces))
    return terms
