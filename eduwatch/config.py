"""eduwatch's one configuration schema: loaded from TOML, validated at load.

Every layer reads its settings from the dataclasses here, so a key has one name and one
check. A bad key, type or value raises :class:`ConfigError`, whose message names the file,
the table (``portals[huilai]``), the key and, where it can be found, the line.
"""

from __future__ import annotations

import functools
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import platformdirs

from eduwatch.event_kinds import DEFAULT_EVENT_FILTERS, EVENT_FILTERS
from eduwatch.platforms import PLATFORMS

SECURITY_MODES = ("none", "starttls", "ssl")
DEFAULT_CONFIG = Path(__file__).with_name("default_config.toml")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_SCHEDULE = re.compile(r"^every\s+(\d+)\s*(s|m|h|d)$")


class ConfigError(ValueError):
    """A configuration problem, worded for the operator who has to fix the file."""


@dataclass(frozen=True)
class DatabaseConfig:
    url: str


@dataclass(frozen=True)
class CrawlConfig:
    delay: float = 2.0  # seconds between requests to one host, jittered by Scrapy
    concurrency_per_host: int = 1
    timeout: float = 30.0
    retries: int = 2
    obey_robots: bool = True
    user_agent: str = "eduwatch/0.1 (+policy-notice monitor; contact: operator)"
    max_attachment_bytes: int = 10 * 1024 * 1024
    max_list_pages: int = 50  # safety cap for one list walk; incremental runs stop much earlier
    revisit_days: float = 0.0  # >0: re-check detail pages older than this with a conditional GET
    robots_cache_hours: float = 24.0  # reuse a host's robots.txt across runs this long (RFC 9309: <= 24)
    portals_per_process: int = 250  # one crawl child holds ~1 MB per portal: split big crawls
    processes: int = 1  # crawl children running at once


@dataclass(frozen=True)
class PortalConfig:
    name: str
    title: str
    region: str
    platform: str
    base_url: str
    list_urls: tuple[str, ...] = ()
    detail_pattern: str | None = None
    schedule: str | None = None  # None: the daemon's default
    enabled: bool = True
    # gkmlpt: restrict to these category ids (empty: every leaf of the tree).
    categories: tuple[int, ...] = ()


@dataclass(frozen=True)
class EmailConfig:
    host: str = "localhost"
    port: int = 25
    security: str = "none"
    username: str | None = None
    password_env: str | None = None
    from_addr: str = "eduwatch@localhost"
    timeout: float = 30.0

    def password(self) -> str | None:
        """The SMTP password, read from the environment only when it is needed."""
        return os.environ.get(self.password_env) if self.password_env else None


@dataclass(frozen=True)
class WecomConfig:
    rate_per_minute: int = 20
    timeout: float = 10.0


@dataclass(frozen=True)
class DeliveryConfig:
    max_attempts: int = 8
    backoff_base: float = 30.0  # seconds; doubled per attempt
    backoff_max: float = 3600.0


@dataclass(frozen=True)
class SubscriberConfig:
    name: str
    email: str | None = None
    wecom_webhook: str | None = None
    regions: tuple[str, ...] = ()
    portals: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    events: tuple[str, ...] = DEFAULT_EVENT_FILTERS
    digest: bool = False


@dataclass(frozen=True)
class DaemonConfig:
    default_schedule: str = "every 2h"
    jitter: float = 300.0  # seconds of random delay on each run's start
    misfire_grace_time: float = 3600.0
    crawl_time_limit: float = 3600.0
    crawl_memory_mb: int = 1024
    deliver_interval: float = 60.0
    failure_backoff_after: int = 3  # consecutive failures before a portal's interval grows
    log_json: bool = False


@dataclass(frozen=True)
class RedisConfig:
    url: str = "redis://127.0.0.1:6379/0"
    key_prefix: str = "eduwatch"


@dataclass(frozen=True)
class Config:
    database: DatabaseConfig
    crawl: CrawlConfig
    portals: tuple[PortalConfig, ...]
    email: EmailConfig = field(default_factory=EmailConfig)
    wecom: WecomConfig = field(default_factory=WecomConfig)
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    subscribers: tuple[SubscriberConfig, ...] = ()
    daemon: DaemonConfig = field(default_factory=DaemonConfig)
    redis: RedisConfig = field(default_factory=RedisConfig)
    source: str = "<built-in default>"

    def portal(self, name: str) -> PortalConfig:
        for portal in self.portals:
            if portal.name == name:
                return portal
        known = ", ".join(p.name for p in self.portals)
        raise ConfigError(f"{self.source}: no portal named {name!r} (known: {known})")


def default_database_url() -> str:
    data_dir = Path(platformdirs.user_data_dir("eduwatch"))
    return f"sqlite:///{data_dir / 'eduwatch.db'}"


def parse_schedule(text: str) -> tuple[str, float | str]:
    """``"every 2h"`` -> ("interval", 7200.0); a five-field cron line -> ("cron", text)."""
    match = _SCHEDULE.match(text.strip())
    if match:
        unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
        return "interval", float(int(match.group(1)) * unit)
    if len(text.split()) == 5:
        return "cron", text.strip()
    raise ValueError(f'{text!r} is neither "every N[s|m|h|d]" nor a five-field cron expression')


# --- loading -------------------------------------------------------------------------------


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Load ``path``, else ``$EDUWATCH_CONFIG``, else the built-in default."""
    text, source = _read_config(path)
    return parse_config(text, source=source)


def _read_config(path: str | os.PathLike[str] | None) -> tuple[str, str]:
    """(text, source name) of ``path``, else ``$EDUWATCH_CONFIG``, else the built-in default."""
    chosen = path or os.environ.get("EDUWATCH_CONFIG")
    file = Path(chosen) if chosen else DEFAULT_CONFIG
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read the configuration: {exc.strerror}") from exc
    return text, str(file) if chosen else "<built-in default>"


def load_config_once(path: str | os.PathLike[str] | None = None) -> Config:
    """:func:`load_config`, parsed once per process for the same file contents.

    Every spider of a many-portal process needs the config twice (settings, then setup);
    re-validating a 200-portal file each time made start-up grow with the square of the
    portal count. The file is still read each call (cheap), so an edited file — or a test
    writing another config at the same path — is parsed afresh; the default database URL is
    part of the key because it comes from the environment, not the file.
    """
    text, source = _read_config(path)
    return _parse_cached(text, source, default_database_url())


@functools.lru_cache(maxsize=16)
def _parse_cached(text: str, source: str, default_url: str) -> Config:
    return parse_config(text, source=source)


def parse_config(text: str, source: str = "<string>") -> Config:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    return _Validator(raw, text, source).build()


class _Validator:
    """Turns the parsed TOML into :class:`Config`, or fails with a message that points."""

    def __init__(self, raw: dict[str, Any], text: str, source: str) -> None:
        self.raw = raw
        self.lines = text.splitlines()
        self.source = source

    def fail(self, where: str, key: str, problem: str) -> ConfigError:
        # A missing key has no line of its own: point at the table's name line instead.
        line = self._line_of(where, key) or self._line_of(where, "name")
        at = f":{line}" if line else ""
        return ConfigError(f"{self.source}{at}: [{where}] {key}: {problem}")

    def _line_of(self, where: str, key: str) -> int | None:
        """Best-effort line number of ``key`` inside table ``where`` (for the message only)."""
        table, _, label = where.partition("[")
        label = label.rstrip("]")
        header = re.compile(rf"^\s*\[\[?\s*{re.escape(table.split('.')[0])}")
        in_table = False
        for number, line in enumerate(self.lines, start=1):
            stripped = line.strip()
            if stripped.startswith("["):
                in_table = bool(header.match(stripped))
                continue
            if in_table and re.match(rf"^{re.escape(key)}\s*=", stripped):
                if not label or label in line or self._table_has(number, label):
                    return number
        return None

    def _table_has(self, line_no: int, label: str) -> bool:
        start = line_no - 1
        while start > 0 and not self.lines[start - 1].strip().startswith("["):
            start -= 1
        end = line_no
        while end < len(self.lines) and not self.lines[end].strip().startswith("["):
            end += 1
        return any(f'"{label}"' in line for line in self.lines[start:end])

    def table(self, mapping: Any, where: str) -> dict[str, Any]:
        if not isinstance(mapping, dict):
            raise ConfigError(f"{self.source}: [{where}] must be a table")
        return mapping

    def fields(self, mapping: dict[str, Any], where: str, spec: dict[str, Callable[[Any], Any]]) -> dict[str, Any]:
        """Check ``mapping`` against ``spec`` (key -> converter that raises ValueError)."""
        out: dict[str, Any] = {}
        for key, value in mapping.items():
            if key not in spec:
                allowed = ", ".join(sorted(spec))
                raise self.fail(where, key, f"unknown key (allowed: {allowed})")
            try:
                out[key] = spec[key](value)
            except (TypeError, ValueError) as exc:
                raise self.fail(where, key, str(exc)) from None
        return out

    def build(self) -> Config:
        known = {"database", "crawl", "portals", "alerts", "subscribers", "daemon", "redis"}
        for key in self.raw:
            if key not in known:
                raise self.fail("top level", key, f"unknown table (allowed: {', '.join(sorted(known))})")
        database = self.fields(self.table(self.raw.get("database", {}), "database"), "database", {"url": _str})
        crawl = self.fields(self.table(self.raw.get("crawl", {}), "crawl"), "crawl", _CRAWL_SPEC)
        portals = self._portals()
        alerts = self.table(self.raw.get("alerts", {}), "alerts")
        for key in alerts:
            if key not in ("email", "wecom", "delivery"):
                raise self.fail("alerts", key, "unknown table (allowed: delivery, email, wecom)")
        email = self.fields(self.table(alerts.get("email", {}), "alerts.email"), "alerts.email", _EMAIL_SPEC)
        if "from" in email:
            email["from_addr"] = email.pop("from")
        wecom = self.fields(self.table(alerts.get("wecom", {}), "alerts.wecom"), "alerts.wecom", _WECOM_SPEC)
        delivery = self.fields(
            self.table(alerts.get("delivery", {}), "alerts.delivery"), "alerts.delivery", _DELIVERY_SPEC
        )
        daemon = self.fields(self.table(self.raw.get("daemon", {}), "daemon"), "daemon", _DAEMON_SPEC)
        redis = self.fields(self.table(self.raw.get("redis", {}), "redis"), "redis", {"url": _str, "key_prefix": _str})
        return Config(
            database=DatabaseConfig(url=database.get("url") or default_database_url()),
            crawl=CrawlConfig(**crawl),
            portals=portals,
            email=EmailConfig(**email),
            wecom=WecomConfig(**wecom),
            delivery=DeliveryConfig(**delivery),
            subscribers=self._subscribers(),
            daemon=DaemonConfig(**daemon),
            redis=RedisConfig(**redis),
            source=self.source,
        )

    def _portals(self) -> tuple[PortalConfig, ...]:
        entries = self.raw.get("portals", [])
        if not isinstance(entries, list):
            raise ConfigError(f"{self.source}: portals must be an array of tables ([[portals]])")
        portals: list[PortalConfig] = []
        names: set[str] = set()  # one set for the duplicate check, not one per entry
        for number, entry in enumerate(entries, start=1):
            name = entry.get("name") if isinstance(entry, dict) else None
            where = f"portals[{name}]" if isinstance(name, str) else f"portals #{number}"
            values = self.fields(self.table(entry, where), where, _PORTAL_SPEC)
            for key in ("name", "title", "region", "platform", "base_url"):
                if key not in values:
                    raise self.fail(where, key, "missing (required for every portal)")
            if values["name"] in names:
                raise self.fail(where, "name", f"duplicate portal name {values['name']!r}")
            self._check_portal(values, where)
            portals.append(PortalConfig(**values))
            names.add(values["name"])
        return tuple(portals)

    def _check_portal(self, values: dict[str, Any], where: str) -> None:
        platform = PLATFORMS[values["platform"]]
        needs = {"list_urls": platform.needs_list_urls, "detail_pattern": platform.needs_detail_pattern}
        for key, needed in needs.items():
            if needed and not values.get(key):
                raise self.fail(where, key, f"required for platform {platform.name!r}")

    def _subscribers(self) -> tuple[SubscriberConfig, ...]:
        entries = self.raw.get("subscribers", [])
        if not isinstance(entries, list):
            raise ConfigError(f"{self.source}: subscribers must be an array of tables ([[subscribers]])")
        subscribers: list[SubscriberConfig] = []
        for number, entry in enumerate(entries, start=1):
            name = entry.get("name") if isinstance(entry, dict) else None
            where = f"subscribers[{name}]" if isinstance(name, str) else f"subscribers #{number}"
            values = self.fields(self.table(entry, where), where, _SUBSCRIBER_SPEC)
            if "name" not in values:
                raise self.fail(where, "name", "missing")
            if not values.get("email") and not values.get("wecom_webhook"):
                raise self.fail(where, "email", "a subscriber needs an email or a wecom_webhook")
            if values["name"] in {s.name for s in subscribers}:
                raise self.fail(where, "name", f"duplicate subscriber name {values['name']!r}")
            subscribers.append(SubscriberConfig(**values))
        return tuple(subscribers)


# --- converters: each raises ValueError with a message meant for the operator ------------------


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    return value


def _nonempty(value: Any) -> str:
    value = _str(value)
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _number(minimum: float, maximum: float = float("inf")) -> Callable[[Any], float]:
    def convert(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"expected a number, got {value!r}")
        if not minimum <= value <= maximum:
            raise ValueError(f"{value} is out of range ({minimum} to {maximum})")
        return float(value)

    return convert


def _integer(minimum: int, maximum: int = 10**9) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected a whole number, got {value!r}")
        if not minimum <= value <= maximum:
            raise ValueError(f"{value} is out of range ({minimum} to {maximum})")
        return value

    return convert


def _str_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of strings")
    return tuple(value)


def _choices(*allowed: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if value not in allowed:
            raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")
        return value

    return convert


def _events(value: Any) -> tuple[str, ...]:
    events = _str_list(value)
    for event in events:
        if event not in EVENT_FILTERS:
            raise ValueError(f"unknown event {event!r} (allowed: {', '.join(EVENT_FILTERS)})")
    return events


def _slug(value: Any) -> str:
    value = _str(value)
    if not _SLUG.match(value):
        raise ValueError(f"{value!r} is not a slug (lower-case letters, digits, - and _)")
    return value


def _url(value: Any) -> str:
    value = _str(value)
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


def _email(value: Any) -> str:
    value = _nonempty(value)
    if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


def _webhook(value: Any) -> str:
    """WeCom robots are https; plain http is allowed only on this machine (local test servers)."""
    value = _url(value)
    host = re.match(r"^https?://([^/:?#]+)", value).group(1)  # type: ignore[union-attr]
    if not value.startswith("https://") and host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("a WeCom webhook must be an https:// URL")
    return value


def _url_list(value: Any) -> tuple[str, ...]:
    return tuple(_url(v) for v in _str_list(value))


def _regex(value: Any) -> str:
    value = _str(value)
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    return value


def _schedule(value: Any) -> str:
    value = _str(value)
    parse_schedule(value)
    return value


def _int_list(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ValueError("expected a list of whole numbers")
    return tuple(value)


_CRAWL_SPEC: dict[str, Callable[[Any], Any]] = {
    "delay": _number(0, 600),
    "concurrency_per_host": _integer(1, 16),
    "timeout": _number(1, 600),
    "retries": _integer(0, 10),
    "obey_robots": _bool,
    "user_agent": _nonempty,
    "max_attachment_bytes": _integer(0, 200 * 1024 * 1024),
    "max_list_pages": _integer(1, 10_000),
    "revisit_days": _number(0, 3650),
    "robots_cache_hours": _number(0, 24),
    "portals_per_process": _integer(1, 100_000),
    "processes": _integer(1, 64),
}
_PORTAL_SPEC: dict[str, Callable[[Any], Any]] = {
    "name": _slug,
    "title": _nonempty,
    "region": _nonempty,
    "platform": _choices(*PLATFORMS),  # the names of eduwatch.platforms
    "base_url": _url,
    "list_urls": _url_list,
    "detail_pattern": _regex,
    "schedule": _schedule,
    "enabled": _bool,
    "categories": _int_list,
}
_EMAIL_SPEC: dict[str, Callable[[Any], Any]] = {
    "host": _nonempty,
    "port": _integer(1, 65535),
    "security": _choices(*SECURITY_MODES),
    "username": _str,
    "password_env": _nonempty,
    "from": _nonempty,
    "timeout": _number(1, 600),
}
_WECOM_SPEC: dict[str, Callable[[Any], Any]] = {
    "rate_per_minute": _integer(1, 20),
    "timeout": _number(1, 120),
}
_DELIVERY_SPEC: dict[str, Callable[[Any], Any]] = {
    "max_attempts": _integer(1, 100),
    "backoff_base": _number(0, 86400),
    "backoff_max": _number(0, 7 * 86400),
}
_SUBSCRIBER_SPEC: dict[str, Callable[[Any], Any]] = {
    "name": _nonempty,
    "email": _email,
    "wecom_webhook": _webhook,
    "regions": _str_list,
    "portals": _str_list,
    "keywords": _str_list,
    "events": _events,
    "digest": _bool,
}
_DAEMON_SPEC: dict[str, Callable[[Any], Any]] = {
    "default_schedule": _schedule,
    "jitter": _number(0, 86400),
    "misfire_grace_time": _number(1, 7 * 86400),
    "crawl_time_limit": _number(1, 7 * 86400),
    "crawl_memory_mb": _integer(64, 65536),
    "deliver_interval": _number(1, 86400),
    "failure_backoff_after": _integer(1, 1000),
    "log_json": _bool,
}
