"""Lead and partner units: who a plan makes answerable for an item.

Plans say it four ways, all read here: a closing note （县教育局牵头，县财政局、县人社局配合）or
〔…牵头，…按职责分工负责〕; labelled parts （牵头部门：人事股；配合部门：基教股） or （责任单位：…）; a line of
their own after the item (牵头单位：县教育局；配合单位：…); and a task table's 牵头单位 / 配合单位 /
责任单位 cells. “由城区优质学校牵头，与…组建” names no unit's duty (it is inside the sentence, not a
note), and a plan-wide sentence in the 保障 section dates no item: neither is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

LEAD_LABELS = ("牵头单位", "牵头部门", "主责单位", "主责部门")
DUTY_LABELS = ("责任单位", "责任部门")  # the lead, unless a 牵头 label is also given
PARTNER_LABELS = ("配合单位", "配合部门", "协办单位", "参与单位")
IGNORED_LABELS = ("牵头领导", "责任领导", "分管领导", "完成时限", "时间节点")
_LABEL = re.compile("(" + "|".join(LEAD_LABELS + DUTY_LABELS + PARTNER_LABELS + IGNORED_LABELS) + r")\s*[：:]\s*")
_PARTNER_END = re.compile(r"(?:等单位|等部门)?(?:按职责分工负责|按职责负责|配合|参与|协助)$")
_LEAD_END = re.compile(r"牵头(?:负责|落实|实施)?$")


@dataclass(frozen=True)
class Responsibility:
    lead: str | None = None
    partners: tuple[str, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return bool(self.lead or self.partners)


def _units(text: str) -> tuple[str, ...]:
    return tuple(u.strip() for u in re.split(r"[、，,]", text) if u.strip())


def parse_note(note: str) -> Responsibility:
    """The lead and partners of a note's text (without its brackets); empty when it names none."""
    note = note.strip().rstrip("。")
    if _LABEL.search(note):
        return _labelled(note)
    lead, partners = None, ()
    for part in re.split(r"[，,；;]", note):
        part = part.strip()
        if _LEAD_END.search(part):
            lead = _LEAD_END.sub("", part).strip() or None
        elif _PARTNER_END.search(part):
            partners += _units(_PARTNER_END.sub("", part))
    return Responsibility(lead, partners)


def _labelled(note: str) -> Responsibility:
    values: dict[str, str] = {}
    pieces = _LABEL.split(note)
    for label, value in zip(pieces[1::2], pieces[2::2]):
        values[label] = value.strip().rstrip("；;，,。 ")
    lead = next((values[k] for k in LEAD_LABELS if values.get(k)), None)
    duty = next((values[k] for k in DUTY_LABELS if values.get(k)), None)
    partners = tuple(u for k in PARTNER_LABELS if values.get(k) for u in _units(values[k]))
    if lead is None:
        lead = duty
    elif duty:
        partners += _units(duty)
    return Responsibility(lead, partners)


def is_note_line(line: str) -> bool:
    """A line that only says who is responsible (牵头单位：… or a bracketed （…牵头…） note)."""
    line = line.strip()
    if _LABEL.match(line):
        return True
    return bool(line) and line[0] in "（(〔" and closing_note(line)[1] == 0


def closing_note(text: str) -> tuple[Responsibility, int]:
    """The responsibility note closing ``text`` and where it starts (len(text) when none).

    Brackets nest (〔县教育体育局（县委教育工委）牵头，…配合〕), so the note is found by
    balancing from the end, and counts only if it names a lead or partners.
    """
    stripped = text.rstrip().rstrip("。")
    if not stripped or stripped[-1] not in "）)〕】":
        return Responsibility(), len(text)
    depth = 0
    for index in range(len(stripped) - 1, -1, -1):
        ch = stripped[index]
        if ch in "）)〕】":
            depth += 1
        elif ch in "（(〔【":
            depth -= 1
            if depth == 0:
                parsed = parse_note(stripped[index + 1: -1])
                return (parsed, index) if parsed else (Responsibility(), len(text))
    return Responsibility(), len(text)


def table_cells(lead_cell: str | None, partner_cell: str | None) -> Responsibility:
    """A task table's cells: a 牵头单位 cell (or a 责任部门 cell written as a note) and 配合单位."""
    lead_cell = (lead_cell or "").strip()
    parsed = parse_note(lead_cell) if ("牵头" in lead_cell or "负责" in lead_cell) else Responsibility(lead_cell or None)
    partners = parsed.partners + (_units(partner_cell) if partner_cell else ())
    return Responsibility(parsed.lead, partners)
