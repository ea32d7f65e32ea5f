"""Store faults and bad links: a plain message and a way out, never a traceback.

- A missing or 0-byte store file is built on the first run, and the page says so.
- A damaged file (random bytes, truncated, a page overwritten in the middle)
  stops the page with a message and a rebuild button; the button restores a
  working app.
- A store whose build stopped half-way (``build_info`` without ``finished_at``)
  is rebuilt on the first run, keeping the user's rows.
- A build killed half-way (``python -m rmo_data build`` paused at a known step
  through ``RMO_BUILD_PAUSE_AT``, then SIGKILL) leaves the previous store
  intact, and its leftover temporary file does not disturb the next build.
- Bad link values (unknown material, garbage or huge weights) are named in a
  note and the rest of the link still applies.
"""

from __future__ import annotations

import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rmo_data import constants
from rmo_data.store import schema
from rmo_data.store import scenarios
from rmo_data.__main__ import PAUSE_ENV, PAUSED_MARK
from rmo_data.ingest.build import build
from rmo_data.store.engine import make_engine, store_status
from tests.apptest import app_for, no_exception
from tests.signin import USERS, sign_in

ROOT = Path(__file__).resolve().parents[2]
USER_TABLES = {t.name for t in schema.USER_TABLES}


def _copy_store(source: Path, target: Path) -> str:
    """Copy a SQLite store with the backup API (a plain file copy could miss WAL content)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return f"sqlite:///{target}"


def snapshot(path: Path) -> dict[str, int]:
    """Row count of every table of the store."""
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: conn.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in names}  # names from SQLite
    finally:
        conn.close()


def _works(at: AppTest, materials: int = len(constants.MATERIAL_SLUGS)) -> None:
    """The default page is drawn in full: its comparison table has a row per material in view."""
    assert at.title and at.title[0].value == "Overview"
    assert not at.error, [e.value for e in at.error]
    assert len(at.dataframe[0].value) == materials


# --- missing, empty and damaged files ------------------------------------------------------------

@pytest.mark.parametrize("kind", ["missing", "zero_bytes"])
def test_missing_store_is_built_with_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    path = tmp_path / "rmo.sqlite"
    if kind == "zero_bytes":
        path.write_bytes(b"")
    assert store_status(f"sqlite:///{path}") == "missing"
    at = no_exception(app_for(f"sqlite:///{path}", monkeypatch).run())
    assert any("No data store was found" in i.value for i in at.info)
    _works(at)
    assert store_status(f"sqlite:///{path}") == "ok"


def _random(good: bytes) -> bytes:
    return os.urandom(len(good))


def _truncated(good: bytes) -> bytes:
    return good[: len(good) // 2]


def _overwritten_middle(good: bytes) -> bytes:
    # The header and the table list stay readable: only SQLite's page check finds this.
    middle = len(good) // 2
    return good[:middle] + os.urandom(40_000) + good[middle + 40_000:]


def _editor_signs_in_on_the_store_page(at: AppTest) -> AppTest:
    name, password = USERS["editor"]
    at.text_input(key="store_signin_name").input(name)
    at.text_input(key="store_signin_password").input(password)
    at.button(key="store_signin_submit").click()
    return no_exception(at.run())


@pytest.mark.parametrize("damage", [_random, _truncated, _overwritten_middle], ids=lambda f: f.__name__)
def test_damaged_store_offers_a_rebuild_to_editors_only_and_keeps_the_file(
        built_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        damage: Callable[[bytes], bytes]) -> None:
    path = tmp_path / "rmo.sqlite"
    _copy_store(built_db, path)
    damaged = damage(path.read_bytes())
    path.write_bytes(damaged)
    url = f"sqlite:///{path}"
    assert store_status(url) == "corrupt"
    damaged = path.read_bytes()  # as the check left it (opening it may switch its journal mode)
    at = no_exception(app_for(url, monkeypatch).run())
    assert any("cannot be read" in e.value for e in at.error)
    assert not at.title and not at.dataframe  # the page stopped before reading anything
    # The public gets no rebuild button and no file path, only who can rebuild.
    assert not [b for b in at.button if b.key == "store_rebuild"]
    shown = " ".join(m.value for m in [*at.error, *at.info, *at.caption, *at.markdown])
    assert str(tmp_path) not in shown and "rmo.sqlite" not in shown
    # An editor signs in on the spot and may rebuild.
    _editor_signs_in_on_the_store_page(at)
    at.button(key="store_rebuild").click()
    no_exception(at.run())
    _works(at)
    assert store_status(url) == "ok"
    assert snapshot(path)["material"] == len(constants.MATERIAL_SLUGS)
    kept = list(tmp_path.glob("rmo.sqlite.*.bak"))
    assert len(kept) == 1 and kept[0].read_bytes() == damaged  # the damaged file was kept, not lost


def test_half_finished_build_is_built_again_keeping_user_rows(built_db: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "rmo.sqlite"
    url = _copy_store(built_db, path)
    engine = make_engine(url)
    scenarios.save_scenario("Kept across the rebuild", {"severity": 7}, engine=engine)
    engine.dispose()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DELETE FROM build_info WHERE key = 'finished_at'")
    conn.close()
    assert store_status(url) == "empty"
    at = no_exception(app_for(url, monkeypatch).run())
    assert any("incomplete" in i.value for i in at.info)
    _works(at)
    assert store_status(url) == "ok"
    engine = make_engine(url)
    try:
        assert scenarios.load_scenario("Kept across the rebuild", engine=engine)["weights"]["severity"] == 7
    finally:
        engine.dispose()


# --- a build killed half-way -------------------------------------------------------------------

def _wait_for_pause(proc: subprocess.Popen[str], timeout: float = 120) -> list[str]:
    """Read the build's progress lines until it reports the pause (or fail after ``timeout``).

    A thread reads the pipe (select() on a buffered pipe can miss lines already read into the buffer).
    """
    assert proc.stderr is not None
    stream = proc.stderr
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        try:
            for line in stream:
                lines.put(line.rstrip())
        except ValueError:  # the test closed the pipe after the kill
            pass
        lines.put(None)  # the build ended

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        if line is None:
            raise AssertionError(f"build ended before pausing: {seen}")
        seen.append(line)
        if line.startswith(PAUSED_MARK):
            return seen
    raise AssertionError(f"build never paused: {seen}")


@pytest.mark.slow
def test_build_killed_half_way_leaves_the_previous_store_intact(built_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "rmo.sqlite"
    url = _copy_store(built_db, path)
    engine = make_engine(url)
    scenarios.save_scenario("Made before the killed build", {"severity": 3}, engine=engine)
    engine.dispose()
    before = snapshot(path)
    tmp = path.with_name(path.name + ".tmp")

    env = {**os.environ, PAUSE_ENV: "Wrote risk_evidence", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "rmo_data", "build", "--url", url], cwd=ROOT, env=env,
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        lines = _wait_for_pause(proc)
        # Paused inside the write: the new file exists and holds part of the tables.
        assert any(line.endswith("Wrote risk_evidence") for line in lines) and tmp.exists(), lines
        assert store_status(url) == "ok"  # readers still see the previous store meanwhile
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
        if proc.stderr is not None:
            proc.stderr.close()

    assert store_status(url) == "ok"
    assert snapshot(path) == before
    assert tmp.exists(), "the killed build left its temporary file (the next build must cope)"
    report = build(url)
    assert store_status(url) == "ok"
    assert not tmp.exists() and not Path(f"{tmp}-wal").exists() and not Path(f"{tmp}-journal").exists()
    after = snapshot(path)
    # Same reference rows (SQLite's own planner statistics, sqlite_stat1, are recomputed; the data
    # version starts afresh in the new file).
    def reference(counts: dict[str, int]) -> dict[str, int]:
        return {k: v for k, v in counts.items()
                if k not in USER_TABLES and k != "data_version" and not k.startswith("sqlite_")}

    assert reference(after) == reference(before)
    assert after["scenario"] == before["scenario"]  # user rows carried across the rebuild
    assert sum(report.counts.values()) > 0


# --- bad link values ---------------------------------------------------------------------------

W1, W2, W3 = (c.slug for c in constants.CRITERIA[:3])


def test_bad_link_values_are_named_and_the_rest_applies(built_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app_for(built_url, monkeypatch)
    at.query_params["material"] = "unobtanium"
    at.query_params["materials"] = "zinc,nickel,kryptonite"
    at.query_params[f"wt_{W1}"] = "9" * 5000  # huge: more digits than Python parses by default
    at.query_params[f"wt_{W2}"] = "1e3"
    at.query_params[f"wt_{W3}"] = "7"  # a good value next to the bad ones
    at.query_params["ev_min_sev"] = "-4"
    at.query_params["stages"] = "mining," + "z" * 500
    no_exception(at.run())
    notes = [w.value for w in at.warning]
    text = " ".join(notes)
    for named in ("unobtanium", "kryptonite", "1e3", "\\-4"):
        assert named in text, (named, notes)
    assert all(len(n) < 300 for n in notes), "a huge value is cut short in its note"
    # The rest of the view applies.
    _works(at, materials=2)
    assert at.session_state["materials"] == ["zinc", "nickel"]
    assert at.session_state["stages"] == ["mining"]
    assert at.session_state["material"] == constants.MATERIAL_SLUGS[0]
    sign_in(at, "partner")  # Prioritisation is a partner page; the link's values stay in the session
    at.switch_page("pages/prioritisation.py")
    no_exception(at.run())
    weights = {c.slug: at.session_state[f"wt_{c.slug}"] for c in constants.CRITERIA}
    assert weights[W1] == constants.WEIGHT_PRESETS["balanced"][W1] and weights[W2] == constants.WEIGHT_PRESETS["balanced"][W2]
    assert weights[W3] == 7
    assert not any("Ignored" in w.value for w in at.warning), "notes are shown once"
    assert not at.error, [e.value for e in at.error]


def test_url_parse_bounds_every_value() -> None:
    from components import state

    p = state.PARAMS
    assert state._parse(p[f"wt_{W1}"], ["9" * 5000]) == (p[f"wt_{W1}"].default, ["9" * 5000])
    assert state._parse(p[f"wt_{W1}"], ["11"])[1] == ["11"]
    assert state._parse(p[f"wt_{W1}"], ["10"]) == (10, [])
    assert state._parse(p["ev_text"], ["x" * 1000]) == ("x" * state.MAX_TEXT, [])
    many = ",".join(f"c{i}" for i in range(state.MAX_ITEMS + 20))
    kept, rejected = state._parse(p["ev_country"], [many])
    assert len(kept) == state.MAX_ITEMS and len(rejected) == 20
    kept, rejected = state._parse(p["ev_company"], ["ok," + "y" * (state.MAX_TEXT + 1)])
    assert kept == ["ok"] and rejected == ["y" * (state.MAX_TEXT + 1)]


def test_messages_name_the_store_without_its_password(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every store location the app or serve.py shows comes from engine.shown_url, which hides a password."""
    from rmo_data.store.engine import ENV_VAR, shown_url

    monkeypatch.setenv(ENV_VAR, "postgresql+psycopg://rmo:s3cret-pw@db.example:5432/rmo")
    assert shown_url() == "postgresql+psycopg://rmo:***@db.example:5432/rmo"
    assert "s3cret-pw" not in shown_url()
    assert shown_url("sqlite:////tmp/x.sqlite") == "sqlite:////tmp/x.sqlite"
