"""How the pages write things: Beijing time, labels of event kinds, marked spans of text.

Stored times are naive UTC; pages show them in ``[display] timezone`` as the CLI does
(:mod:`monitor.shell.cli.table`), e.g. ``2026-12-02 17:30 北京时间``, and say so. JSON keeps UTC.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Sequence

from eduwatch.local_time import local_text
from monitor.shell.cli.table import display_zone

KIND_LABELS = {
    "new": "新发布", "revised": "修订", "metadata_changed": "信息变更", "abolished": "废止",
    "withdrawn": "撤回", "reposted": "转载", "became_plan": "认定为规划",
}
PLAN_KINDS = ("new", "revised", "abolished", "withdrawn")


def beijing(value: datetime | None, missing: str = "—") -> str:
    """A stored (naive UTC) time in the display zone (Beijing time by default), labelled."""
    return local_text(value, display_zone(), seconds=False, missing=missing)


def iso_utc(value: datetime | None) -> str:
    """RFC 3339 UTC for Atom and <time datetime>."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.isoformat(timespec="seconds") + "Z"


def day(value: date | str | None) -> str:
    if value is None or value == "":
        return "—"
    return value.isoformat() if isinstance(value, date) else str(value)


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def segments(text: str, spans: Sequence[Sequence[int]]) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, marked) so a template can wrap matches in <mark>, escaped."""
    pieces: list[tuple[str, bool]] = []
    position = 0
    for start, end in spans:
        if start > position:
            pieces.append((text[position:start], False))
        pieces.append((text[start:end], True))
        position = end
    if position < len(text):
        pieces.append((text[position:], False))
    return pieces


def filters() -> dict[str, Any]:
    """The Jinja filters the templates use."""
    return {"beijing": beijing, "iso_utc": iso_utc, "day": day, "kind_label": kind_label}
