"""Pages follow the data version: a change made by another process shows at the next rerun, on a real store.

"Another process" is a real one (a Python subprocess writing to the same
store, as a second app server or an editor's command would), so nothing in this
process is told about the write: only the data version can carry it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from components import cached
from rmo_data.store import data_version
from rmo_data.store.engine import get_engine, make_engine, reopen_if_replaced, sqlite_path
from tests.apptest import app_for, new_session, no_exception

ROOT = Path(__file__).resolve().parents[2]
RENAME = """
import sys
from sqlalchemy import update
from rmo_data.store import data_version, schema
from rmo_data.store.engine import make_engine
engine = make_engine(sys.argv[1])
with engine.begin() as conn:
    conn.execute(update(schema.material).where(schema.material.c.slug == "zinc").values(name=sys.argv[2]))
    if sys.argv[3] == "bump":
        data_version.bump(conn, data_version.REFERENCE)
engine.dispose()
"""


def _rename_elsewhere(url: str, name: str, bump: bool = True) -> None:
    subprocess.run([sys.executable, "-c", RENAME, url, name, "bump" if bump else "no"], cwd=ROOT, check=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)


def _shown(at: AppTest) -> str:
    """Every table's cells and every text element of the last run, as one string."""
    parts = [df.value.to_csv() for df in at.dataframe if isinstance(df.value, pd.DataFrame)]
    parts += [str(m.value) for m in (*at.markdown, *at.caption, *at.title, *at.header, *at.subheader)]
    return "\n".join(parts)


def _rerun_until(at: AppTest, text: str, within_s: float) -> float:
    """Rerun ``at`` until ``text`` shows; return how long it took (fails after ``within_s``)."""
    start = time.monotonic()
    while text not in _shown(no_exception(at.run())):
        assert time.monotonic() - start < within_s, f"{text!r} not shown after {within_s} s"
    return time.monotonic() - start


def test_a_change_made_by_another_process_shows_at_the_next_rerun(own_url: str,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    at = no_exception(app_for(own_url, monkeypatch).run())  # the Overview, zinc among the materials
    assert "Zinc" in _shown(at)
    _rename_elsewhere(own_url, "Zinc (renamed on server B)")
    # The version is read at most once a second per server: the change shows within that.
    took = _rerun_until(at, "Zinc (renamed on server B)", within_s=cached.VERSION_TTL_S + 10)
    assert took <= cached.VERSION_TTL_S + 5
    # A new session on the same server sees it too (the cache is shared, the key has moved).
    fresh = no_exception(new_session().run())
    assert "Zinc (renamed on server B)" in _shown(fresh)


def test_without_a_version_change_the_cached_read_is_kept(own_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The control: the same write without the bump stays unseen, so the test above cannot pass by accident."""
    at = no_exception(app_for(own_url, monkeypatch).run())
    _rename_elsewhere(own_url, "Zinc (silently renamed)", bump=False)
    engine = make_engine(own_url)
    try:
        version = data_version.read(engine)
        # Reruns until the server has certainly read the version again (it has not moved).
        start = time.monotonic()
        while time.monotonic() - start < cached.VERSION_TTL_S * 2:
            no_exception(at.run())
        assert cached.version() == version[data_version.REFERENCE]
        assert "Zinc (silently renamed)" not in _shown(at)
    finally:
        engine.dispose()


@pytest.mark.sqlite_only(reason="a store file replaced under a running server")
def test_a_sqlite_file_replaced_by_a_build_is_opened_afresh(own_url: str, tmp_path: Path) -> None:
    path = sqlite_path(own_url)
    assert path is not None

    engine = get_engine(own_url)
    reopen_if_replaced(own_url)  # remember the file this engine opened
    with engine.connect() as conn:  # a pooled connection on the old file
        conn.exec_driver_sql("SELECT 1")
    copy = tmp_path / "new.sqlite"
    src = make_engine(own_url)
    try:
        with src.connect() as conn:
            conn.exec_driver_sql(f"VACUUM INTO '{copy}'")
    finally:
        src.dispose()
    _rename_elsewhere(f"sqlite:///{copy}", "Zinc (new file)")
    os.replace(copy, path)  # as the build renames its new file over the old one
    assert reopen_if_replaced(own_url)
    with engine.connect() as conn:
        name = conn.exec_driver_sql("SELECT name FROM material WHERE slug = 'zinc'").scalar_one()
    assert name == "Zinc (new file)"
    assert not reopen_if_replaced(own_url), "the same file again: nothing to reopen"


def test_a_restore_made_by_another_process_shows_at_the_next_rerun(own_url: str, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    at = no_exception(app_for(own_url, monkeypatch).run())
    file = tmp_path / "before-rename.zip"
    subprocess.run([sys.executable, "-m", "rmo_data", "backup", "--url", own_url, str(file)], cwd=ROOT,
                   check=True, capture_output=True, timeout=300)
    _rename_elsewhere(own_url, "Zinc (renamed, then restored)")
    _rerun_until(at, "Zinc (renamed, then restored)", within_s=cached.VERSION_TTL_S + 10)
    subprocess.run([sys.executable, "-m", "rmo_data", "restore", "--url", own_url, str(file)], cwd=ROOT,
                   check=True, capture_output=True, timeout=300)
    # No restart: the restore moved the data version, so this server reads the restored store.
    start = time.monotonic()
    while "Zinc (renamed, then restored)" in _shown(no_exception(at.run())):
        assert time.monotonic() - start < cached.VERSION_TTL_S + 10, "the restored name is not shown"
    assert "Zinc" in _shown(at)
