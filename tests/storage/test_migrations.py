"""The Alembic migrations build exactly the schema the models describe, on both back ends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from alembic.script import ScriptDirectory

from storage.database import Database, alembic_config, migrate
from storage.models import Base
from storage.search.schema import include_name


def test_migrations_match_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        # The SQLite FTS5 tables of the search index live outside the metadata (storage.search.schema).
        context = MigrationContext.configure(connection, opts={"include_name": include_name})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_migrating_twice_is_harmless(db: Database) -> None:
    migrate(db.engine)
    migrate(db.engine)
    head = ScriptDirectory.from_config(alembic_config(db.engine)).get_current_head()
    with db.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head
