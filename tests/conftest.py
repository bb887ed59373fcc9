"""Shared fixtures: databases (SQLite always, PostgreSQL when EDUWATCH_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import text

from storage.database import Database

pytest_plugins = ["tests.portal_fixtures", "tests.config_fixtures"]

PG_URL = os.environ.get("EDUWATCH_TEST_DATABASE_URL")


def _reset_postgres(url: str) -> None:
    """Drop every table so each test starts from an empty, freshly migrated schema."""
    db = Database(url, create=False)
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    db.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'eduwatch.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Both back ends; the PostgreSQL case skips cleanly when no server is configured."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'eduwatch.db'}"
    if not PG_URL:
        pytest.skip("EDUWATCH_TEST_DATABASE_URL is not set")
    _reset_postgres(PG_URL)
    return PG_URL


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(sqlite_url: str) -> Iterator[Database]:
    database = Database(sqlite_url)
    yield database
    database.dispose()
