"""Character-level diffs of Chinese text, rendered for people.

Why character level: Chinese has no spaces, so a word diff sees one paragraph as one word.
diff-match-patch diffs characters (with a line pass first, so 100,000-character documents stay
fast) and ``diff_cleanupSemantic`` then folds coincidental one-character matches back into
readable edits. Three renderings come out of one diff:

- plain text with 【+新增】/【-删除】 marks (the CLI, plain-text mail),
- HTML with escaped text in <ins>/<del> (HTML mail, the event's details),
- a one-line summary for alerts: the nearest section heading and the clause around the edit,
  ``二、主要任务（三）实施乡村学校办学条件…：组建3个教育集团 → 组建5个教育集团``.
"""

from __future__ import annotations

import bisect
import html
import re
from dataclasses import dataclass
from functools import cached_property

from diff_match_patch import diff_match_patch

EQUAL, INSERT, DELETE = diff_match_patch.DIFF_EQUAL, diff_match_patch.DIFF_INSERT, diff_match_patch.DIFF_DELETE
# Upper bound for one diff. The line pass makes ordinary revisions of 100,000 characters take
# milliseconds; the bound only stops a pathological pair (two unrelated long texts) from
# stalling a monitor pass, at the price of a coarser diff.
DIFF_TIMEOUT = 0.5
# Clause delimiters: an edit is shown with the rest of its clause, never the whole paragraph.
CLAUSE_DELIMITERS = frozenset("，,。；;！!？?：:、\n")
# Sentence delimiters: the changed regions of a rendering extend to these.
SENTENCE_DELIMITERS = frozenset("。；;！!？?\n")
MAX_CLAUSE = 30  # characters of one side of a summary before it is cut with …
MAX_LABEL = 16  # characters of one heading's title in a location
DEFAULT_CONTEXT = 60  # characters of unchanged text kept either side of a changed region

_NUMERAL = "一二三四五六七八九十百零〇"
# (level, pattern) for the heading forms of Chinese official documents, outermost first.
_HEADINGS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (0, re.compile(rf"^第[{_NUMERAL}\d]+(?:部分|章|篇)")),
    (1, re.compile(rf"^[{_NUMERAL}]+[、.．]")),
    (2, re.compile(rf"^(?:[（(][{_NUMERAL}]+[）)]|第[{_NUMERAL}\d]+节)")),
    (3, re.compile(rf"^(?:第[{_NUMERAL}\d]+条|\d{{1,2}}[.．、](?!\d))")),
    (4, re.compile(r"^(?:[（(]\d{1,2}[）)]|[①-⑳])")),
)
# The header monitor.changes.revisions puts before each attachment's text: a new top of the outline.
_ATTACHMENT = re.compile(r"^【附件：(.+)】$")
# "附件" / "附件2" alone on a line starts an appendix (often a table: one cell per line, rows
# led by a bare number in the 序号 column).
_APPENDIX = re.compile(r"^附件\s*(\d{0,2})\s*$")
_TABLE_ROW = re.compile(r"^\d{1,3}$")
_HEADING_END = re.compile(r"[。；;：:！!？?]")


@dataclass(frozen=True)
class Heading:
    offset: int  # where the heading's line starts in the text
    end: int  # where its label ends (an edit after this point lies under the heading)
    level: int
    label: str


@dataclass(frozen=True)
class Change:
    """One edit, located: under which heading, and the clause before and after it."""

    location: str
    old: str
    new: str

    def describe(self) -> str:
        where = f"{self.location}：" if self.location else ""
        if not self.old:
            return f"{where}新增“{self.new}”"
        if not self.new:
            return f"{where}删除“{self.old}”"
        return f"{where}{self.old} → {self.new}"


@dataclass(frozen=True)
class _Group:
    """Consecutive non-equal operations and where they sit in both texts."""

    first: int  # index of the first op in TextDiff.ops
    last: int  # index after the last op
    old_start: int
    new_start: int
    deleted: str
    inserted: str


class TextDiff:
    """The differences between two texts, with every rendering eduwatch needs."""

    def __init__(self, old: str, new: str, ops: list[tuple[int, str]]) -> None:
        self.old, self.new, self.ops = old, new, ops

    @property
    def changed(self) -> bool:
        return any(op != EQUAL for op, _ in self.ops)

    # --- renderings --------------------------------------------------------------------------

    def text(self, context: int | None = None) -> str:
        """Plain text with 【+…】/【-…】 marks: the whole text, or only changed regions."""
        return self._render(context, _text_piece, gap="\n……\n")

    def html(self, context: int | None = None) -> str:
        """Escaped HTML with <ins>/<del>: the whole text, or only changed regions."""
        return self._render(context, _html_piece, gap='\n<br><span class="gap">……</span><br>\n')

    def changes(self) -> list[Change]:
        """Every edit with its heading and clause; edits within one clause count once."""
        # Per clause: [old_start, old_end, new_start, new_end] of the clause, then of the edits.
        spans: list[list[int]] = []
        for group in self._groups:
            span = self._clause_span(group) + [
                group.old_start, group.old_start + len(group.deleted),
                group.new_start, group.new_start + len(group.inserted),
            ]
            if spans and (span[0] < spans[-1][1] or span[2] < spans[-1][3]):
                last = spans[-1]
                last[1], last[3], last[5], last[7] = max(last[1], span[1]), max(last[3], span[3]), span[5], span[7]
            else:
                spans.append(span)
        result: list[Change] = []
        for old_start, old_end, new_start, new_end, old_edit, old_edit_end, new_edit, new_edit_end in spans:
            # Locate the edit by its first real character, not a line break that leads it.
            location, label_end = self._location(_skip_delimiters(self.new, new_edit, new_edit_end))
            if new_start < label_end <= new_edit:  # a clause never repeats its own heading label
                old_start += label_end - new_start
                new_start = label_end
            old = _window(self.old, old_start, old_edit, old_edit_end, old_end)
            new = _window(self.new, new_start, new_edit, new_edit_end, new_end)
            if old == new:  # only punctuation or line breaks changed
                continue
            result.append(Change(location, old, new))
        return result

    def summary(self) -> str:
        """One line for alerts: the first edit, and how many more there are."""
        changes = self.changes()
        if not changes:
            return "无实质变化"
        line = changes[0].describe()
        if len(changes) > 1:
            line += f"（另有{len(changes) - 1}处修改）"
        return line

    # --- internals ---------------------------------------------------------------------------

    @cached_property
    def _groups(self) -> list[_Group]:
        groups: list[_Group] = []
        old_pos = new_pos = 0
        index = 0
        while index < len(self.ops):
            op, text = self.ops[index]
            if op == EQUAL:
                old_pos += len(text)
                new_pos += len(text)
                index += 1
                continue
            first, old_start, new_start = index, old_pos, new_pos
            deleted: list[str] = []
            inserted: list[str] = []
            while index < len(self.ops) and self.ops[index][0] != EQUAL:
                op, text = self.ops[index]
                if op == DELETE:
                    deleted.append(text)
                    old_pos += len(text)
                else:
                    inserted.append(text)
                    new_pos += len(text)
                index += 1
            groups.append(_Group(first, index, old_start, new_start, "".join(deleted), "".join(inserted)))
        return groups

    def _clause_span(self, group: _Group) -> list[int]:
        """The clause around an edit, as [old_start, old_end, new_start, new_end].

        An edit that starts with a line break (paragraphs added after another) takes no text
        before it, one that ends with a delimiter (whole clauses) none after it; otherwise the
        clause runs back and on to the nearest delimiters.
        """
        old_end = group.old_start + len(group.deleted)
        new_end = group.new_start + len(group.inserted)
        edited = [text for text in (group.deleted, group.inserted) if text]
        span = [group.old_start, old_end, group.new_start, new_end]
        if not all(text[0] == "\n" for text in edited):
            span[0] = _clause_start(self.old, group.old_start)
            span[2] = _clause_start(self.new, group.new_start)
        if not all(text[-1] in CLAUSE_DELIMITERS for text in edited):
            span[1] = _clause_end(self.old, old_end)
            span[3] = _clause_end(self.new, new_end)
        return span

    @cached_property
    def _headings(self) -> list[Heading]:
        return find_headings(self.new)

    def _location(self, offset: int) -> tuple[str, int]:
        """The heading path above ``offset`` in the new text, and where the innermost label ends."""
        headings = self._headings
        stop = bisect.bisect_right([h.offset for h in headings], offset)
        path: list[Heading] = []
        for heading in headings[:stop]:
            while path and path[-1].level >= heading.level:
                path.pop()
            if heading.offset <= offset < heading.end:
                break  # the edit is inside this heading's own label: only its parents locate it
            path.append(heading)
        # An attachment or appendix name is set apart from the section headings inside it.
        location = "".join(h.label + (" " if h.level < 0 and h is not path[-1] else "") for h in path)
        return location, (path[-1].end if path else 0)

    def _render(self, context: int | None, piece, gap: str) -> str:  # type: ignore[no-untyped-def]
        if context is None:
            return "".join(piece(op, text) for op, text in self.ops)
        hunks: list[str] = []
        for first, last in self._regions(context):
            parts: list[str] = []
            for index in range(first, last):
                op, text = self.ops[index]
                if op == EQUAL:
                    if index == first:
                        text = _tail_context(text, context)
                    elif index == last - 1:
                        text = _head_context(text, context)
                parts.append(piece(op, text))
            hunks.append("".join(parts).strip("\n"))
        return gap.join(hunks)

    def _regions(self, context: int) -> list[tuple[int, int]]:
        """Op index ranges to show: each edit with its equal neighbours, close edits merged."""
        regions: list[list[int]] = []
        for group in self._groups:
            first = group.first - 1 if group.first > 0 else group.first
            last = group.last + 1 if group.last < len(self.ops) else group.last
            if regions and first <= regions[-1][1] - 1 and self._short_equal(first, context):
                regions[-1][1] = last
            else:
                regions.append([first, last])
        return [(first, last) for first, last in regions]

    def _short_equal(self, index: int, context: int) -> bool:
        """An equality between two edits short enough to show whole instead of cutting it."""
        op, text = self.ops[index]
        return op == EQUAL and len(text) <= 2 * context


def find_headings(text: str) -> list[Heading]:
    """Section headings at line starts: 第X部分/一、/（一）/第X条/1./（1）, appendices and their
    numbered table rows, and the attachment headers of a revision's text."""
    headings: list[Heading] = []
    offset = 0
    in_appendix = False
    for line in text.split("\n"):
        stripped = line.lstrip()
        found = _line_heading(stripped, in_appendix)
        if found is not None:
            level, label, label_end = found
            headings.append(Heading(offset, offset + len(line) - len(stripped) + label_end, level, label))
            if level < 0:
                in_appendix = level == -1
        offset += len(line) + 1
    return headings


def _line_heading(line: str, in_appendix: bool) -> tuple[int, str, int] | None:
    """(level, label, where the label ends in the line) when ``line`` starts a section."""
    attachment = _ATTACHMENT.match(line)
    if attachment:
        return -2, attachment.group(1), len(line)
    appendix = _APPENDIX.match(line)
    if appendix:
        return -1, "附件" + appendix.group(1), len(line)
    if in_appendix and _TABLE_ROW.match(line):
        return 3, f"第{int(line)}项", len(line)
    for level, pattern in _HEADINGS:
        match = pattern.match(line)
        if not match:
            continue
        if line.startswith("第") and match.group().endswith("条"):
            return level, match.group(), match.end()  # an article's text is content, not a title
        title_end = _HEADING_END.search(line, match.end())
        end = title_end.start() if title_end else len(line)
        label = line[:end]
        if end - match.end() > MAX_LABEL:
            label = line[: match.end() + MAX_LABEL] + "…"
        return level, label, end
    return None


def diff_texts(old: str, new: str, *, timeout: float = DIFF_TIMEOUT) -> TextDiff:
    """Diff two texts character by character, cleaned up for human reading."""
    dmp = diff_match_patch()
    dmp.Diff_Timeout = timeout
    ops = dmp.diff_main(old, new, checklines=True)
    dmp.diff_cleanupSemantic(ops)
    return TextDiff(old, new, [(op, text) for op, text in ops if text])


def _text_piece(op: int, text: str) -> str:
    if op == INSERT:
        return f"【+{text}】"
    if op == DELETE:
        return f"【-{text}】"
    return text


def _html_piece(op: int, text: str) -> str:
    escaped = html.escape(text, quote=True).replace("\n", "<br>\n")
    if op == INSERT:
        return f"<ins>{escaped}</ins>"
    if op == DELETE:
        return f"<del>{escaped}</del>"
    return escaped


def _tail_context(text: str, limit: int) -> str:
    """The end of an equality before an edit: back to a sentence start, at most ``limit``."""
    start = len(text)
    while start > 0 and len(text) - start < limit and text[start - 1] not in SENTENCE_DELIMITERS:
        start -= 1
    prefix = "…" if start > 0 and text[start - 1] not in SENTENCE_DELIMITERS else ""
    return prefix + text[start:]


def _head_context(text: str, limit: int) -> str:
    """The start of an equality after an edit: to the sentence's end, at most ``limit``."""
    end = 0
    while end < len(text) and end < limit and text[end] not in SENTENCE_DELIMITERS:
        end += 1
    if end < len(text) and text[end] in SENTENCE_DELIMITERS and text[end] != "\n":
        return text[: end + 1]
    return text[:end] + ("…" if end < len(text) and text[end] != "\n" else "")


def _clause_start(text: str, offset: int) -> int:
    while offset > 0 and text[offset - 1] not in CLAUSE_DELIMITERS:
        offset -= 1
    return offset


def _skip_delimiters(text: str, offset: int, end: int) -> int:
    while offset < end and (text[offset] in CLAUSE_DELIMITERS or text[offset].isspace()):
        offset += 1
    return offset


def _clause_end(text: str, offset: int) -> int:
    while offset < len(text) and text[offset] not in CLAUSE_DELIMITERS:
        offset += 1
    return offset


def _window(text: str, start: int, edit_start: int, edit_end: int, end: int) -> str:
    """The clause text[start:end] cut to MAX_CLAUSE characters centred on the edit inside it."""
    trim = "".join(CLAUSE_DELIMITERS) + " "
    while start < end and text[start] in trim:
        start += 1
    while end > start and text[end - 1] in trim:
        end -= 1
    if start >= end:
        return ""
    edit_start, edit_end = min(max(edit_start, start), end), max(min(edit_end, end), start)
    if end - start <= MAX_CLAUSE:
        return text[start:end].replace("\n", " ")
    edit = text[edit_start:edit_end]
    if len(edit) >= MAX_CLAUSE:
        return edit[: MAX_CLAUSE - 1].replace("\n", " ") + "…"
    budget = MAX_CLAUSE - len(edit)
    before = min(edit_start - start, budget // 2)
    after = min(end - edit_end, budget - before)
    before = min(edit_start - start, budget - after)
    window = text[edit_start - before : edit_end + after].replace("\n", " ")
    return ("…" if edit_start - before > start else "") + window + ("…" if edit_end + after < end else "")
