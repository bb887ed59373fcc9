"""(a) Is rural education the MAIN subject? Evidence from title, metadata, body and attachments.

Weighed from the title (heaviest), the metadata, and the DENSITY of subject evidence in body and
attachments (hits per 1,000 characters, capped per phrase), so a long general plan with one
school paragraph stays low. Evidence is of two kinds, both from rules.py:
- theme phrases (乡村教师, 县管校聘, 薄弱学校 …), matched leftmost-longest in one pass;
- compositional pairs: a rural place word followed, in the same clause and within a few
  characters, by an education object ("乡镇…学校" from 乡镇中心学校办学, "镇村…学校" from
  镇村学校布局). They are looked for only in text no phrase has taken, so nothing counts twice.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict

from monitor.changes.classifier import rules
from monitor.changes.classifier.types import ClassifiableDocument, Evidence



def alternation(words: object) -> re.Pattern[str]:
    """One compiled alternation, longest first, so matches are leftmost-longest and one pass."""
    ordered = sorted(set(words), key=lambda w: (-len(w), w))  # type: ignore[arg-type]
    return re.compile("|".join(re.escape(w) for w in ordered))


_SUBJECT = alternation(rules.SUBJECT_PHRASES)
_OBJECTS = "|".join(re.escape(w) for w in sorted(rules.COMPOSE_OBJECTS, key=lambda w: (-len(w), w)))
_PLACES = "|".join(re.escape(w) for w in sorted(rules.COMPOSE_PLACE_WORDS, key=lambda w: (-len(w), w)))
# No look-behind for 城镇 in the pattern: it would cost the regex its first-character skip
# (three times slower on a 100,000-character plan); _pairs checks the preceding character.
_PAIR = re.compile(
    f"(?P<place>{_PLACES})"
    f"(?P<gap>[^{re.escape(rules.COMPOSE_BREAKERS)}]{{0,{rules.COMPOSE_WINDOW}}}?)"
    f"(?P<object>{_OBJECTS})"
)


_EXCLUDED_GAP = alternation(rules.COMPOSE_EXCLUDED_GAPS)


def first_word(text: str, words: tuple[str, ...]) -> str | None:
    for word in words:
        if word in text:
            return word
    return None


def capped(evidence: list[Evidence], cap: float) -> list[Evidence]:
    """Scale a field group's weights down so they sum to at most cap (keeps evidence honest)."""
    total = sum(e.weight for e in evidence)
    if total <= cap or total == 0:
        return evidence
    factor = cap / total
    return [Evidence(e.field, e.phrase, round(e.weight * factor, 4), e.count, e.at) for e in evidence]


def _pairs(text: str, taken: tuple[list[int], list[int]] = ([], [])) -> list[tuple[int, str, float]]:
    """(offset, "place…object", weight) for every compositional pair in text.

    ``taken`` holds the starts and ends of the phrase hits (sorted, disjoint): a pair touching
    one is dropped, so no character counts twice.
    """
    starts, ends = taken
    found = []
    weights = rules.COMPOSE_OBJECTS
    for match in _PAIR.finditer(text):
        start, end = match.span()
        place, gap, obj = match.group("place", "gap", "object")
        if gap and _EXCLUDED_GAP.search(gap):
            continue
        if place == "镇" and start and text[start - 1] == rules.COMPOSE_PLACE_NOT_AFTER:
            continue  # 城镇: the urban side
        if starts:
            last = bisect_left(starts, end) - 1
            if last >= 0 and ends[last] > start:
                continue  # inside or across a phrase already counted
        found.append((start, f"{place}…{obj}", weights[obj]))
    return found


def title_evidence(title: str) -> list[Evidence]:
    found = sorted(set(_SUBJECT.findall(title)))
    evidence = [
        Evidence("title", phrase, rules.SUBJECT_PHRASES[phrase] * rules.TITLE_FACTOR) for phrase in found
    ]
    rural = first_word(title, rules.TITLE_RURAL_WORDS)
    education = first_word(title, rules.TITLE_EDUCATION_WORDS)
    if rural and education:
        evidence.append(Evidence("title", f"{rural}+{education}", rules.TITLE_COMPOUND_WEIGHT))
    else:  # 某镇中心学校…: 镇 alone names issuers too, so the windowed pair rule of the body
        pairs = _pairs(title)
        if pairs:
            evidence.append(Evidence("title", pairs[0][1], rules.TITLE_TOWN_PAIR_WEIGHT))
    return capped(evidence, rules.TITLE_CAP)


def metadata_evidence(doc: ClassifiableDocument, compact: object) -> list[Evidence]:
    fields = (doc.keywords, doc.category, doc.publisher, doc.doc_no)
    text = "\n".join(compact(v) for v in fields)  # type: ignore[operator]
    evidence = [
        Evidence("metadata", phrase, rules.SUBJECT_PHRASES[phrase] * rules.METADATA_FACTOR)
        for phrase in sorted(set(_SUBJECT.findall(text)))
    ]
    publisher_word = first_word(compact(doc.publisher), rules.EDUCATION_PUBLISHER_WORDS)  # type: ignore[operator]
    if publisher_word:
        evidence.append(Evidence("metadata", publisher_word, rules.EDUCATION_PUBLISHER_WEIGHT))
    return capped(evidence, rules.METADATA_CAP)


def _hits(text: str) -> list[tuple[int, str, float]]:
    """Phrase hits, then pair hits clear of them: (offset, phrase, weight)."""
    hits: list[tuple[int, str, float]] = []
    starts: list[int] = []
    ends: list[int] = []
    for match in _SUBJECT.finditer(text):
        phrase = match.group(0)
        hits.append((match.start(), phrase, rules.SUBJECT_PHRASES[phrase]))
        starts.append(match.start())
        ends.append(match.end())
    return hits + _pairs(text, (starts, ends))


def text_evidence(body: str, attachments: str) -> list[Evidence]:
    """Density-weighted evidence: per phrase min(hits per 1,000 chars, cap) * weight * spread.

    spread rewards evidence found all through the text (a plan ABOUT rural schools) over the
    same phrases packed into one paragraph of a plan about something else.
    """
    text = body + "\n" + attachments
    hits = _hits(text)
    if not hits:
        return []
    split = len(body) + 1
    per_field: dict[tuple[str, str], list[int]] = defaultdict(list)
    weights: dict[str, float] = {}
    for pos, phrase, weight in hits:
        field, offset = ("body", pos) if pos < split else ("attachments", pos - split)
        per_field[(phrase, field)].append(offset)
        weights[phrase] = weight
    kchars = max(len(text) / 1000.0, rules.MIN_KCHARS)
    size = max(rules.SPREAD_MIN_WINDOW, -(-len(text) // rules.SPREAD_WINDOWS))
    windows = -(-len(text) // size)
    covered = len({pos // size for pos, _, _ in hits})
    spread = rules.SPREAD_FLOOR + (1 - rules.SPREAD_FLOOR) * min(1.0, covered / windows)
    evidence: list[Evidence] = []
    for phrase in sorted(weights):
        counts = {field: len(per_field.get((phrase, field), ())) for field in ("body", "attachments")}
        total = counts["body"] + counts["attachments"]
        density = min(total / kchars, rules.DENSITY_CAP)
        contribution = density * weights[phrase] * rules.BODY_FACTOR * spread
        for field in ("body", "attachments"):
            n = counts[field]
            if n:
                at = tuple(sorted(per_field[(phrase, field)])[: rules.POSITIONS_KEPT])
                evidence.append(Evidence(field, phrase, round(contribution * n / total, 4), n, at))
    return capped(evidence, rules.BODY_CAP)
