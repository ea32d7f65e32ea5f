"""A wrong PostgreSQL password, against a real server that asks for one (scram-sha-256).

The suite's own PostgreSQL trusts loopback, so a wrong password would go unnoticed
there.  This module starts a throw-away cluster that checks passwords
(``scripts/throwaway_pg.server(password=...)``), builds a store on it with the
right password, and then tries the app, the build and the backup commands with a
wrong one: each says one plain sentence (no traceback, no password, no address)
and the store is left exactly as it was.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from scripts import container, throwaway_pg
from tests.apptest import app_for, no_exception

ROOT = Path(__file__).resolve().parents[2]
RIGHT = "right-Pw-4821"
WRONG = "wrong-Pw-9377"


@pytest.fixture(scope="module")
def password_server() -> Iterator[str]:
    """The URL (right password) of a built store on a cluster that checks passwords."""
    try:
        server = throwaway_pg.server(database="rmo_pw", password=RIGHT)
        url = server.__enter__()
    except throwaway_pg.PgUnavailable as err:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is needed for this test under CI: {err}")
        pytest.skip(f"PostgreSQL cannot be started here: {err}")
    try:
        built = _cli("build", "--url", url)
        assert built.returncode == 0, built.stderr
        yield url
    finally:
        server.__exit__(None, None, None)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rmo_data", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def _wrong(url: str) -> str:
    return make_url(url).set(password=WRONG).render_as_string(hide_password=False)


def _snapshot(url: str) -> tuple[object, ...]:
    """What a wrong-password attempt must not change: build facts, row counts, data versions."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return (tuple(conn.execute(text("SELECT * FROM build_info ORDER BY 1")).all()),
                    conn.execute(text("SELECT COUNT(*) FROM material")).scalar_one(),
                    conn.execute(text("SELECT COUNT(*) FROM risk_evidence")).scalar_one(),
                    tuple(conn.execute(text("SELECT * FROM data_version ORDER BY 1")).all()))
    finally:
        engine.dispose()


def _plain(message: str) -> None:
    assert message.strip(), "nothing was said"
    assert "Traceback" not in message and "psycopg" not in message and "Error" not in message
    assert WRONG not in message and RIGHT not in message and "127.0.0.1" not in message


def test_the_server_really_checks_passwords(password_server: str) -> None:
    # The control: without it, every test below could pass on a server that lets anyone in.
    engine = create_engine(_wrong(password_server), connect_args={"connect_timeout": 5})
    try:
        with pytest.raises(Exception, match="password authentication failed"):
            with engine.connect():
                pass
    finally:
        engine.dispose()


def test_the_build_with_a_wrong_password_says_so_plainly_and_changes_nothing(password_server: str) -> None:
    before = _snapshot(password_server)
    done = _cli("build", "--url", _wrong(password_server))
    assert done.returncode in {2, 3}
    _plain(done.stderr + done.stdout)
    assert "password" in done.stderr  # says what to check, without showing it
    assert _snapshot(password_server) == before


def test_backup_and_restore_with_a_wrong_password_say_so_plainly(password_server: str, tmp_path: Path) -> None:
    before = _snapshot(password_server)
    backup = tmp_path / "store.zip"
    made = _cli("backup", "--url", _wrong(password_server), str(backup))
    assert made.returncode in {2, 3} and not backup.exists()
    _plain(made.stderr + made.stdout)
    good = _cli("backup", "--url", password_server, str(backup))
    assert good.returncode == 0, good.stderr
    restored = _cli("restore", "--url", _wrong(password_server), str(backup))
    assert restored.returncode in {2, 3}
    _plain(restored.stderr + restored.stdout)
    assert "password" in made.stderr and "password" in restored.stderr
    assert _snapshot(password_server) == before


def test_the_app_with_a_wrong_password_says_so_plainly_with_no_rebuild(password_server: str,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    before = _snapshot(password_server)
    at = no_exception(app_for(_wrong(password_server), monkeypatch).run())
    said = " ".join(m.value for m in [*at.error, *at.warning, *at.info, *at.caption, *at.markdown])
    assert any("turned the app's sign-in down" in w.value and "password" in w.value for w in at.warning)
    assert [b.key for b in at.button] == ["store_retry"]  # no rebuild offered: the data is fine
    _plain(said)
    assert _snapshot(password_server) == before


def test_the_container_start_stops_at_once_on_a_wrong_password_file(password_server: str, tmp_path: Path) -> None:
    # A wrong password stays wrong: the start must say so rather than wait out RMO_PREPARE_WAIT_S
    # as it does for a server that is still starting (then it would say "not reachable after 600 s").
    secret = tmp_path / "db_password"
    secret.write_text(WRONG + "\n")
    before = _snapshot(password_server)
    env = container.secret_env({container.DATABASE_ENV: password_server.replace(f":{RIGHT}@", "@"),
                                  container.PASSWORD_FILE_ENV: str(secret), container.WAIT_ENV: "600"})
    with pytest.raises(container.SetupError) as refused:
        container.prepare_store(env)
    said = str(refused.value)  # the operator's log: the address is shown, its password masked
    assert "Traceback" not in said and WRONG not in said and RIGHT not in said
    assert "password" in said and "after 600" not in said
    assert _snapshot(password_server) == before
