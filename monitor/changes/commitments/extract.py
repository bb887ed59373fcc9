"""The commitments of one plan's text: paragraphs → sentences → clauses → targets and dated goals.

The rules the labelled corpus (tests/monitor/changes/commitments_corpus/README.md) was written by:
each number target is one commitment, dated by the nearest deadline before it in its sentence
(else by the deadline opening its paragraph, a ``2024年：`` line, or its table row's 完成时限); each
deadline whose words up to the next deadline hold no number target is a dated goal; a sentence
ending “…，2024年秋季学期前全部到位” dates its targets instead. Frequencies (每年) stay with their
clause, except that a clause opening with 其中 shares its sentence's. A commitment the page states
twice (a news summary, then the plan; a body item, then its table row) is kept once, where it
is stated last (the plan's own text, the row naming who leads).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from monitor.changes.commitments.deadlines import Deadline, find_deadlines, recurring
from monitor.changes.commitments.numbers import normalise_digits, quantities
from monitor.changes.commitments.scope import scope_in
from monitor.changes.commitments.sections import Paragraph, paragraphs
from monitor.changes.commitments.similarity import same_text, squash
from monitor.changes.commitments.targets import Target, clause_targets, clean, masked
from monitor.changes.commitments.types import Commitment

_SENTENCE = re.compile(r"[^。！？；;]+[。！？；;]?")
_CLAUSE_BREAK = "，,：:"
_BACKGROUND = re.compile(r"现有|目前|截至目前|已建成|已累计|已有")
_PER_HEAD = re.compile(r"(?:给予)?每(?:人|生|名)(?=每|\d|不|约)")
_BARE = re.compile(r"至少|不低于|不少于|建成|建设|达到|实现|完成|每人|每生|给予|[^\u4e00-\u9fff]")
_COMPLETION = re.compile(r"^(?:全部|全面|基本|均)?(?:到位|完成|落实到位|配齐|落实)$")


def extract(text: str, written: date | None = None) -> list[Commitment]:
    """Every commitment of a plan's text (body and attachment texts), in reading order."""
    found: list[tuple[int, Commitment]] = []
    for paragraph in paragraphs(text):
        if paragraph.note:
            found = [(h, _responsible(c, paragraph) if h == paragraph.heading_index and not (c.lead or c.partners) else c)
                     for h, c in found]
            continue
        if paragraph.background:
            continue
        found += [(paragraph.heading_index, c) for c in _paragraph(paragraph, written)]
    return _deduplicated([c for _, c in found])


def _responsible(commitment: Commitment, paragraph: Paragraph) -> Commitment:
    return commitment.with_responsibility(paragraph.responsibility.lead, paragraph.responsibility.partners)


def _paragraph(paragraph: Paragraph, written: date | None) -> list[Commitment]:
    cell = find_deadlines(normalise_digits(paragraph.deadline_cell), written) if paragraph.deadline_cell else []
    opening: date | None = cell[0].date if cell else None
    carried: date | None = None  # 到2025年，A；B： a deadline-led sentence ending in ； dates the next
    out: list[Commitment] = []
    for number, match in enumerate(_SENTENCE.finditer(paragraph.text)):
        sentence = match.group()
        if not sentence.strip() or _BACKGROUND.search(sentence):
            continue
        normal = normalise_digits(sentence)
        deadlines = find_deadlines(normal, written)
        numbers = quantities(normal)
        leads = bool(deadlines and deadlines[0].date and (not numbers or deadlines[0].start < numbers[0].start))
        items = _sentence(sentence, normal, deadlines, opening or carried, paragraph)
        carried = deadlines[0].date if leads and sentence.rstrip().endswith(("；", ";")) else None
        if number == 0 and leads:
            opening = opening or deadlines[0].date  # 到2025年，A。B。: B's targets are due then too
        out += items
    return out


def _clauses(text: str) -> list[tuple[int, int]]:
    """Clause spans of a sentence: split at ，：, never inside brackets or quotes."""
    spans, start, depth = [], 0, 0
    for index, ch in enumerate(text):
        if ch in "（(《“〔【":
            depth += 1
        elif ch in "）)》”〕】" and depth:
            depth -= 1
        elif ch in _CLAUSE_BREAK and depth == 0:
            spans.append((start, index))
            start = index + 1
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if b > a]


def _sentence(sentence: str, normal: str, deadlines: list[Deadline], opening: date | None,
              paragraph: Paragraph) -> list[Commitment]:
    shown = sentence.strip()
    placed: list[tuple[int, Commitment]] = []
    previous: Commitment | None = None
    for start, end in _clauses(normal):
        clause = normal[start:end]
        scope, scope_span = scope_in(masked(clause))
        frequency = recurring(clause)
        blank = [(max(d.start - start, 0), d.end - start) for d in deadlines if d.end > start and d.start < end]
        blank += [scope_span] if scope_span else []
        blank += [m.span() for m in re.finditer(r"每(?:个)?(?:年度|学年|学期|半年|季度|月|周|年)|年均", clause)]
        blank += [m.span() for m in _PER_HEAD.finditer(clause)]
        for target in clause_targets(clause, blank):
            position = start + target.start
            target = _with_indicator(target, normal, start, previous, placed)
            due = _due(deadlines, position, opening, frequency)
            item = Commitment(
                sentence=shown, section=paragraph.section, indicator=target.indicator, deadline=due,
                recurring=frequency, target=target.value, target_max=target.value_max, unit=target.unit,
                comparison=target.comparison, scope=scope, lead=paragraph.responsibility.lead,
                partners=paragraph.responsibility.partners,
            )
            if clause.lstrip().startswith("其中") and previous is not None:
                item = replace(item, recurring=previous.recurring, deadline=previous.deadline)
            placed.append((position, item))
            previous = item
    placed += _dated_goals(sentence, normal, deadlines, placed, paragraph)
    return [c for _, c in sorted(placed, key=lambda pair: pair[0])]


def _with_indicator(target: Target, normal: str, start: int, previous: Commitment | None,
                    placed: list[tuple[int, Commitment]]) -> Target:
    """An indicator the clause does not spell out comes from its neighbours: 小学、初中分别达到… reads
    the subject of the clause before; 每个乡镇至少建成一所 counts what the target before it counts."""
    indicator = target.indicator
    bare = not squash(_BARE.sub("", indicator))
    clause = normal[start:]
    if (bare or "分别" in clause.split("，")[0]) and start > 0 and not placed:
        before = normal[:start].rstrip("，,：: ")
        subject = clean(before[max(before.rfind("，"), before.rfind(","), 0):])
        if len(squash(subject)) >= 2 and not find_deadlines(subject, None):
            indicator = clean(subject + ("" if bare else indicator))
    elif bare and previous is not None:
        indicator = previous.indicator
    return replace(target, indicator=indicator) if indicator != target.indicator else target


def _due(deadlines: list[Deadline], position: int, opening: date | None, frequency: str | None) -> date | None:
    before = [d for d in deadlines if d.end <= position]
    if before:
        return before[-1].date
    return None if frequency else opening


def _dated_goals(sentence: str, normal: str, deadlines: list[Deadline], placed: list[tuple[int, Commitment]],
                 paragraph: Paragraph) -> list[tuple[int, Commitment]]:
    goals: list[tuple[int, Commitment]] = []
    for index, deadline in enumerate(deadlines):
        stop = deadlines[index + 1].start if index + 1 < len(deadlines) else len(normal)
        if any(deadline.end <= position < stop for position, _ in placed):
            continue
        span = normal[deadline.end: stop]
        words = clean(span.strip("，,：: 。；;"))
        if _COMPLETION.match(words):  # …的标准配齐生活管理人员，2024年秋季学期前全部到位
            for i, (position, item) in enumerate(placed):
                if position < deadline.start and item.deadline is None and not item.recurring:
                    placed[i] = (position, replace(item, deadline=deadline.date))
            continue
        indicator = _goal_indicator(span)
        if len(indicator) < 2:
            continue
        scope, _ = scope_in(span)
        goals.append((deadline.start, Commitment(
            sentence=sentence.strip(), section=paragraph.section, indicator=indicator, deadline=deadline.date,
            scope=scope, lead=paragraph.responsibility.lead, partners=paragraph.responsibility.partners,
        )))
    return goals


def _goal_indicator(span: str) -> str:
    """A dated goal's indicator: the first clause after its deadline, without scope or effort words."""
    for start, end in _clauses(span):
        clause = span[start:end].strip(" 。；;")
        scope, scope_span = scope_in(clause)
        if scope_span and scope_span[0] <= 1:
            clause = clause[scope_span[1]:]
        words = re.sub(r"^(?:前|以前|之前|内|，|,|力争|确保|努力|争取|全面|基本|要)+", "", clean(clause))
        if words:
            return words
    return ""


def _deduplicated(items: list[Commitment]) -> list[Commitment]:
    """Drop a commitment stated again later on the page (same target, date, comparison, indicator)."""
    kept: list[Commitment] = []
    for index, item in enumerate(items):
        later = items[index + 1:]
        if any(_same(item, other) for other in later):
            continue
        kept.append(item)
    return kept


def _same(a: Commitment, b: Commitment) -> bool:
    return (
        (a.target, a.unit, a.comparison, a.deadline, a.recurring) == (b.target, b.unit, b.comparison, b.deadline, b.recurring)
        and same_text(a.indicator, b.indicator, 0.6)
        and (a.target is not None or same_text(a.sentence, b.sentence, 0.6))
    )
