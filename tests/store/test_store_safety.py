"""Nothing lost: a locked, damaged or unwritable store never costs the user's rows.

- A store held locked by a real second process (``BEGIN EXCLUSIVE`` on a file in
  rollback-journal mode, as a backup tool or a command-line session would) is
  reported as busy, with a "Try again" button and no rebuild; every user row is
  still there when the lock ends and the page then works.
- A rebuild keeps the previous file beside the store under a time-stamped name
  and carries its user rows over; a damaged file gives up the user rows SQLite
  can still read.
- Store files are owner-only (0600), kept copies too.
- A build that cannot write (the file-size limit makes every write fail, as a
  full disk does) prints one plain line, leaves no temporary file and keeps
  the previous store.
- ``python -m rmo_data users add NAME --file F`` works with ``--file`` after the action.
- A store on a read-only mount and a PostgreSQL server nobody answers on are
  named as such (not "damaged"), with no rebuild and no path or password shown.
"""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rmo_data import constants
from rmo_data.ingest.build import build
from rmo_data.store.engine import BUSY_WAIT_ENV, store_status
from scripts.live_server import free_port
from tests.apptest import app_for, no_exception
from tests.store.test_faults import _copy_store, snapshot
from tests.userrows import add_user_rows, user_rows

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.sqlite_only(reason="file locks, file modes and damaged pages are SQLite's")

# Held open by a second process: takes SQLite's exclusive lock and keeps it until stdin closes.
HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode=DELETE")
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""


@pytest.fixture()
def store_with_user_rows(built_db: Path, tmp_path: Path) -> tuple[Path, dict]:
    """A private copy of the built store with a row in every user table."""
    path = tmp_path / "rmo.sqlite"
    url = _copy_store(built_db, path)
    return path, add_user_rows(url)


def test_a_locked_store_is_busy_never_damaged_and_loses_nothing(
        store_with_user_rows: tuple[Path, dict], monkeypatch: pytest.MonkeyPatch) -> None:
    path, before = store_with_user_rows
    url = f"sqlite:///{path}"
    monkeypatch.setenv(BUSY_WAIT_ENV, "0.5")  # the page says "busy" after half a second, not 5 s
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        assert store_status(url) == "busy"
        at = no_exception(app_for(url, monkeypatch).run())
        assert any("busy" in w.value for w in at.warning)
        assert not at.error  # not called damaged
        assert [b.key for b in at.button] == ["store_retry"]  # a retry, and no rebuild for anyone
        assert not at.title  # the page stopped before reading
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    assert user_rows(url) == before
    at.button(key="store_retry").click()
    at = no_exception(at.run())
    assert at.title[0].value == "Overview"
    assert user_rows(url) == before


def test_a_rebuild_keeps_the_old_file_and_carries_user_rows(store_with_user_rows: tuple[Path, dict]) -> None:
    path, before = store_with_user_rows
    old_bytes_size = path.stat().st_size
    report = build(f"sqlite:///{path}")
    assert report.kept is not None and report.kept.exists()
    assert report.kept.name.startswith("rmo.sqlite.") and report.kept.name.endswith(".bak")
    assert report.kept.stat().st_size >= old_bytes_size // 2
    assert user_rows(f"sqlite:///{report.kept}") == before  # the kept copy is a whole store
    assert user_rows(f"sqlite:///{path}") == before
    assert report.recovered is None
    for file in (path, report.kept):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600


def _pages_of(path: Path, table: str) -> list[int]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT pageno FROM dbstat WHERE name = ? ORDER BY pageno", (table,))]
    finally:
        conn.close()


def test_a_damaged_store_gives_up_the_user_rows_sqlite_can_read(store_with_user_rows: tuple[Path, dict]) -> None:
    path, before = store_with_user_rows
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=DELETE")  # everything in the main file
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    # Damage the pages of a reference table: the user tables' pages stay readable.
    data = bytearray(path.read_bytes())
    for page in _pages_of(path, "production")[1:40]:
        start = (page - 1) * page_size
        data[start:start + page_size] = os.urandom(page_size)
    path.write_bytes(bytes(data))
    url = f"sqlite:///{path}"
    assert store_status(url) == "corrupt"
    damaged = path.read_bytes()  # as the check left it (opening it may switch its journal mode)
    report = build(url)
    assert report.recovered == sum(len(rows) for rows in before.values())
    assert user_rows(url) == before
    assert report.kept is not None and report.kept.read_bytes() == damaged
    assert snapshot(path)["material"] == len(constants.MATERIAL_SLUGS)


@pytest.mark.slow
def test_a_build_that_cannot_write_says_so_and_leaves_nothing_behind(built_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "rmo.sqlite"
    _copy_store(built_db, path)
    before = snapshot(path)

    def small_files() -> None:  # every write past 600 kB fails with EFBIG, as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (600_000, 600_000))

    result = subprocess.run([sys.executable, "-m", "rmo_data", "build", "--url", f"sqlite:///{path}"],
                            cwd=ROOT, preexec_fn=small_files, capture_output=True, text=True, timeout=300)
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Build stopped because") and "left as it was" in last
    assert str(tmp_path) not in last
    assert not [p.name for p in tmp_path.iterdir() if ".tmp" in p.name or ".bak" in p.name]
    assert snapshot(path) == before and store_status(f"sqlite:///{path}") == "ok"


def test_users_file_option_after_the_action(tmp_path: Path) -> None:
    users = tmp_path / "users.toml"
    add = subprocess.run([sys.executable, "-m", "rmo_data", "users", "add", "zed", "--role", "partner",
                          "--password-stdin", "--file", str(users)], cwd=ROOT, input="a-long-password-1\n",
                         capture_output=True, text=True, timeout=120)
    assert add.returncode == 0, add.stderr
    listed = subprocess.run([sys.executable, "-m", "rmo_data", "users", "list", "--file", str(users)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert listed.stdout.startswith("zed\tpartner")
    assert stat.S_IMODE(users.stat().st_mode) == 0o600
    lock = users.with_name(users.name + ".lock")  # the lock file beside it, too
    assert lock.exists() and stat.S_IMODE(lock.stat().st_mode) == 0o600


def _messages(at: AppTest) -> str:
    return " ".join(m.value for m in [*at.error, *at.warning, *at.info, *at.caption, *at.markdown])


def test_an_unreachable_server_is_named_so_with_no_rebuild_and_no_password(monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"postgresql+psycopg://rmo:s3cret-pw@127.0.0.1:{free_port()}/rmo"  # nothing listens there
    assert store_status(url) == "unreachable"
    at = no_exception(app_for(url, monkeypatch).run())
    assert any("cannot be reached" in w.value for w in at.warning)
    assert [b.key for b in at.button] == ["store_retry"]
    assert "s3cret-pw" not in _messages(at) and "127.0.0.1" not in _messages(at)


@pytest.fixture()
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs mounted read-only (root can write to any file, so only a read-only mount shows it)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(folder)],
                      capture_output=True).returncode != 0:
        pytest.skip("this machine does not let the tests mount a file system (needs root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def test_a_read_only_store_is_named_so_not_damaged(built_db: Path, read_only_folder: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = read_only_folder / "rmo.sqlite"
    _copy_store(built_db, path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    subprocess.run(["mount", "-o", "remount,ro", str(read_only_folder)], check=True)
    url = f"sqlite:///{path}"
    assert store_status(url) == "read_only"
    at = no_exception(app_for(url, monkeypatch).run())
    assert any("read-only" in w.value for w in at.warning)
    assert [b.key for b in at.button] == ["store_retry"]
    assert str(read_only_folder) not in _messages(at)


@pytest.mark.parametrize("url", ["not a database address", "mysql://rmo:s3cret-pw@127.0.0.1/rmo",
                                 "postgresql+nosuchdriver://rmo:s3cret-pw@127.0.0.1/rmo"])
def test_an_address_the_app_cannot_use_is_named_so_with_no_password(url: str,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    assert store_status(url) == "bad_url"
    at = no_exception(app_for(url, monkeypatch).run())
    assert any("database address it cannot use" in w.value for w in at.warning)
    assert not at.error and "s3cret-pw" not in _messages(at) and "127.0.0.1" not in _messages(at)
    # The command line says the same in one sentence, exit status 2, no traceback.
    done = subprocess.run([sys.executable, "-m", "rmo_data", "build", "--url", url], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr and "s3cret-pw" not in done.stderr
    assert "not a database URL" in done.stderr and "Nothing was changed" in done.stderr


def test_a_store_from_a_newer_version_of_the_app_is_refused_and_left_alone(
        built_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "rmo.sqlite"
    url = _copy_store(built_db, path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")  # a revision this app does not know
    conn.close()
    before = snapshot(path)
    at = no_exception(app_for(url, monkeypatch).run())
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "not those of a known version of this app" in errors[0], errors
    assert "nothing was changed" in errors[0] and str(tmp_path) not in errors[0]
    assert snapshot(path) == before
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("9999",)]
    finally:
        conn.close()
