"""Alembic environment for the store: the same migrations on SQLite and PostgreSQL.

The URL is the app's own (``rmo_data.store.engine.database_url``: ``RMO_DATABASE_URL`` or
the default SQLite file) unless the caller hands one in.  ``rmo_data.store.migrate``
passes an open connection in ``config.attributes["connection"]`` so that a build
can migrate inside its own transaction; the ``alembic`` command line connects
by itself.  The target metadata is ``rmo_data.store.schema.metadata``, so
``alembic revision --autogenerate`` and ``alembic check`` compare against it.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from rmo_data.store import schema
from rmo_data.store.engine import database_url

config = context.config
target_metadata = schema.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_offline() -> None:
    """``alembic upgrade head --sql``: print the SQL instead of running it."""
    url = config.attributes.get("url") or database_url()
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the caller's connection, or on a new one to the app's URL."""
    given = config.attributes.get("connection")
    if given is not None:
        _configure(given)
        with context.begin_transaction():  # joins the caller's transaction when one is open
            context.run_migrations()
        return
    from rmo_data.store.migrate import migration_engine  # late: rmo_data.store.migrate imports alembic.command

    engine = migration_engine(config.attributes.get("url") or database_url())
    try:
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
