"""Value checks for configuration keys: each turns a TOML value into what its field holds.

Why a module of its own: the schema (:mod:`eduwatch.config`) names one check beside each key,
and one check serves many keys. A check raises ``ValueError`` (or ``TypeError``) worded for
the operator; :mod:`eduwatch.config_reader` turns it into a message naming the file, the
line, the table and the key.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from eduwatch.event_kinds import EVENT_FILTERS

Check = Callable[[Any], Any]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_SCHEDULE = re.compile(r"^every\s+(\d+)\s*(s|m|h|d)$")
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def parse_schedule(text: str) -> tuple[str, float | str]:
    """``"every 2h"`` -> ("interval", 7200.0); a five-field cron line -> ("cron", text)."""
    match = _SCHEDULE.match(text.strip())
    if match:
        unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
        return "interval", float(int(match.group(1)) * unit)
    if len(text.split()) == 5:
        return "cron", text.strip()
    raise ValueError(f'{text!r} is neither "every N[s|m|h|d]" nor a five-field cron expression')


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    return value


def nonempty(value: Any) -> str:
    value = text(value)
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def number(minimum: float, maximum: float = float("inf")) -> Check:
    def convert(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"expected a number, got {value!r}")
        return float(_in_range(value, minimum, maximum))

    return convert


def whole(minimum: int, maximum: int = 10**9) -> Check:
    def convert(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected a whole number, got {value!r}")
        return int(_in_range(value, minimum, maximum))

    return convert


def _in_range(value: float, minimum: float, maximum: float) -> float:
    if not minimum <= value <= maximum:
        raise ValueError(f"{value} is out of range ({minimum} to {maximum})")
    return value


def strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of strings")
    return tuple(value)


def whole_numbers(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ValueError("expected a list of whole numbers")
    return tuple(value)


def one_of(*allowed: str) -> Check:
    def convert(value: Any) -> str:
        if value not in allowed:
            raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")
        return value

    return convert


def event_filters(value: Any) -> tuple[str, ...]:
    events = strings(value)
    for event in events:
        if event not in EVENT_FILTERS:
            raise ValueError(f"unknown event {event!r} (allowed: {', '.join(EVENT_FILTERS)})")
    return events


def slug(value: Any) -> str:
    value = text(value)
    if not _SLUG.match(value):
        raise ValueError(f"{value!r} is not a slug (lower-case letters, digits, - and _)")
    return value


def http_url(value: Any) -> str:
    value = text(value)
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


def http_urls(value: Any) -> tuple[str, ...]:
    return tuple(http_url(v) for v in strings(value))


def email_address(value: Any) -> str:
    value = nonempty(value)
    if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


def webhook(value: Any) -> str:
    """WeCom robots are https; plain http is allowed only on this machine (local test servers)."""
    value = http_url(value)
    host = re.match(r"^https?://([^/:?#]+)", value).group(1)  # type: ignore[union-attr]
    if not value.startswith("https://") and host not in _LOCAL_HOSTS:
        raise ValueError("a WeCom webhook must be an https:// URL")
    return value


def regex(value: Any) -> str:
    value = text(value)
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    return value


_DURATION = re.compile(r"^(\d+)\s*(s|m|h|d)$")


def duration(value: Any) -> float:
    """``"30s"``, ``"15m"``, ``"2h"``, ``"7d"`` (the schedule's units) -> seconds; ``"0"`` turns it off."""
    if value == 0 or value == "0":
        return 0.0
    match = _DURATION.match(text(value).strip())
    if not match:
        raise ValueError(f'{value!r} is not a duration: write "30s", "15m", "2h" or "7d" ("0" turns it off)')
    return float(int(match.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)])


def schedule(value: Any) -> str:
    value = text(value)
    parse_schedule(value)
    return value
