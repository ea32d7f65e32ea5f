"""Backups and restores (``rmo_data.store.backup``) on real stores of the run's backend.

Every test runs on SQLite files, and in the PostgreSQL run on databases of the
test server, so the same file format is proved on both (and, in the PostgreSQL
run, between them: ``test_a_backup_moves_between_a_sqlite_file_and_the_runs_backend``).
A restored store is compared with its source row for row (every table), and
must pass what the app checks at start (``store_status``, ``ensure_store``) plus
Alembic's comparison with ``schema.py``.  Each refusal is checked to leave the
target store exactly as it was: the same rows, and on SQLite the same file
bytes and no file added beside it; on PostgreSQL the same tables (by oid).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, select

from rmo_data.ingest.build import ensure_store
from rmo_data.store import backup as store_backup
from rmo_data.store import migrate, scenarios, schema
from rmo_data.store.backup import BackupError, backup, read_manifest, restore
from rmo_data.store.engine import BUSY_WAIT_ENV, make_engine, sqlite_path, store_status
from rmo_data.store.export import store_export
from tests.conftest import Stores
from tests.userrows import add_user_rows, kept, user_rows

Contents = dict[str, list[tuple[tuple[str, Any], ...]]]

# A second process that takes SQLite's exclusive lock (rollback-journal mode) and keeps it until stdin closes.
SQLITE_HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode=DELETE")
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""

NEWER_REVISION = '''"""Test revision: a column a later version of the app might add."""
import sqlalchemy as sa
from alembic import op

revision = "9001"
down_revision = "HEAD"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scenario") as batch:
        batch.add_column(sa.Column("colour", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scenario") as batch:
        batch.drop_column("colour")
'''


# --- what a store holds ------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    """A value as both backends can be compared on: times as aware UTC (SQLite keeps them zone-less, in UTC)."""
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    return value


def contents(url: str) -> Contents:
    """Every row of every table of the store (``alembic_version`` included), in an order of its own.

    The data version is left out: a restore bumps it on purpose, so that every app server
    reads the restored store afresh (``test_a_restore_moves_every_data_version``).
    """
    engine = make_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            return {name: sorted((tuple(sorted((k, _plain(v)) for k, v in row.items()))
                                  for row in conn.execute(select(table)).mappings()), key=repr)
                    for name, table in meta.tables.items() if name != schema.data_version.name}
    finally:
        engine.dispose()


def footprint(url: str) -> dict[str, Any]:
    """What must not move when a restore is refused: the file and its neighbours, or the tables' oids."""
    path = sqlite_path(url)
    if path is not None:
        neighbours = sorted(p.name for p in path.parent.iterdir()
                            if not p.name.endswith(("-wal", "-shm", "-journal")))  # SQLite's own side files
        return {"sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "files": neighbours}
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return dict(conn.exec_driver_sql(
                "SELECT relname, oid::bigint FROM pg_class WHERE relkind = 'r' "
                "AND relnamespace = 'public'::regnamespace").all())
    finally:
        engine.dispose()


def assert_usable(url: str) -> None:
    """The checks a built store passes: the app's start-up ones, the head revision, the schema itself."""
    assert store_status(url) == "ok"
    assert ensure_store(url) == "ok"  # what the app runs at start (migrate.ensure_current included)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert migrate.current_revision(conn) == migrate.head_revision()
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, schema.metadata) == []
    finally:
        engine.dispose()


class Untouched:
    """A store that refusals must leave as it was: its rows, and its file or tables, read once up front."""

    def __init__(self, url: str) -> None:
        self.url, self.rows, self.around = url, contents(url), footprint(url)

    def refuse(self, file: Path, words: str, bad_input: bool = True) -> BackupError:
        """Restore ``file``: refused with ``words`` in the message, and the file or tables not touched."""
        with pytest.raises(BackupError) as caught:
            restore(self.url, file)
        assert words in str(caught.value), str(caught.value)
        assert caught.value.bad_input is bad_input
        assert footprint(self.url) == self.around
        return caught.value

    def check(self) -> None:
        """Every row is as it was (read once, after all the refusals of a test)."""
        assert contents(self.url) == self.rows


def assert_refused(url: str, file: Path, words: str, bad_input: bool = True) -> BackupError:
    """Restore ``file`` into ``url``: refused with ``words`` in the message, the store left as it was."""
    store = Untouched(url)
    err = store.refuse(file, words, bad_input)
    store.check()
    return err


def rewrite(source: Path, target: Path, edit: Callable[[dict[str, Any], dict[str, list[list[Any]]]], None],
            fix_checksums: bool = True, then: Callable[[dict[str, Any]], None] | None = None) -> Path:
    """Write a copy of a backup with ``edit`` applied to its manifest and rows.

    The row counts and checksums are made to match the edited rows unless
    ``fix_checksums`` is False; ``then`` may change the manifest after that.
    """
    with zipfile.ZipFile(source) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        rows = {name: [json.loads(line) for line in archive.read(info["file"]).splitlines()]
                for name, info in manifest["tables"].items()}
    edit(manifest, rows)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, info in manifest["tables"].items():
            data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows[name]).encode()
            if fix_checksums:
                info["rows"], info["sha256"] = len(rows[name]), hashlib.sha256(data).hexdigest()
            archive.writestr(info["file"], data)
        if then is not None:
            then(manifest)
        archive.writestr("manifest.json", json.dumps(manifest))
    return target


def max_id(url: str, table: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            t = schema.metadata.tables[table]
            return int(conn.execute(select(t.c.id).order_by(t.c.id.desc())).scalars().first() or 0)
    finally:
        engine.dispose()


# --- fixtures ----------------------------------------------------------------------------------

@pytest.fixture()
def blank_url(stores: Stores) -> Iterator[str]:
    """A new store with nothing in it, to restore into."""
    url = stores.blank("restored")
    yield url
    stores.discard(url)


@pytest.fixture()
def target_url(stores: Stores, built_template: str) -> Iterator[str]:
    """A second private copy of the built store, with user rows: the store refusals must leave alone."""
    url = stores.copy(built_template, "target")
    add_user_rows(url)
    yield url
    stores.discard(url)


@pytest.fixture()
def saved(store_copy_url: str, tmp_path: Path) -> tuple[str, Path]:
    """A copy of the built store with a row in every user table, and a backup of it."""
    add_user_rows(store_copy_url)
    file = tmp_path / "saved.zip"
    backup(store_copy_url, file)
    return store_copy_url, file


# --- round trips -------------------------------------------------------------------------------

def test_a_restore_brings_back_every_row_of_every_table(store_copy_url: str, blank_url: str,
                                                      tmp_path: Path) -> None:
    users = add_user_rows(store_copy_url)  # plan item, scenario, workshop and submission, change set, audit
    before = contents(store_copy_url)
    made = backup(store_copy_url, tmp_path / "b.zip")
    assert (tmp_path / "b.zip").stat().st_mode & 0o777 == 0o600
    # Every table of schema.py is in the file, with the store's own counts.
    assert set(made.manifest["tables"]) == set(schema.metadata.tables)
    assert {n: t["rows"] for n, t in made.manifest["tables"].items()} == {
        n: len(rows) for n, rows in before.items() if n != migrate.VERSION_TABLE} | {
        schema.data_version.name: made.manifest["tables"][schema.data_version.name]["rows"]}
    assert made.manifest["schema_revision"] == migrate.head_revision()
    done = restore(blank_url, tmp_path / "b.zip")
    assert done.revision == migrate.head_revision() and done.kept is None
    assert contents(blank_url) == before
    assert user_rows(blank_url) == users
    assert_usable(blank_url)


def test_a_restore_over_a_changed_store_puts_back_the_moment_of_the_backup(
        saved: tuple[str, Path]) -> None:
    url, file = saved
    before = contents(url)
    scenarios.save_scenario("Made after the backup", {"severity": 3}, engine=(engine := make_engine(url)))
    engine.dispose()
    assert contents(url) != before
    done = restore(url, file)
    assert contents(url) == before
    assert_usable(url)
    if sqlite_path(url) is not None:  # the replaced file is kept beside it, holding the later row
        assert done.kept is not None and done.kept.exists()
        assert any(n == "Made after the backup" for n in
                   (r["name"] for r in user_rows(f"sqlite:///{done.kept}")["scenario"]))
        assert not list(done.kept.parent.glob("*.restore.tmp*"))


def test_new_rows_after_a_restore_take_the_next_ids(saved: tuple[str, Path], blank_url: str) -> None:
    """On PostgreSQL the id sequences continue after the restored ids (else the next insert collides)."""
    url, file = saved
    restore(blank_url, file)
    tops = {t: max_id(blank_url, t) for t in ("scenario", "audit_log")}
    assert all(tops.values())
    engine = make_engine(blank_url)
    try:
        new_id = scenarios.save_scenario("After the restore", {"severity": 4}, engine=engine)
    finally:
        engine.dispose()
    assert new_id == tops["scenario"] + 1
    assert max_id(blank_url, "audit_log") == tops["audit_log"] + 1


def test_a_backup_holds_one_moment_while_another_connection_writes(store_copy_url: str, blank_url: str,
                                                                  tmp_path: Path) -> None:
    """A scenario (and its audit row) committed while the backup is half-way is not in it."""
    add_user_rows(store_copy_url)
    before = contents(store_copy_url)
    writer = make_engine(store_copy_url)
    steps: list[str] = []

    def write_midway(step: str, _fraction: float) -> None:
        steps.append(step)
        if step == "Saved audit_log":  # tables are still to come, scenario among them
            scenarios.save_scenario("Written during the backup", {"severity": 5}, engine=writer)

    try:
        backup(store_copy_url, tmp_path / "b.zip", progress=write_midway)
    finally:
        writer.dispose()
    assert "Saved audit_log" in steps and steps.index("Saved audit_log") < steps.index("Saved scenario")
    assert contents(store_copy_url) != before  # the write did land in the store
    restore(blank_url, tmp_path / "b.zip")
    assert contents(blank_url) == before


def test_a_backup_taken_under_a_stream_of_writes_is_consistent(store_copy_url: str, blank_url: str,
                                                               tmp_path: Path) -> None:
    """A writer keeps saving scenarios (each with its audit row, in one transaction) during the backup."""
    written: list[int] = []
    marks: list[int] = []  # how many rows were committed when the backup was half-way
    stop, progressed = threading.Event(), threading.Condition()
    failures: list[BaseException] = []

    def keep_writing() -> None:
        engine = make_engine(store_copy_url)
        try:
            while not stop.is_set():
                new = scenarios.save_scenario(f"Stream {len(written)}", {"severity": 2}, actor="Stream writer",
                                              engine=engine)
                with progressed:
                    written.append(new)
                    progressed.notify_all()
        except BaseException as err:  # noqa: BLE001 - reported by the test below
            failures.append(err)
        finally:
            engine.dispose()

    def wait_for(count: int) -> None:
        with progressed:
            assert progressed.wait_for(lambda: len(written) >= count or failures, timeout=60), "writer stalled"

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        wait_for(3)  # rows committed before the backup starts: they must be in it

        def halfway(step: str, _fraction: float) -> None:
            # After the snapshot was taken the backup waits for two more commits: they must not be in it.
            if step == "Saved audit_log":
                marks.append(len(written))
                wait_for(marks[0] + 2)

        backup(store_copy_url, tmp_path / "b.zip", progress=halfway)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not failures, failures
    restore(blank_url, tmp_path / "b.zip")
    rows = user_rows(blank_url)
    streamed = {r["id"] for r in rows["scenario"] if r["name"].startswith("Stream ")}
    audited = {int(r["row_key"]) for r in rows["audit_log"] if r["actor"] == "Stream writer"}
    assert streamed == audited  # never a scenario without its audit row, nor the other way round
    # At the mark one saved row may be committed yet not listed; every later one was committed after it.
    assert set(written[:3]) <= streamed <= set(written[:marks[0] + 1])


def test_a_backup_moves_between_a_sqlite_file_and_the_runs_backend(store_copy_url: str, blank_url: str,
                                                                  tmp_path: Path) -> None:
    """Run's backend → SQLite file → run's backend (PostgreSQL → SQLite → PostgreSQL in the PostgreSQL run)."""
    add_user_rows(store_copy_url)
    backup(store_copy_url, tmp_path / "first.zip")
    moved = f"sqlite:///{tmp_path / 'moved' / 'rmo.sqlite'}"
    (tmp_path / "moved").mkdir()
    restore(moved, tmp_path / "first.zip")
    assert contents(moved) == contents(store_copy_url)
    assert_usable(moved)
    engine = make_engine(moved)
    try:  # a row made on the SQLite side travels back too
        scenarios.save_scenario("Made in the SQLite copy", {"severity": 1}, engine=engine)
    finally:
        engine.dispose()
    second = backup(moved, tmp_path / "second.zip")
    assert second.manifest["source_dialect"] == "sqlite"
    restore(blank_url, tmp_path / "second.zip")
    assert contents(blank_url) == contents(moved)
    assert_usable(blank_url)
    top = max_id(blank_url, "scenario")
    engine = make_engine(blank_url)
    try:
        assert scenarios.save_scenario("Back on the backend", {"severity": 1}, engine=engine) == top + 1
    finally:
        engine.dispose()


def test_the_same_store_gives_the_same_table_files(saved: tuple[str, Path], tmp_path: Path) -> None:
    url, first = saved
    backup(url, tmp_path / "again.zip")
    with zipfile.ZipFile(first) as a, zipfile.ZipFile(tmp_path / "again.zip") as b:
        tables = [n for n in a.namelist() if n.startswith("tables/")]
        assert tables == [n for n in b.namelist() if n.startswith("tables/")]
        assert all(a.read(n) == b.read(n) for n in tables)


# --- older and newer schema revisions ----------------------------------------------------------

@pytest.mark.parametrize("older", ["0004", "before-migrations"])
def test_a_backup_from_an_older_revision_is_restored_and_brought_up_to_date(
        older: str, store_copy_url: str, blank_url: str, tmp_path: Path) -> None:
    if older == "before-migrations":  # a store made before Alembic: the baseline's tables, no version table
        command.downgrade(migrate.alembic_config(store_copy_url), migrate.BASELINE)
        users = add_user_rows(store_copy_url)
        engine = make_engine(store_copy_url)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE {migrate.VERSION_TABLE}")
        engine.dispose()
        revision = migrate.BASELINE
    else:
        users = add_user_rows(store_copy_url)
        command.downgrade(migrate.alembic_config(store_copy_url), older)
        revision = older
    old = contents(store_copy_url)
    made = backup(store_copy_url, tmp_path / "old.zip")
    assert made.manifest["schema_revision"] == revision
    assert "confidence" not in {c["name"] for c in made.manifest["tables"]["risk_evidence"]["columns"]}
    assert contents(store_copy_url) == old  # a backup changes nothing, not even the revision
    done = restore(blank_url, tmp_path / "old.zip")
    assert done.revision == migrate.head_revision()
    assert kept(user_rows(blank_url), users) == users
    restored = contents(blank_url)
    assert len(restored["risk_evidence"]) == len(old["risk_evidence"])
    assert_usable(blank_url)


def test_a_backup_from_a_newer_version_is_refused(saved: tuple[str, Path], target_url: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    url, _file = saved
    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9001_newer.py").write_text(
        NEWER_REVISION.replace('"HEAD"', repr(migrate.head_revision())), encoding="utf-8")
    with monkeypatch.context() as newer:  # the app of a later version, with one more revision
        newer.setattr(migrate, "MIGRATIONS_DIR", scripts)
        migrate.upgrade(url)
        made = backup(url, tmp_path / "newer.zip")
    assert made.manifest["schema_revision"] == "9001"
    err = assert_refused(target_url, tmp_path / "newer.zip", "comes from a newer version of the app")
    assert "9001" in str(err) and migrate.head_revision() in str(err)
    # And this version neither backs up nor restores over a store the newer one made.
    with pytest.raises(BackupError, match="does not know"):
        backup(url, tmp_path / "refused.zip")
    assert not (tmp_path / "refused.zip").exists()
    before = contents(url)
    with pytest.raises(BackupError, match="newer version"):
        restore(url, _file)
    assert contents(url) == before


def test_a_newer_file_format_is_refused(saved: tuple[str, Path], target_url: str, tmp_path: Path) -> None:
    _url, file = saved
    newer = rewrite(file, tmp_path / "format2.zip", lambda m, _rows: m.update(format_version=2))
    assert_refused(target_url, newer, "newer backup format")


# --- files that are not whole backups ----------------------------------------------------------

def test_a_file_cut_short_is_refused(saved: tuple[str, Path], target_url: str, tmp_path: Path) -> None:
    _url, file = saved
    data = file.read_bytes()
    store = Untouched(target_url)
    # Half of it, all but its last byte, most of it, and only the start of its first entry.
    for size in (len(data) // 2, len(data) - 1, len(data) * 98 // 100, 30):
        cut = tmp_path / f"cut-{size}.zip"
        cut.write_bytes(data[:size])
        store.refuse(cut, "incomplete or damaged")
    store.check()


def test_a_file_altered_inside_is_refused(saved: tuple[str, Path], target_url: str, tmp_path: Path) -> None:
    _url, file = saved
    # A flipped byte in the middle of a table's compressed data.
    with zipfile.ZipFile(file) as archive:
        info = archive.getinfo("tables/risk_evidence.jsonl")
    data = bytearray(file.read_bytes())
    data[info.header_offset + 30 + len(info.filename) + info.compress_size // 2] ^= 0xFF
    (flipped := tmp_path / "flipped.zip").write_bytes(bytes(data))
    store = Untouched(target_url)
    store.refuse(flipped, "incomplete or damaged")

    def drop_a_scenario(_manifest: dict[str, Any], rows: dict[str, list[list[Any]]]) -> None:
        rows["scenario"].pop()

    # Rows edited after the checksums were taken, or a row count that no longer matches.
    store.refuse(rewrite(file, tmp_path / "edited.zip", drop_a_scenario, fix_checksums=False),
                 "incomplete or damaged")
    store.refuse(rewrite(file, tmp_path / "counted.zip", lambda _m, _r: None,
                         then=lambda m: m["tables"]["scenario"].update(rows=7)), "incomplete or damaged")
    store.check()


def test_files_that_are_not_backups_are_refused(saved: tuple[str, Path], target_url: str,
                                                tmp_path: Path) -> None:
    url, _file = saved
    (text := tmp_path / "notes.txt").write_text("not a backup\n", encoding="utf-8")
    (empty := tmp_path / "empty.zip").write_bytes(b"")
    with zipfile.ZipFile(other := tmp_path / "other.zip", "w") as archive:
        archive.writestr("readme.txt", "a zip, but not a backup")
    engine = make_engine(url)
    try:
        (export := tmp_path / "export.zip").write_bytes(store_export(engine)[0])
    finally:
        engine.dispose()
    sqlite_file = tmp_path / "store.sqlite"
    restore(f"sqlite:///{sqlite_file}", _file)
    store = Untouched(target_url)
    for file in (text, empty, other, sqlite_file):
        store.refuse(file, "is not a backup made by python -m rmo_data backup")
    store.refuse(export, "is a store export")
    store.refuse(tmp_path / "absent.zip", "there is no file")
    store.refuse(tmp_path, "is a folder")
    store.check()
    with pytest.raises(BackupError, match="is not a backup"):
        read_manifest(text)


# --- a restore that fails half-way -------------------------------------------------------------

def test_a_restore_that_fails_half_way_leaves_the_store_as_it_was(saved: tuple[str, Path], target_url: str,
                                                                 tmp_path: Path) -> None:
    """Files whose checksums hold but whose rows the database refuses, after many tables were written."""
    _url, file = saved

    def orphan_submission(manifest: dict[str, Any], rows: dict[str, list[list[Any]]]) -> None:
        columns = [c["name"] for c in manifest["tables"]["participant_weights"]["columns"]]
        rows["participant_weights"][0][columns.index("workshop_id")] = 999_999  # no such workshop

    def twin_scenario(_manifest: dict[str, Any], rows: dict[str, list[list[Any]]]) -> None:
        rows["scenario"].append(list(rows["scenario"][0]))  # the same id (and name) twice

    orphan = rewrite(file, tmp_path / "orphan.zip", orphan_submission)
    twin = rewrite(file, tmp_path / "twin.zip", twin_scenario)
    read_manifest(orphan), read_manifest(twin)  # as files they are whole
    store = Untouched(target_url)
    store.refuse(orphan, "do not fit together")
    store.refuse(twin, "do not fit together")
    store.check()
    assert_usable(target_url)
    path = sqlite_path(target_url)
    if path is not None:  # the half-written file beside the store is gone
        assert not list(path.parent.glob("*.tmp*"))


@pytest.mark.sqlite_only(reason="damages the store's file on purpose")
def test_a_damaged_sqlite_store_can_be_restored_over_and_is_kept(saved: tuple[str, Path]) -> None:
    url, file = saved
    before = contents(url)
    path = sqlite_path(url)
    assert path is not None
    with open(path, "r+b") as handle:  # garbage over pages in the middle of the file
        handle.seek(path.stat().st_size // 2)
        handle.write(b"\xa5" * 16384)
    assert store_status(url) == "corrupt"
    done = restore(url, file)
    assert contents(url) == before
    assert_usable(url)
    assert done.kept is not None and store_status(f"sqlite:///{done.kept}") == "corrupt"


def test_a_store_held_by_another_program_is_refused_and_left_alone(
        saved: tuple[str, Path], target_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite: another process holds the file's exclusive lock.  PostgreSQL: another session holds a
    lock on a table the restore must drop, past the restore's wait, after it dropped others."""
    _url, file = saved
    path = sqlite_path(target_url)
    if path is None:
        monkeypatch.setattr(store_backup, "PG_LOCK_SECONDS", 1)
        store = Untouched(target_url)
        holder = make_engine(target_url)
        try:
            with holder.connect() as conn, conn.begin():
                conn.execute(select(schema.scenario.c.id)).all()  # holds its lock until the transaction ends
                store.refuse(file, "kept the store's tables locked for over 1 seconds", bad_input=False)
        finally:
            holder.dispose()
        store.check()
        return
    monkeypatch.setenv(BUSY_WAIT_ENV, "0.5")
    store = Untouched(target_url)
    holder = subprocess.Popen([sys.executable, "-c", SQLITE_HOLDER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        store.around = footprint(target_url)  # the file as the holder left it (its journal mode changed)
        store.refuse(file, "the data store is busy", bad_input=False)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    store.check()


def test_a_restore_moves_every_data_version(saved: tuple[str, Path], target_url: str) -> None:
    """App servers key their caches on the data version: after a restore each scope has moved on."""
    from rmo_data.store import data_version

    _source, file = saved

    def versions() -> dict[str, data_version.Version]:
        engine = make_engine(target_url)  # a new engine: a restored SQLite store is a new file
        try:
            return data_version.read(engine)
        finally:
            engine.dispose()

    before = versions()
    restore(target_url, file)
    after = versions()
    assert all(after[s] != before[s] and after[s] != data_version.NONE for s in data_version.SCOPES)
