"""Decide whether a document is a rural-education plan, and say why.

Two questions, answered separately so a wrong answer can be traced to its rule:
(a) subject — is rural education the MAIN subject? (subject.py: theme phrases and
    compositional place–object pairs, weighed by field and density);
(b) genre — is it a plan or the public trace of one? (genre.py: title first, then the body).
All words, weights and thresholds come from rules.py; these modules only apply them.
"""

from __future__ import annotations

from monitor.changes.classifier import rules
from monitor.changes.classifier.genre import genre
from monitor.changes.classifier.subject import metadata_evidence, text_evidence, title_evidence
from monitor.changes.classifier.types import Classification, ClassifiableDocument, Evidence

__all__ = ["Classification", "ClassifiableDocument", "Evidence", "RULES_VERSION", "classify"]

RULES_VERSION = rules.RULES_VERSION

def _compact(text: str | None) -> str:
    return "".join((text or "").split())  # split() knows every Unicode space, U+3000 too


def _check_text_fields(doc: ClassifiableDocument) -> None:
    """A wrong type is a caller's bug: say which field, instead of failing deep in a regex."""
    for name in ("title", "body", "doc_no", "category", "keywords", "publisher", "attachments_text"):
        value = getattr(doc, name)
        if value is not None and not isinstance(value, str):
            raise TypeError(f"ClassifiableDocument.{name} must be str or None, got {type(value).__name__}")


def _title(doc: ClassifiableDocument) -> str:
    """The title; for copy sites and broken pages the body's first short line stands in."""
    title = _compact(doc.title)
    if title:
        return title
    line = next((line.strip() for line in (doc.body or "").splitlines() if 0 < len(line.strip()) <= 80), "")
    return _compact(line)


def classify(doc: ClassifiableDocument) -> Classification:
    """Score the subject, read the genre, and combine them; deterministic and offline."""
    _check_text_fields(doc)
    title = _title(doc)
    body = _compact(doc.body)
    subject = (
        title_evidence(title)
        + metadata_evidence(doc, _compact)
        + text_evidence(body, _compact(doc.attachments_text))
    )
    subject_score = round(sum(e.weight for e in subject), 4)
    found, genre_evidence = genre(title, doc, body)

    factor = rules.GENRE_FACTORS.get(found, rules.NOT_PLAN_FACTOR)
    score = round(min(1.0, subject_score / (2 * rules.SUBJECT_THRESHOLD)) * factor, 4)
    is_plan = found in rules.GENRE_FACTORS
    draft = is_plan and any(e.phrase.startswith("draft:") for e in genre_evidence)
    return Classification(
        score=score,
        is_rural_plan=is_plan and score >= rules.SCORE_YES,
        evidence=tuple(subject) + tuple(genre_evidence),
        subject_score=subject_score,
        genre=found,
        draft=draft,
    )
