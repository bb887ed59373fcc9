"""The database: reachable, its schema at the newest migration, room on its disk.

Opened without :class:`storage.database.Database`, which would migrate it on the way in and so
hide the very thing this checks (a database left behind by an interrupted upgrade or a rollback).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from eduwatch.redact import redact
from monitor.shell.doctor.result import Check, failed, passed
from storage.database import alembic_config, make_engine

MIN_FREE_BYTES = 1 << 30  # below 1 GiB a crawl of attachments and the WAL can fill the disk overnight
MIGRATE_FIX = "run any eduwatch command that opens the database (e.g. `eduwatch status`): it migrates to head"


def check_database(url: str) -> Check:
    """Connect, then compare the stored Alembic revision with the newest one shipped."""
    name = "database"
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as exc:
        return failed(name, f"cannot connect to {redact(url)}: {_first_line(exc)}",
                      "check [database] url, that the server runs and accepts this user")
    finally:
        engine.dispose()
    heads = _heads(engine)
    if current == heads:
        return passed(name, f"{redact(url)}: reachable, migrations at head ({', '.join(sorted(heads))})")
    have = ", ".join(sorted(current)) or "none"
    return failed(name, f"{redact(url)}: schema at {have}, newest is {', '.join(sorted(heads))}", MIGRATE_FIX)


def _heads(engine: Engine) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())


def check_disk(url: str) -> Check:
    """Free space where a SQLite database lives; a server database's disk is the server's to watch."""
    name = "disk"
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return passed(name, f"{parsed.get_backend_name()} server database: its disk is watched on the server")
    directory = _existing(Path(parsed.database).parent)
    free = shutil.disk_usage(directory).free
    detail = f"{directory}: {free / (1 << 30):.1f} GiB free"
    if free < MIN_FREE_BYTES:
        return failed(name, detail, "free space on that disk, or move [database] url to a larger one")
    return passed(name, detail)


def _existing(path: Path) -> Path:
    """The nearest directory that exists (the database's may be made on first use)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _first_line(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return redact(text.splitlines()[0] if text else type(exc).__name__)
