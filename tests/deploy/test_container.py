"""scripts/container.py, the image's entry command: secrets from files, the store made ready, health.

The store tests run on this run's backend (SQLite files, or databases on the
PostgreSQL test server), as compose's ``init`` service runs them on
PostgreSQL.  The last test shows why a second build is harmless on
PostgreSQL even without ``init``: it waits for the first one's lock.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from rmo_data.access import accounts
from rmo_data.store.engine import make_engine, store_status
from scripts import container, live_server
from tests.conftest import Stores
from tests.signin import USERS

ROOT = Path(__file__).resolve().parents[2]
SECRET = "k" * 43  # the length `secrets.token_urlsafe(32)` gives


def _file(folder: Path, name: str, content: str) -> str:
    path = folder / name
    path.write_text(content)
    return str(path)


# --- secrets from files ------------------------------------------------------------------------

def test_secret_files_become_the_variables_the_app_reads(tmp_path: Path) -> None:
    env = {"RMO_SESSION_SECRET_FILE": _file(tmp_path, "s", SECRET + "\n"),
           "RMO_DATABASE_PASSWORD_FILE": _file(tmp_path, "p", "p@ss:w/rd 1\n"),
           "RMO_DATABASE_URL": "postgresql+psycopg://rmo@db:5432/rmo", "OTHER": "kept"}
    out = container.secret_env(env)
    assert out["RMO_SESSION_SECRET"] == SECRET and out["OTHER"] == "kept"
    url = make_url(out["RMO_DATABASE_URL"])
    # Quoted into the URL and read back whole: '@', ':', '/' and the space survive.
    assert (url.username, url.password, url.host, url.port, url.database) == ("rmo", "p@ss:w/rd 1", "db", 5432, "rmo")
    assert "RMO_SESSION_SECRET_FILE" not in out and "RMO_DATABASE_PASSWORD_FILE" not in out
    assert env["RMO_DATABASE_URL"] == "postgresql+psycopg://rmo@db:5432/rmo", "the given mapping is not changed"


def test_without_secret_files_the_environment_is_passed_on() -> None:
    env = {"RMO_DATABASE_URL": "sqlite:////var/lib/rmo/rmo.sqlite", "RMO_SESSION_SECRET": SECRET}
    assert container.secret_env(env) == env


@pytest.mark.parametrize("url", ["not a url", "oracle://rmo@db/rmo"])
def test_prepare_refuses_an_address_it_cannot_use_in_a_sentence(url: str) -> None:
    with pytest.raises(container.SetupError, match=r"is not a database address") as caught:
        container.prepare_store({"RMO_DATABASE_URL": url, "RMO_PREPARE_WAIT_S": "0"})
    assert "Traceback" not in str(caught.value)


def test_prepare_refuses_a_store_of_a_newer_version_and_leaves_it(store_copy_url: str) -> None:
    engine = make_engine(store_copy_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        engine.dispose()
    with pytest.raises(container.SetupError, match="not those of a known version"):
        container.prepare_store({"RMO_DATABASE_URL": store_copy_url})
    engine = make_engine(store_copy_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "9999"
    finally:
        engine.dispose()


@pytest.mark.parametrize(("env", "says"), [
    ({"RMO_SESSION_SECRET_FILE": "{d}/missing"}, "does not exist: put it in deploy/secrets/"),
    ({"RMO_SESSION_SECRET_FILE": "{d}/empty"}, "is empty"),
    ({"RMO_SESSION_SECRET_FILE": "{d}/short"}, "has 9 characters; it needs at least 32"),
    ({"RMO_DATABASE_PASSWORD_FILE": "{d}/password", "RMO_DATABASE_URL": "sqlite:////tmp/x.sqlite"},
     "names no database server"),
    ({"RMO_DATABASE_PASSWORD_FILE": "{d}/password", "RMO_DATABASE_URL": "postgresql+psycopg://rmo:old@db/rmo"},
     "keep the password in the file only"),
    ({"RMO_DATABASE_PASSWORD_FILE": "{d}/password", "RMO_DATABASE_URL": "not a url"},
     "is not a database address"),
])
def test_a_wrong_secret_setting_is_refused_with_a_sentence(tmp_path: Path, env: dict[str, str], says: str) -> None:
    _file(tmp_path, "empty", "\n")
    _file(tmp_path, "short", "change-me\n")
    _file(tmp_path, "password", "a-password\n")
    with pytest.raises(container.SetupError, match=says) as caught:
        container.secret_env({k: v.format(d=tmp_path) for k, v in env.items()})
    assert "a-password" not in str(caught.value) and "old" not in str(caught.value)


def test_an_unreadable_secret_names_the_apps_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = Path(_file(tmp_path, "s", SECRET))
    real = Path.read_text

    def refuse(self: Path, *args: object, **kwargs: object) -> str:
        # What a file owned by another uid with mode 0600 gives the app's user (the tests may run as root).
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", refuse)
    with pytest.raises(container.SetupError, match=r"uid 10001.*sudo chown 10001"):
        container.secret_env({"RMO_SESSION_SECRET_FILE": str(path)})


def test_a_wrong_setting_stops_the_command_with_status_2_and_no_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "RMO_SESSION_SECRET_FILE": str(tmp_path / "missing")}
    done = subprocess.run([sys.executable, "scripts/container.py", "serve"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("container: The session secret file") and "Traceback" not in done.stderr


def test_an_unknown_command_shows_the_usage() -> None:
    done = subprocess.run([sys.executable, "scripts/container.py", "start"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and "usage: python scripts/container.py serve" in done.stderr


# --- serve and health -------------------------------------------------------------------------------

def test_the_server_listens_on_every_address_of_the_container_on_rmo_port() -> None:
    args = container.serve_args({"RMO_PORT": "8600"}, ["--server.port", "9000"])
    assert args[:2] == [sys.executable, str(ROOT / "scripts" / "serve.py")]
    assert args[args.index("--server.address") + 1] == "0.0.0.0"
    assert args[args.index("--server.port") + 1] == "8600" and args[-2:] == ["--server.port", "9000"]
    assert container.serve_args({})[container.serve_args({}).index("--server.port") + 1] == "8501"


def test_health_answers_for_a_server_that_answers_and_not_for_a_silent_port(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "stand_in.py"
    script.write_text("import http.server, sys\n"
                      "class H(http.server.BaseHTTPRequestHandler):\n"
                      "    def do_GET(self):\n"
                      "        self.send_response(200 if self.path == '/_stcore/health' else 404); self.end_headers()\n"
                      "    def log_message(self, *a): pass\n"
                      "http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()\n")
    port = live_server.free_port()
    server = subprocess.Popen([sys.executable, str(script), str(port)])
    try:
        env = {**os.environ, "RMO_PORT": str(port)}
        deadline = time.monotonic() + 20
        while not container.healthy(env) and time.monotonic() < deadline:
            time.sleep(0.05)
        done = subprocess.run([sys.executable, "scripts/container.py", "health"], cwd=ROOT, env=env,
                              timeout=60, check=False)
        assert done.returncode == 0
    finally:
        server.terminate()
        server.wait(timeout=10)
    done = subprocess.run([sys.executable, "scripts/container.py", "health"], cwd=ROOT,
                          env={**os.environ, "RMO_PORT": str(port)}, timeout=60, check=False)
    assert done.returncode == 1


# --- prepare: the store -------------------------------------------------------------------------------

def _finished_at(url: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SELECT value FROM build_info WHERE key = 'finished_at'")).scalar())
    finally:
        engine.dispose()


def test_prepare_builds_a_missing_store_once_and_then_leaves_it(stores: Stores, tmp_path: Path) -> None:
    url = stores.blank("prepare")
    env = {"RMO_DATABASE_URL": url, "RMO_USERS_FILE": str(tmp_path / "users.toml")}
    try:
        assert store_status(url) == "missing"
        first = container.prepare(env)
        assert first[0].startswith("built the store at ") and "(it was missing)" in first[0]
        assert store_status(url) == "ok"
        built = _finished_at(url)
        again = container.prepare(env)
        assert again == [f"the store at {make_url(url).render_as_string(hide_password=True)} is at the newest "
                         "schema revision"]
        assert _finished_at(url) == built, "a second start does not build again"
    finally:
        stores.discard(url)


def test_prepare_waits_for_a_database_server_and_then_says_it_cannot_reach_it() -> None:
    port = live_server.free_port()  # nothing listens there
    env = {"RMO_DATABASE_URL": f"postgresql+psycopg://rmo@127.0.0.1:{port}/rmo", "RMO_PREPARE_WAIT_S": "1.5"}
    started = time.monotonic()
    with pytest.raises(container.SetupError, match=r"is not reachable after 1.5 s: check the database server"):
        container.prepare_store(env)
    assert time.monotonic() - started >= 1.5


def test_prepare_exits_3_on_a_damaged_store_without_touching_it(tmp_path: Path) -> None:
    store = tmp_path / "rmo.sqlite"
    store.write_bytes(b"not a store" * 500)
    env = {**os.environ, "RMO_DATABASE_URL": f"sqlite:///{store}"}
    env.pop("RMO_DATABASE_PASSWORD_FILE", None)
    done = subprocess.run([sys.executable, "scripts/container.py", "prepare"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 3, done.stderr
    assert "cannot be read as a store of this app; nothing was changed" in done.stderr
    assert "Traceback" not in done.stderr
    assert store.read_bytes() == b"not a store" * 500


def test_serve_builds_a_missing_store_before_listening(stores: Stores, capsys: pytest.CaptureFixture[str]) -> None:
    url = stores.blank("serve")
    try:
        container.build_if_missing({"RMO_DATABASE_URL": url})
        assert store_status(url) == "ok" and "built the store at" in capsys.readouterr().err
    finally:
        stores.discard(url)


def test_serve_leaves_an_existing_store_to_serve_py(store_copy_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = _finished_at(store_copy_url)
    container.build_if_missing({"RMO_DATABASE_URL": store_copy_url})
    assert _finished_at(store_copy_url) == before and capsys.readouterr().err == ""


def test_a_second_build_on_postgresql_waits_for_the_first_and_the_store_ends_good(stores: Stores) -> None:
    if stores.backend != "postgresql":
        pytest.skip("PostgreSQL's build lock: this test runs in the PostgreSQL run (scripts/test.sh)")
    url = stores.blank("race")
    env = {**os.environ, "RMO_DATABASE_URL": url}
    first = subprocess.Popen([sys.executable, "-m", "rmo_data", "build"], cwd=ROOT, stderr=subprocess.PIPE,
                             text=True, env={**env, "RMO_BUILD_PAUSE_AT": "Wrote risk_evidence"})
    second = None
    try:
        assert first.stderr is not None
        # Once paused, the first build is inside its transaction and holds the build's lock.
        assert any(line.startswith("[paused]") for line in first.stderr), "the first build did not pause"
        second = subprocess.Popen([sys.executable, "-m", "rmo_data", "build"], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        engine = make_engine(url)
        try:
            def waiting() -> bool:
                with engine.connect() as conn:
                    return bool(conn.execute(text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock' AND wait_event = 'advisory'")).scalar())
            deadline = time.monotonic() + 60
            while not waiting():
                assert second.poll() is None, "the second build did not wait for the first"
                assert time.monotonic() < deadline, "the second build never reached the lock"
                time.sleep(0.1)
        finally:
            engine.dispose()
        first.kill()  # a build that dies half-way: its transaction rolls back, the lock goes
        first.wait(timeout=30)
        out, err = second.communicate(timeout=120)
        assert second.returncode == 0, err
        assert out.startswith("Built ") and store_status(url) == "ok"
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
        stores.discard(url)


# --- prepare: the first users and the frontend files -------------------------------------------

def test_the_first_users_are_put_in_place_once_and_never_over_a_users_file(tmp_path: Path) -> None:
    seed = tmp_path / "secrets" / "users.toml"
    seed.parent.mkdir()
    name, password = USERS["editor"]
    accounts.add_user(seed, name, "editor", password)
    target = tmp_path / "state" / "users.toml"
    env = {"RMO_USERS_SEED_FILE": str(seed), "RMO_USERS_FILE": str(target)}
    assert container.seed_users(env) == f"copied 1 users from {seed} to {target}"
    assert set(accounts.load_users(target)) == {name} and target.stat().st_mode & 0o777 == 0o600
    accounts.add_user(target, "added.later", "partner", "a long enough password")
    assert "is in place (2 users); the first-users file is not used" in (container.seed_users(env) or "")
    assert set(accounts.load_users(target)) == {name, "added.later"}


def test_the_example_first_users_file_has_no_users_and_is_not_copied(tmp_path: Path) -> None:
    example = ROOT / "deploy" / "secrets.example" / "users.toml"
    env = {"RMO_USERS_SEED_FILE": str(example), "RMO_USERS_FILE": str(tmp_path / "users.toml")}
    assert "no users in" in (container.seed_users(env) or "") and "rmo users add" in (container.seed_users(env) or "")
    assert not (tmp_path / "users.toml").exists()


def test_a_damaged_first_users_file_is_refused(tmp_path: Path) -> None:
    seed = Path(_file(tmp_path, "users.toml", "[users.ana]\nrole = 'owner'\n"))
    with pytest.raises(container.SetupError, match="is not a users file of this app"):
        container.seed_users({"RMO_USERS_SEED_FILE": str(seed), "RMO_USERS_FILE": str(tmp_path / "u.toml")})


def test_the_frontend_files_are_copied_with_gzip_beside_them_and_not_again(tmp_path: Path) -> None:
    import gzip

    import streamlit

    source = Path(streamlit.__file__).parent / "static"
    www = tmp_path / "www"
    written = container.copy_static(www)
    index = www / "index.html"
    assert index.read_bytes() == (source / "index.html").read_bytes()
    assert gzip.decompress((www / "index.html.gz").read_bytes()) == index.read_bytes()
    scripts = sorted((www / "static" / "js").glob("*.js"))
    assert scripts and all(Path(f"{js}.gz").exists() for js in scripts)
    assert not list(www.rglob("*.woff2.gz")), "already-compressed fonts are not gzipped again"
    originals = sum(1 for p in source.rglob("*") if p.is_file())
    assert written == originals + sum(1 for p in source.rglob("*") if p.is_file() and p.suffix in container.COMPRESSIBLE)
    assert {p.stat().st_mode & 0o777 for p in www.rglob("*") if p.is_file()} == {0o644}  # nginx's worker reads them
    assert container.copy_static(www) == 0, "a restart copies nothing again"
    index.unlink()
    assert container.copy_static(www) == 1
