"""The Alembic migrations build exactly the schema the models describe, on both back ends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from alembic.script import ScriptDirectory

from storage.database import Database, alembic_config, migrate
from storage.models import Base


def test_migrations_match_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_migrating_twice_is_harmless(db: Database) -> None:
    migrate(db.engine)
    migrate(db.engine)
    head = ScriptDirectory.from_config(alembic_config(db.engine)).get_current_head()
    with db.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head
