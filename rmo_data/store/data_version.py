"""The store's data version: one counter per kind of data, bumped in the transaction of every write.

Every app server keeps query results in memory.  To show a change made
anywhere (an editor on another server, a rebuild from the command line, a
workshop answer) at the next click, every cache key holds the version of the
data it was read from: ``read`` costs one query of a table of a few rows,
and the pages read it at most once a second (``components.cached``).

The counter is kept per scope so that a workshop answer, which changes only
workshop rows, does not throw away every server's cached reference reads.
A version is the pair (counter, time of the change): a store rebuilt from
nothing, or restored from a backup, starts its counters again, and the time
keeps those new versions apart from any a server saw before.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from sqlalchemy import Connection, Engine, insert, inspect, select, update
from sqlalchemy.exc import SQLAlchemyError

from rmo_data.store import schema

REFERENCE: Final = "reference"  # builds, editors' change sets and rollbacks
PLAN: Final = "plan"
SCENARIOS: Final = "scenario"
WORKSHOPS: Final = "workshop"
SCOPES: Final[tuple[str, ...]] = (REFERENCE, PLAN, SCENARIOS, WORKSHOPS)

# Which scope a write to a table changes; a table not named here is reference data.
TABLE_SCOPES: Final[dict[str, str]] = {
    schema.action_plan_item.name: PLAN,
    schema.scenario.name: SCENARIOS,
    schema.workshop.name: WORKSHOPS,
    schema.participant_weights.name: WORKSHOPS,
    schema.workshop_device.name: WORKSHOPS,
}

Version = tuple[int, str]  # (counter, ISO time of the change); (0, "") before any write
NONE: Final[Version] = (0, "")


def scope_of(table: str) -> str:
    """The scope a write to ``table`` bumps."""
    return TABLE_SCOPES.get(table, REFERENCE)


def bump(conn: Connection, scope: str) -> None:
    """Count one more change of ``scope`` in the caller's transaction (the row is made on first use)."""
    if scope not in SCOPES:
        raise ValueError(f"Unknown data scope {scope!r}.")
    if not _has_table(conn):
        return  # a store older than revision 0006 (written before the app migrated it): no version yet
    t = schema.data_version
    stamp = dt.datetime.now(dt.UTC)
    done = conn.execute(update(t).where(t.c.scope == scope).values(version=t.c.version + 1, changed_at=stamp))
    if done.rowcount == 0:
        conn.execute(insert(t).values(scope=scope, version=1, changed_at=stamp))


def bump_all(conn: Connection) -> None:
    """Count a change of every scope: a build, which may start the table afresh in a new file.

    So a counter never comes back to a value a server cached before (a new file's
    counters restart at 1, at a new time).
    """
    for scope in SCOPES:
        bump(conn, scope)


# Databases known to hold the table (it is never dropped): the check costs a catalog read once.
_HAVE_TABLE: set[str] = set()


def _has_table(conn: Connection) -> bool:
    key = conn.engine.url.render_as_string(hide_password=True)
    if key not in _HAVE_TABLE and inspect(conn).has_table(schema.data_version.name):
        _HAVE_TABLE.add(key)
    return key in _HAVE_TABLE


def read(engine: Engine) -> dict[str, Version]:
    """Every scope's version; ``NONE`` for a scope never written.

    A store without the table (older than revision 0006 and not yet migrated)
    reads as never written rather than failing a page.
    """
    t = schema.data_version
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(t.c.scope, t.c.version, t.c.changed_at)).all()
    except SQLAlchemyError:
        return dict.fromkeys(SCOPES, NONE)
    found = {scope: (int(version), _iso(changed)) for scope, version, changed in rows}
    return {scope: found.get(scope, NONE) for scope in SCOPES}


def _iso(value: dt.datetime | str | None) -> str:
    """One spelling of an instant: SQLite hands back naive UTC datetimes, PostgreSQL aware ones."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat()
    return str(value or "")
