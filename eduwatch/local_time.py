"""Stored times as people in China read them: in ``[display] timezone``, labelled.

The store keeps naive UTC and ``--json`` writes UTC with ``Z``; only human output converts.
This module is the conversion itself, at the lowest floor so that alert messages
(:mod:`alerts.render`) and the shell (:mod:`monitor.shell.cli.table`, which owns how the shell
prints a time) use the same rule. DST and past offsets come from the zone database (zoneinfo).
"""

from __future__ import annotations

import functools
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Shanghai"
# zones whose clocks are Beijing time: readers know them by that name, not by the IANA key
_BEIJING_NAMES = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin", "PRC"})


@functools.lru_cache(maxsize=32)
def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; ValueError naming it when the zone database does not know it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone (e.g. Asia/Shanghai, Europe/Berlin)") from None


def label(name: str) -> str:
    """How a header or a message names the zone: 北京时间 for China's, else the IANA name."""
    return "北京时间" if name in _BEIJING_NAMES else name


def to_local(value: datetime, name: str) -> datetime:
    """A stored time (naive = UTC, or aware) in zone ``name``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(zone(name))


def local_text(value: datetime | None, name: str, *, seconds: bool = True, labelled: bool = True,
               missing: str = "") -> str:
    """``2026-12-02 17:30:00 北京时间`` (or without seconds / label)."""
    if value is None:
        return missing
    text = to_local(value, name).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return f"{text} {label(name)}" if labelled else text
