"""Plain-text tables (drawn by rich) that line up with Chinese text (wide characters take two columns), the
one way human output shows a stored time, and the one way ``--json`` output writes it.

Human output shows stored (naive UTC) times in ``[display] timezone`` (default Asia/Shanghai,
labelled 北京时间): :func:`use_zone` is called once the configuration is loaded, and every
table header names the zone with :func:`time_header`. ``--json`` stays UTC with ``Z``."""

from __future__ import annotations

import io
import json
import os
import sys
from datetime import date, datetime, timezone
from typing import Any, Sequence, TextIO

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from eduwatch.local_time import DEFAULT_ZONE, label, local_text

_KEPT_WHOLE = 24  # columns at most this wide are never narrowed to fit a terminal
_UNBOUNDED = 100_000  # rich needs a width; a pipe gets whole cells (lines are stripped after)

_zone = DEFAULT_ZONE  # [display] timezone of the loaded configuration (use_zone)


def use_zone(name: str) -> None:
    """Show human times in IANA zone ``name`` from now on (the CLI calls it on loading config)."""
    global _zone
    _zone = name


def display_zone() -> str:
    """The IANA zone human output is in (``[display] timezone``)."""
    return _zone


def zone_label() -> str:
    """``北京时间`` or the zone's IANA name: what free text appends to a time."""
    return label(_zone)


def time_header(text: str) -> str:
    """A table column of times: ``last crawl (北京时间)``."""
    return f"{text} ({zone_label()})"


def json_time(value: datetime | None) -> str | None:
    """``2026-11-22T17:42:00Z``: a stored (naive UTC) time as every ``--json`` view writes it.

    The ``Z`` says UTC to scripts that would otherwise read a naive time as local; seconds,
    because no stored time means more than that to a reader."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.isoformat(timespec="seconds") + "Z"


def json_text(data: Any, indent: int | None = 2) -> str:
    """A ``--json`` view as text: Chinese as is, datetimes by :func:`json_time`, dates (发布日期,
    成文日期) as plain ``YYYY-MM-DD``. The web view's JSON API writes the same."""
    return json.dumps(data, ensure_ascii=False, indent=indent, default=_json_value)


def print_json(data: Any, out: TextIO | None = None) -> None:
    """Write a ``--json`` view (:func:`json_text`)."""
    print(json_text(data), file=out or sys.stdout)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):  # before date: a datetime is a date too
        return json_time(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def show_time(value: datetime | str | None, missing: str = "", labelled: bool = False) -> str:
    """``2026-11-23 01:42:00`` in the display zone for a stored (naive UTC) time, or a --json
    view's ``…T17:42:00Z``, so every table prints times alike; the zone is the caller's header
    (:func:`time_header`), or appended with ``labelled`` for free text."""
    if value is None or value == "":
        return missing
    if isinstance(value, str):
        value = datetime.fromisoformat(value.removesuffix("Z"))
    return local_text(value, _zone, labelled=labelled)


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes (wide CJK characters take two), as rich counts them."""
    return cell_len(text)


def cut(text: str, columns: int) -> str:
    """``text`` on one line and at most ``columns`` wide, ``…`` where it was cut.

    Free text (failure reasons, titles) would otherwise widen a table past the terminal;
    the full text stays in ``--json`` and ``show``."""
    text = " ".join(text.split())
    if display_width(text) <= columns:
        return text
    kept, used = [], 1  # the "…" takes one column
    for ch in text:
        used += cell_len(ch)
        if used > columns:
            break
        kept.append(ch)
    return "".join(kept) + "…"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], width: int | None = None) -> str:
    """A table as text, drawn by rich (columns line up with Chinese text): a header, a rule, rows.

    ``width`` is the terminal's when printing to one (rich then shrinks free-text columns); text
    for a pipe or a file is never cut by width, as a script reading it expects whole cells."""
    cells = [[Text("" if cell is None else str(cell)) for cell in row] for row in rows]
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, highlight=False, padding=(0, 1, 0, 0))
    for number, header in enumerate(headers):
        widest = max([cell_len(str(header))] + [row[number].cell_len for row in cells])
        # short columns (ids, times, states) keep their width; long free text wraps in a terminal
        short = widest <= _KEPT_WHOLE
        table.add_column(Text(str(header)), no_wrap=short, overflow="fold", width=widest if short else None)
    for row in cells:
        table.add_row(*row)
    buffer = io.StringIO()
    console = Console(file=buffer, width=width or _UNBOUNDED, color_system=None, force_terminal=False,
                      markup=False, emoji=False, highlight=False, soft_wrap=False)
    console.print(table)
    lines = [line.rstrip() for line in buffer.getvalue().splitlines()]
    if not rows:
        lines.append("(none)")
    return "\n".join(lines)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO | None = None) -> None:
    """Print :func:`format_table` to ``out``, as wide as the terminal when ``out`` is one."""
    out = out or sys.stdout
    print(format_table(headers, rows, terminal_width(out)), file=out)


def terminal_width(out: TextIO) -> int | None:
    """Columns of the terminal ``out`` writes to, or None for a pipe or a file."""
    try:
        return os.get_terminal_size(out.fileno()).columns if out.isatty() else None
    except (AttributeError, OSError, ValueError):
        return None
