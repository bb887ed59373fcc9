"""Alembic environment: runs against the connection eduwatch hands in (see storage.database)."""

from alembic import context

from storage.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # the `alembic` command line: build an engine from the ini's URL
    from storage.database import make_engine

    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    connection = engine.connect()

from storage.search.schema import include_name  # noqa: E402 — the FTS5 tables are not in the metadata

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True, include_name=include_name)
with context.begin_transaction():
    context.run_migrations()
