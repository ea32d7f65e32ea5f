"""The SQL of a rebuild: reference rows in, user rows carried over or recovered, build facts out.

``rmo_data.ingest.build`` decides what a build writes and handles the files
(the new file beside the old one, kept copies); every statement it needs runs
here, so all of the app's SQL lives in ``rmo_data.store``.  Portable SQLAlchemy
Core, except where a function says it is for SQLite files only.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Table, func, select
from sqlalchemy.exc import SQLAlchemyError

from rmo_data.store import data_version, migrate, schema
from rmo_data.store.schema import BUILD_VERSION

Progress = Callable[[str, float], None]
Records = list[dict[str, Any]]


def insert_reference_rows(conn: Connection, tables: dict[str, Records],
                          progress: Progress | None = None) -> dict[str, int]:
    """Insert every reference table's rows (in chunks) and return the row count of each."""
    counts = {}
    total = len(schema.REFERENCE_TABLES)
    for i, table in enumerate(schema.REFERENCE_TABLES, start=1):
        records = tables.get(table.name, [])
        for start in range(0, len(records), 5000):
            conn.execute(table.insert(), records[start:start + 5000])
        counts[table.name] = len(records)
        if progress is not None:  # one step per table: the step names are stable ("Wrote material")
            progress(f"Wrote {table.name}", 0.7 + 0.25 * i / total)
    return counts


def kept_table_names(names: Iterable[str]) -> list[str]:
    """Tables a build carries over rather than rebuilds: all but the reference tables.

    That is the user tables of ``schema.USER_TABLES`` and any table a later
    migration adds, so no migration has to teach the build about its table.
    """
    # The data version is not carried: a new file starts it again at a new time (data_version's docstring).
    replaced = ({t.name for t in schema.REFERENCE_TABLES} | {t.name for t in schema.STATE_TABLES}
                | {migrate.VERSION_TABLE})
    return [name for name in names if name not in replaced]


def read_user_rows(engine: Engine) -> dict[str, Records]:
    """Rows of the tables a rebuild keeps, read with the store's own (reflected) columns."""
    meta = MetaData()
    meta.reflect(engine)
    rows: dict[str, Records] = {}
    with engine.connect() as conn:
        for name in kept_table_names(t.name for t in meta.sorted_tables):
            rows[name] = [dict(r._mapping) for r in conn.execute(select(meta.tables[name]))]
    return rows


def write_user_rows(conn: Connection, rows: dict[str, Records], one_by_one: bool = False) -> int:
    """Put carried-over rows into the new store's tables (parents first), column by column.

    ``one_by_one`` (rows recovered from a damaged file) writes each row in its own
    savepoint and skips a row the new store refuses (its parent was lost, say).
    Returns the number of rows written.
    """
    meta = MetaData()
    meta.reflect(conn)
    written = 0
    for table in meta.sorted_tables:
        records = rows.get(table.name)
        if not records or table.name not in kept_table_names([table.name]):
            continue
        known = set(table.c.keys())
        clean = [{k: v for k, v in r.items() if k in known} for r in records]
        if not one_by_one:
            conn.execute(table.insert(), clean)
            written += len(clean)
            continue
        # Recovered values are SQLite's own stored values (text dates and all): written as they
        # were read, past SQLAlchemy's type conversion, which expects Python objects.
        for record in clean:
            names = list(record)
            sql = (f'INSERT INTO "{table.name}" ({", ".join(chr(34) + n + chr(34) for n in names)}) '
                   f'VALUES ({", ".join("?" for _ in names)})')
            try:
                with conn.begin_nested():
                    conn.exec_driver_sql(sql, tuple(record[n] for n in names))
                written += 1
            except SQLAlchemyError:
                continue
    return written


def recover_user_rows(path: Path) -> dict[str, Records]:
    """Read what SQLite can still read of a damaged store's user tables (read-only, row by row).

    A table that reads whole is taken whole; otherwise its rows are read one rowid
    at a time, skipping the ones on damaged pages.  Nothing is written to the file.
    """
    rows: dict[str, Records] = {}
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return rows
    conn.row_factory = sqlite3.Row
    try:
        try:
            names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        except sqlite3.Error:
            names = [t.name for t in schema.USER_TABLES]
        for name in kept_table_names(n for n in names if not n.startswith("sqlite_")):
            quoted = '"' + name.replace('"', '""') + '"'
            try:
                rows[name] = [dict(r) for r in conn.execute(f"SELECT * FROM {quoted}")]
                continue
            except sqlite3.Error:
                pass
            try:
                top = conn.execute(f"SELECT max(rowid) FROM {quoted}").fetchone()[0] or 0
            except sqlite3.Error:
                continue
            found: Records = []
            for rowid in range(1, min(int(top), 1_000_000) + 1):
                try:
                    row = conn.execute(f"SELECT * FROM {quoted} WHERE rowid = ?", (rowid,)).fetchone()
                except sqlite3.Error:
                    continue
                if row is not None:
                    found.append(dict(row))
            rows[name] = found
    finally:
        conn.close()
    return rows


def reference_counts(conn: Connection, names: Iterable[str]) -> dict[str, int]:
    """Row counts of the reference tables among ``names``."""
    wanted = set(names)
    return {table.name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for table in schema.REFERENCE_TABLES if table.name in wanted}


def write_build_info(conn: Connection, counts: dict[str, int],
                     change_sets: dict[str, Any] | None = None,
                     extra: dict[str, Any] | None = None) -> None:
    """Replace the ``build_info`` rows (version, counts, finish time, re-applied change sets, extras); bump the data version."""
    rows = [
        {"key": "version", "value": BUILD_VERSION},
        {"key": "counts", "value": json.dumps(counts, sort_keys=True)},
        {"key": "finished_at", "value": datetime.now(UTC).isoformat(timespec="seconds")},
    ]
    if change_sets and (change_sets["reapplied"] or change_sets["skipped"]):
        rows.append({"key": "change_sets", "value": json.dumps(change_sets, sort_keys=True)})
    rows += [{"key": key, "value": json.dumps(value)} for key, value in (extra or {}).items()]
    conn.execute(schema.build_info.delete())
    conn.execute(schema.build_info.insert(), rows)
    data_version.bump_all(conn)  # every server's cached reads follow the new build


def checkpoint_wal(conn: Connection) -> None:
    """Fold a SQLite file's write-ahead log into the main file (SQLite only)."""
    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def refresh_statistics(conn: Connection) -> None:
    """Fresh planner statistics, so the planner picks the right index for each filter."""
    conn.exec_driver_sql("ANALYZE")


def finish_sqlite_file(conn: Connection) -> None:
    """Statistics, then a rollback journal instead of WAL, so the new file is one self-contained file."""
    refresh_statistics(conn)
    conn.exec_driver_sql("PRAGMA journal_mode=DELETE")


def replace_reference_tables(conn: Connection, existing: Iterable[str]) -> None:
    """Drop the reference tables that exist and create them as ``schema`` declares them (the migrations' head)."""
    present = set(existing)
    for table in reversed(schema.REFERENCE_TABLES):
        if table.name in present:
            table.drop(conn)
    schema.metadata.create_all(conn, tables=list(schema.REFERENCE_TABLES))


# --- the synthetic benchmark store (rmo_data.ingest.synth) ------------------------------


def insert_rows(conn: Connection, table: Table, rows: Records, chunk: int = 5000) -> int:
    """executemany in chunks, so memory stays flat and each statement stays a sane size."""
    for start in range(0, len(rows), chunk):
        conn.execute(table.insert(), rows[start:start + chunk])
    return len(rows)


def governance_countries(conn: Connection) -> tuple[set[str], dict[str, str]]:
    """ISO3 codes that have governance rows, and every country's name by code."""
    g, c = schema.governance_indicator, schema.country
    with_wgi = {r[0] for r in conn.execute(select(g.c.iso3).distinct())}
    names = {r.iso3: r.name for r in conn.execute(select(c.c.iso3, c.c.name).order_by(c.c.iso3))}
    return with_wgi, names


def next_id(conn: Connection, table: Table) -> int:
    """One above the highest ``id`` of ``table`` (1 when empty)."""
    return int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1


def set_build_facts(conn: Connection, facts: dict[str, str]) -> None:
    """Replace the ``build_info`` rows of the given keys (others stay); bump the data version."""
    info = schema.build_info
    conn.execute(info.delete().where(info.c.key.in_(list(facts))))
    conn.execute(info.insert(), [{"key": key, "value": value} for key, value in facts.items()])
    data_version.bump_all(conn)
