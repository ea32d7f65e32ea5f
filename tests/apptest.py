"""Test helpers shared by the AppTest files: the app on a given store, and a run's exception check."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def app_for(url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app (app.py, the router) pointed at the store at ``url``, not yet run."""
    monkeypatch.setenv("RMO_DATABASE_URL", url)
    monkeypatch.chdir(ROOT)
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)


def no_exception(at: AppTest) -> AppTest:
    """``at`` after checking that its last run raised nothing (the exceptions are the message)."""
    assert not at.exception, [e.value for e in at.exception]
    return at
