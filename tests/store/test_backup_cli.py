"""``python -m rmo_data backup`` and ``restore``: what they print, their exit status, what they never show.

Successes and two refusals run as real processes (so a traceback or a stray
line on stderr would be seen as a user sees it); the table of bad inputs runs
through ``main(argv)`` in this process, which prints the same.  Every bad input
gives one sentence on stderr, status 2 (the file or address given is at fault)
or 3 (the store or server is), never a traceback, never the password of a URL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from sqlalchemy.engine import make_url

from rmo_data.__main__ import main
from rmo_data.store import schema
from tests.conftest import PG_URL, Stores
from tests.store.test_backup import contents
from tests.userrows import add_user_rows

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cret-Pw"
# Nothing listens on port 1: the connection is refused at once.
SERVER_DOWN = f"postgresql+psycopg://rmo:{SECRET}@127.0.0.1:1/rmo"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rmo_data", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, env={**os.environ, **(env or {})})


def one_message(err: str) -> str:
    """The one line of stderr that is not a progress line (``[ 40%] Saved …``)."""
    lines = [line for line in err.splitlines() if not line.startswith("[")]
    assert len(lines) == 1, err
    return lines[0]


def test_backup_and_restore_from_the_command_line(store_copy_url: str, stores: Stores,
                                                   tmp_path: Path) -> None:
    add_user_rows(store_copy_url)
    file = tmp_path / "store.zip"
    # The address comes from RMO_DATABASE_URL when --url is not given, as for build.
    made = run("backup", str(file), env={"RMO_DATABASE_URL": store_copy_url})
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(f"Backed up {len(schema.metadata.tables)} tables (")
    assert all(line.startswith("[") for line in made.stderr.splitlines()), made.stderr
    with zipfile.ZipFile(file) as archive:
        assert "manifest.json" in archive.namelist()
    target = stores.blank("cli")
    try:
        done = run("restore", "--url", target, str(file))
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("Restored ") and "Traceback" not in done.stderr
        assert contents(target) == contents(store_copy_url)
    finally:
        stores.discard(target)


def test_refusals_from_a_real_process_are_one_sentence(store_copy_url: str, tmp_path: Path) -> None:
    before = contents(store_copy_url)
    (cut := tmp_path / "cut.zip").write_bytes(b"PK\x03\x04" + b"\0" * 100)
    refused = run("restore", "--url", store_copy_url, str(cut))
    assert refused.returncode == 2
    assert one_message(refused.stderr) == (f"Restore stopped; the store was left as it was: {cut} is incomplete "
                                           "or damaged (it may have been cut short while it was copied), so it "
                                           "cannot be restored.")
    down = run("backup", "--url", SERVER_DOWN, str(tmp_path / "down.zip"))
    assert down.returncode == 3
    assert one_message(down.stderr) == ("Backup not written: the database server cannot be reached or refused "
                                        "the app's connection.")
    assert SECRET not in down.stderr + down.stdout and "Traceback" not in down.stderr
    assert not (tmp_path / "down.zip").exists()
    assert contents(store_copy_url) == before


def test_bad_input_gets_one_plain_sentence_and_a_status(store_copy_url: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    add_user_rows(store_copy_url)
    good = tmp_path / "good.zip"
    assert main(["backup", "--url", store_copy_url, str(good)]) == 0
    capsys.readouterr()
    before = contents(store_copy_url)
    (text := tmp_path / "notes.txt").write_text("hello\n", encoding="utf-8")
    (cut := tmp_path / "cut.zip").write_bytes(good.read_bytes()[:-100])
    cases: list[tuple[list[str], int, str]] = [
        (["restore", "--url", store_copy_url, str(tmp_path / "absent.zip")], 2, "there is no file"),
        (["restore", "--url", store_copy_url, str(text)], 2, "is not a backup made by python -m rmo_data backup"),
        (["restore", "--url", store_copy_url, str(cut)], 2, "is incomplete or damaged"),
        (["restore", "--url", SERVER_DOWN, str(good)], 3, "the database server cannot be reached"),
        (["backup", "--url", SERVER_DOWN, str(tmp_path / "a.zip")], 3, "the database server cannot be reached"),
        (["backup", "--url", f"not a url {SECRET}", str(tmp_path / "a.zip")], 2, "is not a database URL"),
        (["backup", "--url", f"nosuchdb://rmo:{SECRET}@host/db", str(tmp_path / "a.zip")], 2,
         "names a kind of database this app has no driver for"),
        (["restore", "--url", f"postgresql+nosuchdriver://rmo:{SECRET}@host/db", str(good)], 2,
         "no driver for"),
        (["backup", "--url", "sqlite://", str(tmp_path / "a.zip")], 2, "not an in-memory one"),
        (["backup", "--url", f"sqlite:///{tmp_path / 'none.sqlite'}", str(tmp_path / "a.zip")], 2,
         "there is no store at"),
        (["backup", "--url", store_copy_url, str(good)], 2, "exists already; give another name, or add --force"),
        (["backup", "--url", store_copy_url, str(tmp_path / "no" / "folder" / "a.zip")], 2, "does not exist"),
        (["backup", "--url", store_copy_url, str(text / "a.zip")], 2, "is not a folder"),
        (["backup", "--url", store_copy_url, str(tmp_path)], 2, "is a folder"),
        (["restore", "--url", f"sqlite:///{tmp_path / 'no' / 'store.sqlite'}", str(good)], 2, "does not exist"),
    ]
    if PG_URL:  # the test server is up, but the database named is not on it
        wrong = make_url(PG_URL).set(database="no_such_database", password=SECRET)
        cases.append((["backup", "--url", wrong.render_as_string(hide_password=False), str(tmp_path / "a.zip")],
                      3, "the database server cannot be reached"))
    for argv, status, words in cases:
        assert main(argv) == status, argv
        out, err = capsys.readouterr()
        message = one_message(err)
        assert out == "" and words in message, (argv, message)
        assert message.startswith(("Backup not written: ", "Restore stopped; the store was left as it was: "))
        assert SECRET not in out + err and "Traceback" not in err
    assert not (tmp_path / "a.zip").exists() and not (tmp_path / "none.sqlite").exists()
    assert contents(store_copy_url) == before
    # --force replaces an existing backup file, whole.
    assert main(["backup", "--force", "--url", store_copy_url, str(good)]) == 0
    assert zipfile.ZipFile(good).testzip() is None
