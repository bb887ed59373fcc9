"""eduwatch's one configuration schema: loaded from TOML, validated at load.

Every layer reads its settings from the dataclasses here, so a key has one name and one
check. Each key is declared once: a field made by :func:`~eduwatch.config_reader.setting` (or
``required``), which carries its default and its check (:mod:`eduwatch.config_checks`); the
reader (:mod:`eduwatch.config_reader`) walks those fields, and the built-in default TOML holds
only the built-in portals and what differs from these defaults. A bad key, type or value
raises :class:`ConfigError`, whose message names the file, the table (``portals[huilai]``),
the key and, where it can be found, the line.

Defaults are derived rather than demanded: a portal's ``title`` is its name, its ``region``
is empty (it then matches only subscribers without a region filter) and, except on platforms
that need one (gkmlpt), its ``base_url`` is the origin of its first list URL.
"""

from __future__ import annotations

import functools
import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import platformdirs

from eduwatch import config_checks as checks
from eduwatch.config_checks import parse_schedule
from eduwatch.config_reader import ConfigError, TableReader, required, setting, table, table_path
from eduwatch.config_whole import check_loaded, check_references
from eduwatch.event_kinds import DEFAULT_EVENT_FILTERS, EVENT_FILTERS
from eduwatch.local_time import DEFAULT_ZONE
from eduwatch.platforms import PLATFORM_NAMES, PLATFORMS

__all__ = [
    "DEFAULT_CONFIG", "EVENT_FILTERS", "PLATFORM_NAMES", "SECURITY_MODES", "Config", "ConfigError", "CrawlConfig",
    "DaemonConfig", "DatabaseConfig", "DisplayConfig", "DeliveryConfig", "EmailConfig", "PortalConfig", "RedisConfig",
    "SubscriberConfig", "WebConfig", "WecomConfig", "default_database_url", "load_config", "load_config_once", "parse_config",
    "parse_schedule",
]

SECURITY_MODES = ("none", "starttls", "ssl")
DEFAULT_CONFIG = Path(__file__).with_name("default_config.toml")


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = setting("", checks.database_url)  # empty: a SQLite file in the user's data directory (see load)


@dataclass(frozen=True)
class CrawlConfig:
    delay: float = setting(2.0, checks.number(0, 600))  # seconds between requests to one host, jittered by Scrapy
    concurrency_per_host: int = setting(1, checks.whole(1, 16))
    timeout: float = setting(30.0, checks.number(1, 600))
    retries: int = setting(2, checks.whole(0, 10))
    obey_robots: bool = setting(True, checks.flag)
    user_agent: str = setting("eduwatch/0.1 (+policy-notice monitor; contact: operator)", checks.nonempty)
    max_attachment_bytes: int = setting(10 * 1024 * 1024, checks.whole(0, 200 * 1024 * 1024))
    # safety cap for one list walk; incremental runs stop much earlier
    max_list_pages: int = setting(50, checks.whole(1, 10_000))
    # Freshness (crawler.freshness), in seconds, read as durations ("7d"; "0" turns one off):
    # every known document page is re-checked at least this often ...
    revisit_after: float = setting(7 * 86400.0, checks.duration)
    # ... rural-education plans and documents first seen in the last 30 days this often ...
    revisit_plans_after: float = setting(86400.0, checks.duration)
    # ... and every list is walked to its end this often (a back-dated document deep in a list)
    deep_walk_after: float = setting(86400.0, checks.duration)
    revisit_max_per_cycle: int = setting(100, checks.whole(0, 100_000))  # revisits per portal per run
    # reuse a host's robots.txt across runs this long (RFC 9309: <= 24)
    robots_cache_hours: float = setting(24.0, checks.number(0, 24))
    portals_per_process: int = setting(250, checks.whole(1, 100_000))  # one crawl child holds ~1 MB per portal
    processes: int = setting(1, checks.whole(1, 64))  # crawl children running at once


@dataclass(frozen=True, kw_only=True)
class PortalConfig:
    name: str = required(checks.slug)
    title: str = setting("", checks.nonempty)  # empty: the name
    region: str = setting("", checks.text)  # empty: matches only subscribers without a region filter
    platform: str = required(checks.one_of(*PLATFORM_NAMES))
    base_url: str = setting("", checks.http_url)  # empty: the origin of the first list URL
    list_urls: tuple[str, ...] = setting((), checks.http_urls)
    detail_pattern: str | None = setting(None, checks.regex)
    schedule: str | None = setting(None, checks.schedule)  # None: the daemon's default
    enabled: bool = setting(True, checks.flag)
    # gkmlpt: restrict to these category ids (empty: every leaf of the tree).
    categories: tuple[int, ...] = setting((), checks.whole_numbers)
    # Freshness overrides of [crawl]'s (None: the [crawl] value).
    revisit_after: float | None = setting(None, checks.duration)
    revisit_plans_after: float | None = setting(None, checks.duration)
    deep_walk_after: float | None = setting(None, checks.duration)
    revisit_max_per_cycle: int | None = setting(None, checks.whole(0, 100_000))

    def __post_init__(self) -> None:
        # Derived defaults, here so a PortalConfig built in code gets them as a loaded one
        # does; object.__setattr__ because the dataclass is frozen.
        if not self.title:
            object.__setattr__(self, "title", self.name)
        if not self.base_url and self.list_urls:
            object.__setattr__(self, "base_url", _origin(self.list_urls[0]))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class EmailConfig:
    host: str = setting("localhost", checks.nonempty)
    port: int = setting(25, checks.whole(1, 65535))
    security: str = setting("none", checks.one_of(*SECURITY_MODES))
    username: str | None = setting(None, checks.text)
    password_env: str | None = setting(None, checks.env_name)  # named and set when username is (load)
    from_addr: str = setting("eduwatch@localhost", checks.sender_address, key="from")
    timeout: float = setting(30.0, checks.number(1, 600))

    def password(self) -> str | None:
        """The SMTP password, read from the environment only when it is needed."""
        return os.environ.get(self.password_env) if self.password_env else None


@dataclass(frozen=True)
class WecomConfig:
    rate_per_minute: int = setting(20, checks.whole(1, 20))
    timeout: float = setting(10.0, checks.number(1, 120))


@dataclass(frozen=True)
class DeliveryConfig:
    max_attempts: int = setting(8, checks.whole(1, 100))
    backoff_base: float = setting(30.0, checks.number(0, 86400))  # seconds; doubled per attempt
    backoff_max: float = setting(3600.0, checks.number(0, 7 * 86400))


@dataclass(frozen=True)
class SubscriberConfig:
    name: str = required(checks.nonempty)
    email: str | None = setting(None, checks.email_address)
    wecom_webhook: str | None = setting(None, checks.webhook)
    # DingTalk, Feishu, Telegram … as Apprise URLs (dingtalk://secret@token, feishu://…, tgram://…)
    apprise: tuple[str, ...] = setting((), checks.apprise_urls)
    regions: tuple[str, ...] = setting((), checks.strings)
    portals: tuple[str, ...] = setting((), checks.strings)
    keywords: tuple[str, ...] = setting((), checks.strings)
    events: tuple[str, ...] = setting(DEFAULT_EVENT_FILTERS, checks.event_filters)
    digest: bool = setting(False, checks.flag)
    commitments_digest: bool = setting(False, checks.flag)


@dataclass(frozen=True)
class DaemonConfig:
    default_schedule: str = setting("every 2h", checks.schedule)
    jitter: float = setting(300.0, checks.number(0, 86400))  # seconds of random delay on each run's start
    misfire_grace_time: float = setting(3600.0, checks.number(1, 7 * 86400))
    crawl_time_limit: float = setting(3600.0, checks.number(1, 7 * 86400))
    crawl_memory_mb: int = setting(1024, checks.whole(64, 65536))
    deliver_interval: float = setting(60.0, checks.number(1, 86400))
    # consecutive failures before a portal's interval grows
    failure_backoff_after: int = setting(3, checks.whole(1, 1000))
    log_json: bool = setting(False, checks.flag)


@dataclass(frozen=True)
class DisplayConfig:
    # how human output (tables, status, e-mail, WeCom, web pages) shows stored UTC times; cron
    # schedules are read in it too. --json stays UTC.
    timezone: str = setting(DEFAULT_ZONE, checks.time_zone)


@dataclass(frozen=True)
class RedisConfig:
    url: str = setting("redis://127.0.0.1:6379/0", checks.redis_url)
    key_prefix: str = setting("eduwatch", checks.text)


@dataclass(frozen=True)
class WebConfig:
    """``eduwatch web``: where it listens, where people reach it, who may change things."""

    host: str = setting("127.0.0.1", checks.nonempty)  # loopback; publish it through a reverse proxy
    port: int = setting(8080, checks.whole(1, 65535))
    # How readers reach the web view (https://eduwatch.example.org); when set, alerts link to
    # the document's diff page there.
    public_url: str | None = setting(None, checks.http_url)
    # The environment variable holding the admin token (retry an alert, ask for a recrawl);
    # without one the web view only reads.
    admin_token_env: str | None = setting(None, checks.env_name)

    def admin_token(self) -> str | None:
        """The admin token, read from the environment only when it is needed."""
        return os.environ.get(self.admin_token_env) or None if self.admin_token_env else None


@dataclass(frozen=True)
class Config:
    """The whole configuration; each field names the TOML table it is read from."""

    database: DatabaseConfig = table("database", DatabaseConfig)
    crawl: CrawlConfig = table("crawl", CrawlConfig)
    portals: tuple[PortalConfig, ...] = table("portals", tuple)
    email: EmailConfig = table("alerts.email", EmailConfig)
    wecom: WecomConfig = table("alerts.wecom", WecomConfig)
    delivery: DeliveryConfig = table("alerts.delivery", DeliveryConfig)
    subscribers: tuple[SubscriberConfig, ...] = table("subscribers", tuple)
    daemon: DaemonConfig = table("daemon", DaemonConfig)
    redis: RedisConfig = table("redis", RedisConfig)
    web: WebConfig = table("web", WebConfig)
    display: DisplayConfig = table("display", DisplayConfig)
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


# --- loading -------------------------------------------------------------------------------


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Load ``path``, else ``$EDUWATCH_CONFIG``, else the built-in default, and check it whole.

    Besides every key (:func:`parse_config`), a loaded configuration must be runnable: not
    empty, with portals, the SMTP password's variable set (:func:`check_loaded`).
    """
    text, source = _read_config(path)
    config = parse_config(text, source=source)
    check_loaded(config, text, TableReader(text, source))
    return config


def _read_config(path: str | os.PathLike[str] | None) -> tuple[str, str]:
    """(text, source name) of ``path``, else ``$EDUWATCH_CONFIG``, else the built-in default."""
    chosen = path or os.environ.get("EDUWATCH_CONFIG")
    file = Path(chosen) if chosen else DEFAULT_CONFIG
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read the configuration: {exc.strerror}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{file}:{line}: not UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8 "
                          "(GBK/GB18030 files must be converted, e.g. iconv -f GB18030 -t UTF-8)") from None
    return text.removeprefix("\ufeff"), str(file) if chosen else "<built-in default>"


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
    reader = TableReader(text, source)
    _check_table_names(reader, raw)
    _check_removed_keys(reader, raw)
    values: dict[str, Any] = {}
    for item in fields(Config):
        path = table_path(item)
        if path in _ARRAYS:
            values[item.name] = _ARRAYS[path](reader, raw.get(path))
        elif path is not None:
            cls = item.default_factory
            values[item.name] = cls(**reader.read(cls, _table_at(reader, raw, path), path))  # type: ignore[operator]
    if not values["database"].url:
        values["database"] = DatabaseConfig(url=default_database_url())
    config = Config(**values, source=source)
    check_references(config, reader)
    return config


def _check_table_names(reader: TableReader, raw: dict[str, Any]) -> None:
    """Unknown tables fail, at the top level and inside ``[alerts]``, naming the known ones."""
    children: dict[str, set[str]] = {}
    for path in filter(None, map(table_path, fields(Config))):
        parent, _, leaf = path.rpartition(".")
        children.setdefault(parent, set()).add(leaf)
        children.setdefault("", set()).add(path.split(".")[0])
    for parent, allowed in children.items():
        mapping = _table_at(reader, raw, parent) if parent else raw
        reader.known_tables(mapping, parent or "top level", allowed)


# Keys that are gone, with what replaces them: an old config fails with the new key's name.
_REMOVED = {
    ("crawl", "revisit_days"): 'replaced by revisit_after = "7d" (a duration: "30s", "15m", "2h", "7d"; '
                               '"0" turns revisits off), with revisit_plans_after and deep_walk_after beside it',
}


def _check_removed_keys(reader: TableReader, raw: dict[str, Any]) -> None:
    for (table_name, key), replacement in _REMOVED.items():
        if key in _table_at(reader, raw, table_name):
            raise reader.fail(table_name, key, replacement)


def _table_at(reader: TableReader, raw: dict[str, Any], path: str) -> dict[str, Any]:
    """The table at dotted ``path`` (empty when absent); a non-table there fails."""
    node, walked = raw, []
    for part in path.split("."):
        walked.append(part)
        node = reader.table(node.get(part, {}), ".".join(walked))
    return node


def _portals(reader: TableReader, raw: Any) -> tuple[PortalConfig, ...]:
    portals: list[PortalConfig] = []
    names: set[str] = set()  # one set for the duplicate check, not one per entry
    for where, entry in reader.entries(raw, "portals"):
        values = reader.read(PortalConfig, entry, where)
        if values["name"] in names:
            raise reader.fail(where, "name", f"duplicate portal name {values['name']!r}")
        platform = PLATFORMS[values["platform"]]
        needs = {
            "base_url": platform.needs_base_url,
            "list_urls": platform.needs_list_urls,
            "detail_pattern": platform.needs_detail_pattern,
        }
        for key, needed in needs.items():
            if needed and not values.get(key):
                raise reader.fail(where, key, f"required for platform {platform.name!r}")
        portals.append(PortalConfig(**values))
        names.add(values["name"])
    return tuple(portals)


def _subscribers(reader: TableReader, raw: Any) -> tuple[SubscriberConfig, ...]:
    subscribers: list[SubscriberConfig] = []
    for where, entry in reader.entries(raw, "subscribers"):
        values = reader.read(SubscriberConfig, entry, where)
        if not values.get("email") and not values.get("wecom_webhook") and not values.get("apprise"):
            raise reader.fail(where, "email", "a subscriber needs an email, a wecom_webhook or apprise URLs")
        if values["name"] in {s.name for s in subscribers}:
            raise reader.fail(where, "name", f"duplicate subscriber name {values['name']!r}")
        subscribers.append(SubscriberConfig(**values))
    return tuple(subscribers)


# arrays of tables ([[portals]]): each entry is checked against its neighbours as well
_ARRAYS: dict[str, Callable[[TableReader, Any], tuple[Any, ...]]] = {
    "portals": _portals,
    "subscribers": _subscribers,
}
