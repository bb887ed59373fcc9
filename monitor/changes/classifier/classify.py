"""Decide whether a document is a rural-education plan, and say why.

Two questions, answered separately so a wrong answer can be traced to its rule:
(a) subject — is rural education the MAIN subject? Weighed from the title (heaviest), the
    metadata, and the DENSITY of subject phrases in body and attachments (hits per 1,000
    characters, capped per phrase), so a long general plan with one school paragraph stays low;
(b) genre — is it a plan? Read from the title first, then from the body's structure.
All phrases, weights and thresholds come from rules.py; this module only applies them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass

from monitor.changes.classifier import rules


@dataclass(frozen=True)
class ClassifiableDocument:
    """What the classifier reads; attachments_text is the extracted text of all attachments."""

    title: str
    body: str
    doc_no: str | None = None  # 文号
    category: str | None = None
    keywords: str | None = None  # 主题词
    publisher: str | None = None
    attachments_text: str = ""


@dataclass(frozen=True)
class Evidence:
    """One phrase found in one field, with the score it contributed (0 for genre evidence)."""

    field: str  # title | body | attachments | metadata
    phrase: str
    weight: float
    count: int = 1


@dataclass(frozen=True)
class Classification:
    score: float
    is_rural_plan: bool
    evidence: tuple[Evidence, ...]
    subject_score: float
    genre: str  # plan | notice-issuing-plan | news-reproducing-plan | notice-reproducing-plan | not-plan:<why>

    def evidence_json(self) -> list[dict]:
        """Plain dicts for documents.rural_evidence (JSON column)."""
        return [asdict(item) for item in self.evidence]


RULES_VERSION = rules.RULES_VERSION

_WHITESPACE = re.compile(r"\s+")


def _alternation(words: object) -> re.Pattern[str]:
    """One compiled alternation, longest first, so matches are leftmost-longest and one pass."""
    ordered = sorted(set(words), key=lambda w: (-len(w), w))  # type: ignore[arg-type]
    return re.compile("|".join(re.escape(w) for w in ordered))


_SUBJECT = _alternation(rules.SUBJECT_PHRASES)
_MARKERS = _alternation(rules.BODY_PLAN_MARKERS)
_PLAN_WORD_AT_END = re.compile(
    "(?:" + "|".join(re.escape(w) for w in sorted(rules.PLAN_WORDS, key=len, reverse=True)) + ")$"
)
_PLAN_WORD_ANYWHERE = _alternation(rules.PLAN_WORDS)
# Dates, 试行, 征求意见稿, a 〔文号〕, closing quotes and punctuation that may end a title.
_BRACKETS_AT_END = re.compile(
    r"(?:[（(][^（）()]{0,40}[）)]|〔[^〔〕]{0,20}〕|【[^【】]{0,20}】|\[[^\[\]]{0,20}\]"
    r"|[》」』\"”'’。.：:\-—_])+$"
)
_NOTICE_AT_END = re.compile(r"的?(?:通知|决定)$")
_ISSUING = re.compile("(?:" + "|".join(rules.ISSUING_VERBS) + r")(?P<name>.+?)的?(?:通知|决定)$")
_SECTION = re.compile(r"(?:^|[\s。：:；;])([一二三四五六七八九十]{1,3})[、.．]", re.MULTILINE)
_PLAN_NAME = re.compile(
    r"《[^《》]{2,80}?(?:方案|计划|规划|意见|办法|措施|细则|纲要)(?:[（(][^《》]{0,20}[）)])?》"
    r"|^[^\n]{4,60}(?:方案|计划|规划|意见|办法|措施|细则|纲要)(?:[（(][^\n]{0,20}[）)])?\s*$",
    re.MULTILINE,
)


def _compact(text: str | None) -> str:
    return _WHITESPACE.sub("", text or "")


def _first_word(text: str, words: tuple[str, ...]) -> str | None:
    for word in words:
        if word in text:
            return word
    return None


def _strip_end(title: str) -> str:
    """The title without what may follow its genre word: (2023—2027年), (试行), 〔文号〕, 》."""
    while True:
        stripped = _NOTICE_AT_END.sub("", _BRACKETS_AT_END.sub("", title))
        if stripped == title:
            return title
        title = stripped


def _name_genre(name: str) -> tuple[str | None, str | None]:
    """("plan", word) / ("not-plan:<word>", word) / (None, None) for a title or document name."""
    negative = _first_word(name, rules.NOT_PLAN_TITLE_WORDS)
    if negative:
        return f"not-plan:{negative}", negative
    ends_with = _PLAN_WORD_AT_END.search(_strip_end(name))
    if ends_with:
        return "plan", ends_with.group(0)
    negative = _first_word(name, rules.NOT_PLAN_UNLESS_PLAN_TITLE_WORDS)
    if negative:
        return f"not-plan:{negative}", negative
    return None, None


def _title_genre(title: str) -> tuple[str | None, str | None]:
    """Genre decided by the title alone, or None to ask the body; plus the deciding word.

    A None genre comes with hint "通知" (a notice that issues no named plan), "新闻" (an event
    headline) or None: such a page is a plan only if its body reproduces one in full.
    """
    core = _BRACKETS_AT_END.sub("", title)
    issuing = _ISSUING.search(core)
    if issuing:  # 关于印发《…》的通知: the issued document's name decides
        genre, word = _name_genre(issuing.group("name"))
        if genre == "plan":
            return "notice-issuing-plan", word
        if genre is None:
            named_plan = _PLAN_WORD_ANYWHERE.search(issuing.group("name"))
            return ("notice-issuing-plan", named_plan.group(0)) if named_plan else (None, "通知")
        return genre, word
    genre, word = _name_genre(core)
    if genre is not None:
        return genre, word
    if _NOTICE_AT_END.search(core):
        return None, "通知"
    if _first_word(core, rules.NEWS_EVENT_TITLE_WORDS):
        return None, "新闻"
    return None, None


def _body_reproduces_plan(text: str) -> bool:
    """A long body with 一、二、三、 sections, plan-section markers and a plan's name."""
    if len(text) < rules.BODY_PLAN_MIN_CHARS:
        return False
    sections = {m.group(1) for m in _SECTION.finditer(text)}
    if len(sections) < rules.BODY_PLAN_MIN_SECTIONS:
        return False
    markers = set(_MARKERS.findall(text))
    if len(markers) < rules.BODY_PLAN_MIN_MARKERS:
        return False
    return _PLAN_NAME.search(text) is not None


def _genre(title: str, doc: ClassifiableDocument) -> tuple[str, Evidence]:
    genre, word = _title_genre(title)
    if genre is not None:
        return genre, Evidence("title", f"genre:{word}", 0.0)
    full_text = (doc.body or "") + "\n" + (doc.attachments_text or "")
    if _body_reproduces_plan(full_text):
        kind = "notice-reproducing-plan" if word == "通知" else "news-reproducing-plan"
        return kind, Evidence("body", "genre:正文为完整方案", 0.0)
    reason = word or "未见方案"
    return f"not-plan:{reason}", Evidence("title", f"genre:{reason}", 0.0)


def _title_evidence(title: str) -> list[Evidence]:
    found = sorted(set(_SUBJECT.findall(title)))
    evidence = [
        Evidence("title", phrase, rules.SUBJECT_PHRASES[phrase] * rules.TITLE_FACTOR) for phrase in found
    ]
    rural = _first_word(title, rules.TITLE_RURAL_WORDS)
    education = _first_word(title, rules.TITLE_EDUCATION_WORDS)
    if rural and education:
        evidence.append(Evidence("title", f"{rural}+{education}", rules.TITLE_COMPOUND_WEIGHT))
    return _capped(evidence, rules.TITLE_CAP)


def _metadata_evidence(doc: ClassifiableDocument) -> list[Evidence]:
    text = "\n".join(_compact(v) for v in (doc.keywords, doc.category, doc.publisher, doc.doc_no))
    evidence = [
        Evidence("metadata", phrase, rules.SUBJECT_PHRASES[phrase] * rules.METADATA_FACTOR)
        for phrase in sorted(set(_SUBJECT.findall(text)))
    ]
    publisher_word = _first_word(_compact(doc.publisher), rules.EDUCATION_PUBLISHER_WORDS)
    if publisher_word:
        evidence.append(Evidence("metadata", publisher_word, rules.EDUCATION_PUBLISHER_WEIGHT))
    return _capped(evidence, rules.METADATA_CAP)


def _text_evidence(body: str, attachments: str) -> list[Evidence]:
    """Density-weighted evidence: per phrase min(hits per 1,000 chars, cap) * weight * spread.

    spread rewards phrases found all through the text (a plan ABOUT rural schools) over the
    same phrases packed into one paragraph of a plan about something else.
    """
    text = body + "\n" + attachments
    hits = [(m.start(), m.group(0)) for m in _SUBJECT.finditer(text)]
    if not hits:
        return []
    split = len(body)
    counts = {
        "body": Counter(phrase for pos, phrase in hits if pos < split),
        "attachments": Counter(phrase for pos, phrase in hits if pos >= split),
    }
    kchars = max(len(text) / 1000.0, rules.MIN_KCHARS)
    windows = max(1, -(-len(text) // rules.SPREAD_WINDOW))
    covered = len({pos // rules.SPREAD_WINDOW for pos, _ in hits})
    spread = rules.SPREAD_FLOOR + (1 - rules.SPREAD_FLOOR) * min(1.0, covered / windows)
    evidence: list[Evidence] = []
    for phrase in sorted(set(counts["body"]) | set(counts["attachments"])):
        total = counts["body"][phrase] + counts["attachments"][phrase]
        density = min(total / kchars, rules.DENSITY_CAP)
        contribution = density * rules.SUBJECT_PHRASES[phrase] * rules.BODY_FACTOR * spread
        for field in ("body", "attachments"):
            n = counts[field][phrase]
            if n:
                evidence.append(Evidence(field, phrase, round(contribution * n / total, 4), n))
    return _capped(evidence, rules.BODY_CAP)


def _capped(evidence: list[Evidence], cap: float) -> list[Evidence]:
    """Scale a field group's weights down so they sum to at most cap (keeps evidence honest)."""
    total = sum(e.weight for e in evidence)
    if total <= cap or total == 0:
        return evidence
    factor = cap / total
    return [Evidence(e.field, e.phrase, round(e.weight * factor, 4), e.count) for e in evidence]


def _check_text_fields(doc: ClassifiableDocument) -> None:
    """A wrong type is a caller's bug: say which field, instead of failing deep in a regex."""
    for name in ("title", "body", "doc_no", "category", "keywords", "publisher", "attachments_text"):
        value = getattr(doc, name)
        if value is not None and not isinstance(value, str):
            raise TypeError(f"ClassifiableDocument.{name} must be str or None, got {type(value).__name__}")


def classify(doc: ClassifiableDocument) -> Classification:
    """Score the subject, read the genre, and combine them; deterministic and offline."""
    _check_text_fields(doc)
    raw_body = doc.body or ""
    title = _compact(doc.title)
    body = _compact(raw_body)
    attachments = _compact(doc.attachments_text)
    if not title:  # copy sites and broken pages: the first short line of the body stands in
        title = next((line.strip() for line in raw_body.splitlines() if 0 < len(line.strip()) <= 80), "")
        title = _compact(title)

    subject = _title_evidence(title) + _metadata_evidence(doc) + _text_evidence(body, attachments)
    subject_score = round(sum(e.weight for e in subject), 4)
    genre, genre_evidence = _genre(title, doc)

    factor = rules.GENRE_FACTORS.get(genre, rules.NOT_PLAN_FACTOR)
    score = round(min(1.0, subject_score / (2 * rules.SUBJECT_THRESHOLD)) * factor, 4)
    is_plan = genre in rules.GENRE_FACTORS
    return Classification(
        score=score,
        is_rural_plan=is_plan and score >= rules.SCORE_YES,
        evidence=tuple(subject) + (genre_evidence,),
        subject_score=subject_score,
        genre=genre,
    )
