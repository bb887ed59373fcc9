"""robots.txt kept across crawl runs, one row per origin (scheme://host:port).

Scrapy asks for robots.txt once per crawl process, so every scheduled run of an unchanged
portal paid one extra request per host. RFC 9309 §2.4 lets a crawler reuse robots.txt for up
to 24 hours, and the database is the one thing every crawler shares (the daemon, the CLI,
distributed workers on other machines), so the copy lives there.

What is stored is what the server said: the status, the body and its validators (ETag,
Last-Modified) for a conditional refetch. What a status *means* (4xx: allow all) is the
crawler's decision, not this module's. Freshness is judged by the reader against its own
maximum age, so lowering ``[crawl] robots_cache_hours`` takes effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.database import Database
from storage.models import RobotsEntry

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class CachedRobots:
    origin: str  # scheme://host:port, see origin_of
    status: int
    body: bytes
    fetched_at: datetime  # naive UTC
    etag: str | None = None
    last_modified: str | None = None

    def fresh(self, now: datetime, max_age: timedelta) -> bool:
        """Young enough to use without asking; a clock that went backwards counts as stale."""
        return self.fetched_at <= now and now - self.fetched_at < max_age


def origin_of(url: str) -> str:
    """``http://Example.gov.cn/a?b`` -> ``http://example.gov.cn:80``: robots.txt's scope (RFC 9309 §2.3)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
    return f"{scheme}://{host}:{port}"


def load_robots(db: Database, origin: str) -> CachedRobots | None:
    """The stored copy for ``origin``, fresh or not (the caller judges), or None."""
    with db.sessions() as session:
        row = session.get(RobotsEntry, origin)
        if row is None:
            return None
        return CachedRobots(row.origin, row.status, bytes(row.body), row.fetched_at, row.etag, row.last_modified)


def save_robots(db: Database, entry: CachedRobots) -> None:
    """Insert or replace ``entry``; two crawlers saving the same origin at once both succeed."""
    values = {
        "origin": entry.origin, "status": entry.status, "body": entry.body, "fetched_at": entry.fetched_at,
        "etag": entry.etag, "last_modified": entry.last_modified,
    }
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    statement = insert(RobotsEntry).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[RobotsEntry.origin], set_={k: v for k, v in values.items() if k != "origin"}
    )
    with db.transaction() as session:
        session.execute(statement)


def forget_robots(db: Database, origin: str | None = None) -> int:
    """Drop the copy for ``origin`` (every copy when None); returns how many rows went."""
    statement = delete(RobotsEntry)
    if origin is not None:
        statement = statement.where(RobotsEntry.origin == origin)
    with db.transaction() as session:
        return session.execute(statement).rowcount or 0


def cached_origins(db: Database) -> list[str]:
    """Every origin with a stored copy, sorted (for status output and tests)."""
    with db.sessions() as session:
        return list(session.scalars(select(RobotsEntry.origin).order_by(RobotsEntry.origin)))
