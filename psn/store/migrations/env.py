"""Alembic environment: psn passes its own connection in, so migrations run in-process at start-up."""

from alembic import context

from psn.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
