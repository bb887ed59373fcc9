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

import operator
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


# Full-width ASCII (Ａ１，：) and the ideographic space: nearly all that NFKC changes in a notice.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def normalise(text: str) -> str:
    """NFKC (full-width Ａ１ → A1) and case folding: what both sides are compared in.

    The full-width forms are folded first with a translate table, and NFKC runs only on a text
    that still needs it: NFKC of every body and title cost a third of the indexing time of a
    saved document, and a notice is nearly always normalised once its full-width ASCII is
    folded (the result is the same string either way)."""
    text = text.translate(_FULL_WIDTH)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.casefold()


def _runs(text: str) -> list[tuple[bool, str]]:
    return [(bool(m.group(1)), m.group()) for m in _RUNS.finditer(normalise(text))]


def _run_terms(run: str) -> list[str]:
    """A CJK run's bigrams and its last character alone (a one-character run: just itself)."""
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def document_terms(text: str) -> list[str]:
    """The terms of a stored text, in order (their positions make phrases).

    The same terms as :func:`_run_terms` gives each run, built with ``map`` over the run and
    its shifted self: a Python-level slice per bigram was the other third of indexing time."""
    terms: list[str] = []
    for match in _RUNS.finditer(normalise(text)):
        run = match.group()
        if match.group(1):
            terms.extend(map(operator.add, run, run[1:]))
            terms.append(run[-1])
        else:
            terms.append(run)
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
