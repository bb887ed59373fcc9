"""Plain-text tables that line up with Chinese text (wide characters take two columns), and
the one way human output shows a stored time."""

from __future__ import annotations

import sys
import unicodedata
from datetime import datetime
from typing import Any, Sequence, TextIO

TIMEZONE = "UTC"  # the store keeps naive UTC; headers say "(UTC)", free text appends it


def show_time(value: datetime | str | None, missing: str = "") -> str:
    """``2026-11-22 17:42:00`` for a stored time, or an ISO string from a --json view
    (``…T17:42:00``, ``…Z``), so every table prints times alike; the zone is the caller's header."""
    if value is None or value == "":
        return missing
    if isinstance(value, str):
        value = datetime.fromisoformat(value.removesuffix("Z"))
    return value.strftime("%Y-%m-%d %H:%M:%S")


def display_width(text: str) -> int:
    return sum(_char_width(ch) for ch in text)


def _char_width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def cut(text: str, columns: int) -> str:
    """``text`` on one line and at most ``columns`` wide, ``…`` where it was cut.

    Free text (failure reasons, titles) would otherwise widen a table past the terminal;
    the full text stays in ``--json`` and ``show``."""
    text = " ".join(text.split())
    if display_width(text) <= columns:
        return text
    kept, used = [], 1  # the "…" takes one column
    for ch in text:
        used += _char_width(ch)
        if used > columns:
            break
        kept.append(ch)
    return "".join(kept) + "…"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(c) for c in headers]] + [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [max(display_width(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for number, row in enumerate(cells):
        padded = [cell + " " * (widths[i] - display_width(cell)) for i, cell in enumerate(row)]
        lines.append("  ".join(padded).rstrip())
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    if not rows:
        lines.append("(none)")
    return "\n".join(lines)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO | None = None) -> None:
    print(format_table(headers, rows), file=out or sys.stdout)
