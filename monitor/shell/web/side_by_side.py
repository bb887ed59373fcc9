"""The side-by-side view of a diff: each changed region as an old column and a new column.

Built from the ops of :class:`monitor.changes.diffing.TextDiff` (the one character diff the
inline view, alerts and the CLI also render); only the layout is decided here. Text stays text:
the template escapes every piece and marks deletions and insertions with <del> and <ins>.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.changes.diffing import DEFAULT_CONTEXT, EQUAL, INSERT, TextDiff

Piece = tuple[str, bool]  # (text, changed)


@dataclass
class Row:
    old: list[Piece] = field(default_factory=list)
    new: list[Piece] = field(default_factory=list)


def _context(text: str, before: bool, limit: int) -> str:
    if len(text) <= limit:
        return text
    return "…" + text[-limit:] if before else text[:limit] + "…"


def rows(diff: TextDiff, context: int = DEFAULT_CONTEXT) -> list[Row]:
    """One row per run of edits; equal text longer than twice ``context`` separates rows."""
    result: list[Row] = []
    current: Row | None = None
    for index, (op, text) in enumerate(diff.ops):
        if op == EQUAL:
            if current is not None and len(text) > 2 * context:
                tail = _context(text, before=False, limit=context)
                current.old.append((tail, False))
                current.new.append((tail, False))
                result.append(current)
                current = None
            elif current is not None:
                current.old.append((text, False))
                current.new.append((text, False))
            continue
        if current is None:
            current = Row()
            if index > 0 and diff.ops[index - 1][0] == EQUAL:
                head = _context(diff.ops[index - 1][1], before=True, limit=context)
                current.old.append((head, False))
                current.new.append((head, False))
        (current.new if op == INSERT else current.old).append((text, True))
    if current is not None:
        result.append(current)
    return result
