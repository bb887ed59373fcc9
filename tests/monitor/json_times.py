"""How every ``--json`` view of the CLI must write a time: ISO 8601 UTC with ``Z``, to the second.

A naive ``2026-11-22T17:42:00`` reads as local time to a script; a view that slips one in
(or keeps microseconds) fails :func:`assert_utc_times`. Days without a time (发布日期,
成文日期) stay ``2026-11-22``.
"""

from __future__ import annotations

import re
from typing import Any

UTC_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
DAY = re.compile(r"\d{4}-\d\d-\d\d")
DAY_FIELDS = ("published_date", "written_date", "deadline")  # 发布日期, 成文日期, a commitment's 期限
_DATE_START = re.compile(r"\d{4}-\d\d-\d\d")  # a date, a time, or a naive time begins so
_INDEX = re.compile(r"(\[\d+\])+$")


def dated_strings(view: Any, path: str = "$") -> list[tuple[str, str]]:
    """``(where, text)`` of every string in a JSON view that begins like a date or a time."""
    if isinstance(view, dict):
        return [found for key, value in view.items() for found in dated_strings(value, f"{path}.{key}")]
    if isinstance(view, list):
        return [found for n, value in enumerate(view) for found in dated_strings(value, f"{path}[{n}]")]
    if isinstance(view, str) and _DATE_START.match(view):
        return [(path, view)]
    return []


def assert_utc_times(view: Any) -> list[str]:
    """Fail on a date or time not written as --json must; return the times (not days) found."""
    times = []
    for where, text in dated_strings(view):
        if _INDEX.sub("", where.rsplit(".", 1)[-1]) in DAY_FIELDS:  # also a change's [old, new]
            assert DAY.fullmatch(text), f"{where} = {text!r}: a day field must be YYYY-MM-DD"
        else:
            assert UTC_TIME.fullmatch(text), f"{where} = {text!r}: not UTC with Z to the second"
            times.append(text)
    return times
