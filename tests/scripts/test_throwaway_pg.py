"""scripts/throwaway_pg.py: a real PostgreSQL cluster started, used and removed again."""

from __future__ import annotations

import glob
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from scripts import throwaway_pg


PATTERN = str(Path(tempfile.gettempdir()) / "rmo-bench-pg-*")


def test_a_throwaway_server_answers_then_leaves_nothing_behind() -> None:
    before = set(glob.glob(PATTERN))
    with throwaway_pg.server(database="rmo_probe") as url:
        parsed = make_url(url)
        assert parsed.host == "127.0.0.1" and parsed.database == "rmo_probe"
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                assert conn.execute(text("SELECT current_database()")).scalar_one() == "rmo_probe"
        finally:
            engine.dispose()
        made = set(glob.glob(PATTERN)) - before
        assert len(made) == 1 and Path(next(iter(made)), "data").is_dir()
    # Stopped and removed: the port no longer answers and the folder is gone.
    assert set(glob.glob(PATTERN)) == before
    engine = create_engine(url, connect_args={"connect_timeout": 2})
    try:
        with engine.connect():
            raise AssertionError("the throw-away server still answers")
    except OperationalError:
        pass
    finally:
        engine.dispose()
