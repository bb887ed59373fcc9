"""A plan's text as paragraphs under their headings: 一、 （一） 1. 第X章 第X条, inline headings
(“（三）实施…行动。到2027年，…”), responsibility notes, and task tables whose cells come one a line
(序号 / 重点任务 / 目标要求 / 牵头单位 / 配合单位 / 完成时限), as portals and .docx extraction leave them.

Why a module of its own: the extractor reads sentences; which heading, which 牵头 note and which
table row a sentence belongs to is layout, decided here once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from monitor.changes.commitments.numbers import quantities
from monitor.changes.commitments.responsibility import Responsibility, closing_note, is_note_line, parse_note, table_cells

_MARKER = re.compile(
    r"^\s*(?P<marker>第[一二三四五六七八九十百零〇]+[章节条]|[一二三四五六七八九十]+[、.．]"
    r"|[（(][一二三四五六七八九十]+[）)]|\d{1,2}[.．、](?!\d))\s*"
)
_SENTENCE_END = re.compile(r"[。！？；;]")
_BACKGROUND = re.compile(r"现状|基本情况|工作基础|发展基础|主要成效|工作成效|存在问题")
TASK_HEADERS = ("重点任务", "工作任务", "项目名称", "任务名称", "主要任务", "任务事项")
TARGET_HEADERS = ("目标任务", "具体目标", "目标要求", "工作目标", "具体任务", "工作措施", "任务内容", "主要内容")
LEAD_HEADERS = ("牵头单位", "责任单位", "责任部门", "牵头部门")
PARTNER_HEADERS = ("配合单位", "配合部门")
DEADLINE_HEADERS = ("完成时限", "时间节点", "完成时间")
OTHER_HEADERS = ("序号", "备注")
HEADERS = TASK_HEADERS + TARGET_HEADERS + LEAD_HEADERS + PARTNER_HEADERS + DEADLINE_HEADERS + OTHER_HEADERS


@dataclass
class Paragraph:
    text: str  # the content, as written (headings and closing notes taken off)
    section: str | None
    responsibility: Responsibility = field(default_factory=Responsibility)
    deadline_cell: str | None = None  # a table row's 完成时限
    background: bool = False  # under 现状 / 基本情况: figures of what exists, not promises
    note: bool = False  # a line that only names the responsible units of what came before
    heading_index: int = 0  # paragraphs sharing it sit under the same innermost heading


def paragraphs(text: str) -> list[Paragraph]:
    lines = [line.strip() for line in text.split("\n")]
    lines = [line for line in lines if line]
    out: list[Paragraph] = []
    section: str | None = None
    background = False
    heading_index = 0
    index = 0
    while index < len(lines):
        line = lines[index]
        if line == "序号":
            rows, index = _table(lines, index, section, heading_index)
            out += rows
            continue
        index += 1
        if is_note_line(line):
            note = closing_note(line)[0] if line[0] in "（(〔" else parse_note(line)
            out.append(Paragraph("", section, note, note=True, heading_index=heading_index))
            continue
        heading, content = split_heading(line)
        if heading is not None:
            section, heading_index = heading, heading_index + 1
            background = bool(_BACKGROUND.search(heading))
        if not content:
            continue
        responsibility, cut = closing_note(content)
        out.append(Paragraph(content[:cut].strip(), section, responsibility, background=background,
                             heading_index=heading_index))
    return out


def split_heading(line: str) -> tuple[str | None, str]:
    """(heading, content) of one line; heading None when the line opens with none."""
    match = _MARKER.match(line)
    if match is None:
        if len(line) <= 20 and not re.search(r"[。，,；;：:\d]", line):
            return line, ""  # an unmarked heading (指导思想, 创新“三制”提效) or page furniture
        return None, line
    rest = line[match.end():]
    if match.group("marker").endswith(("章", "节")):
        return line, ""
    if match.group("marker").endswith("条"):
        return match.group("marker"), rest
    end = _SENTENCE_END.search(rest)
    if end is None:
        if len(rest) <= 40 and not quantities(rest):
            return line, ""
        return None, rest
    title, after = rest[: end.start()], rest[end.end():].strip()
    if after and len(title) <= 30 and not re.search(r"[，,：:]", title) and not quantities(title):
        return line[: match.end()] + title, rest[end.end():].strip()
    return None, rest


def _table(lines: list[str], start: int, section: str | None, heading_index: int) -> tuple[list[Paragraph], int]:
    """Rows of a task table whose header starts at ``lines[start]`` (序号); returns the index after it."""
    headers = []
    index = start
    while index < len(lines) and lines[index] in HEADERS:
        headers.append(lines[index])
        index += 1
    width = len(headers)
    if width < 3:
        return [Paragraph(lines[start], section, heading_index=heading_index)], start + 1
    column = {name: i for i, name in enumerate(headers)}
    rows: list[Paragraph] = []
    while index + width <= len(lines) and re.fullmatch(r"\d{1,3}", lines[index]):
        cells = lines[index: index + width]
        index += width
        heading_index += 1
        task = _cell(cells, column, TASK_HEADERS)
        rows.append(Paragraph(
            _cell(cells, column, TARGET_HEADERS) or "", task or section,
            table_cells(_cell(cells, column, LEAD_HEADERS), _cell(cells, column, PARTNER_HEADERS)),
            deadline_cell=_cell(cells, column, DEADLINE_HEADERS), heading_index=heading_index,
        ))
    return rows, index


def _cell(cells: list[str], column: dict[str, int], names: tuple[str, ...]) -> str | None:
    for name in names:
        if name in column:
            return cells[column[name]]
    return None
