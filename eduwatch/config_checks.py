"""Value checks for configuration keys: each turns a TOML value into what its field holds.

Why a module of its own: the schema (:mod:`eduwatch.config`) names one check beside each key,
and one check serves many keys. A check raises ``ValueError`` (or ``TypeError``) worded for
the operator; :mod:`eduwatch.config_reader` turns it into a message naming the file, the
line, the table and the key.
"""

from __future__ import annotations

import importlib
import re
from email.utils import parseaddr
from typing import Any, Callable
from urllib.parse import urlsplit

from eduwatch.event_kinds import EVENT_FILTERS
from eduwatch.redact import redact

Check = Callable[[Any], Any]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_SCHEDULE = re.compile(r"^every\s+(\d+)\s*(s|m|h|d)$")
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def parse_schedule(text: str) -> tuple[str, float | str]:
    """``"every 2h"`` -> ("interval", 7200.0); a five-field cron line -> ("cron", text).

    Both are checked here, at load, so no command accepts what the daemon would later refuse:
    an interval must be positive, and a cron line must be one APScheduler's CronTrigger builds
    (every field's values in range: minute 0-59, hour 0-23, day 1-31, month 1-12, weekday 0-6).
    """
    match = _SCHEDULE.match(text.strip())
    if match:
        unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
        seconds = float(int(match.group(1)) * unit)
        if seconds <= 0:
            raise ValueError(f"{text!r}: an interval must be longer than 0")
        return "interval", seconds
    if len(text.split()) == 5:
        _check_cron(text.strip())
        return "cron", text.strip()
    raise ValueError(f'{text!r} is neither "every N[s|m|h|d]" nor a five-field cron expression')


def _check_cron(line: str) -> None:
    from apscheduler.triggers.cron import CronTrigger  # only when a config has a cron line

    try:
        CronTrigger.from_crontab(line)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{line!r} is not a valid cron line: {exc}") from None


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


def time_zone(value: Any) -> str:
    """An IANA zone name the zone database knows (``Asia/Shanghai``)."""
    from eduwatch.local_time import zone

    value = nonempty(value)
    zone(value)  # raises ValueError naming it
    return value


def slug(value: Any) -> str:
    value = text(value)
    if not _SLUG.match(value):
        raise ValueError(f"{value!r} is not a slug (lower-case letters, digits, - and _)")
    return value


def http_url(value: Any) -> str:
    value = text(value)
    if not re.match(r"^https?://[^/\s]+", value) or not _host_and_port_ok(value):
        raise ValueError(f"{redact(value)!r} is not an http(s) URL")
    return value


def _host_and_port_ok(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a port that is not a number in range)
    except ValueError:
        return False
    return bool(parts.hostname)


def database_url(value: Any) -> str:
    """Empty (the default SQLite file), or a URL SQLAlchemy parses with a driver it knows."""
    value = text(value)
    if not value:
        return value
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        make_url(value).get_dialect()
    except NoSuchModuleError:  # (an ArgumentError too: caught first)
        raise ValueError(f"{redact(value)!r}: unknown database or driver (use postgresql+psycopg:// or sqlite:///)") from None
    except (ArgumentError, ValueError):
        raise ValueError(f"{redact(value)!r} is not a database URL (e.g. postgresql+psycopg://user@host/db, "
                         "sqlite:////var/lib/eduwatch/eduwatch.db)") from None
    except ImportError as exc:
        raise ValueError(f"{redact(value)!r}: its driver is not installed ({exc.name})") from None
    return value


def redis_url(value: Any) -> str:
    value = text(value)
    if not re.match(r"^(redis|rediss|unix)://", value) or (not value.startswith("unix:") and not _host_and_port_ok(
            "http" + value[value.index(":"):])):
        raise ValueError(f"{redact(value)!r} is not a Redis URL (redis://host:6379/0, rediss://…, unix:///path)")
    return value


def http_urls(value: Any) -> tuple[str, ...]:
    return tuple(http_url(v) for v in strings(value))


# Apprise URLs are judged by the alert side, which knows Apprise and eduwatch's DingTalk and
# Feishu robots; named by dotted path (as platforms name their spiders) so this floor imports
# nothing above it, and Apprise (a quarter second to import) only when a subscriber lists one.
APPRISE_CHECK = "alerts.apprise_targets.check_url"


def apprise_urls(value: Any) -> tuple[str, ...]:
    """A subscriber's ``apprise`` list: URLs Apprise (or eduwatch's robots) can send to."""
    urls = strings(value)
    for number, url in enumerate(urls, start=1):
        scheme = url.strip().partition("://")[0].lower()
        if not re.match(r"^[a-z][a-z0-9+.-]*://\S+$", url.strip(), re.I):
            raise ValueError(f"entry {number} is not a URL (Apprise URLs look like dingtalk://…, feishu://…, tgram://…)")
        if scheme == "http" and urlsplit(url.strip()).hostname not in _LOCAL_HOSTS:
            raise ValueError(f"entry {number}: a robot webhook must be https:// (plain http only on this machine)")
        module, _, name = APPRISE_CHECK.rpartition(".")
        try:
            getattr(importlib.import_module(module), name)(url)
        except ValueError as exc:
            raise ValueError(f"entry {number} ({scheme}://…): {exc}") from None
    return urls


def email_address(value: Any) -> str:
    value = nonempty(value)
    if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


def sender_address(value: Any) -> str:
    """The ``From`` of alerts: an address, optionally with a display name (``eduwatch <a@b.org>``)."""
    value = nonempty(value)
    name, address = parseaddr(value)
    if not re.match(r"^[^@\s<>]+@[^@\s<>]+$", address) or (not name and address != value.strip()):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


def env_name(value: Any) -> str:
    value = nonempty(value)
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", value):
        raise ValueError(f"{value!r} is not an environment variable name")
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
