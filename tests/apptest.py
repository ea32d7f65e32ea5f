"""Test helpers shared by the AppTest files: the app on a given store (and one more session of
it), a run's exception check, a page opened signed in, and each tab of a page whose tabs are
built only when open."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.signin import sign_in

ROOT = Path(__file__).resolve().parents[1]


def app_for(url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app (app.py, the router) pointed at the store at ``url``, not yet run.

    Every AppTest of the app starts here (or at the ``app`` fixture of
    ``tests/conftest.py``, the app on the session's built store).
    """
    monkeypatch.setenv("RMO_DATABASE_URL", url)
    monkeypatch.chdir(ROOT)
    return new_session()


def new_session() -> AppTest:
    """One more session of the app on the store ``app_for`` pointed at (another browser), not yet run."""
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)


def no_exception(at: AppTest) -> AppTest:
    """``at`` after checking that its last run raised nothing (the exceptions are the message)."""
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_as(at: AppTest, page: str, role: str = "partner", **state: object) -> AppTest:
    """Sign in as ``role`` (which runs the app first, so a link is read), set ``state``, open ``page``."""
    sign_in(at, role)
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page(page)
    return no_exception(at.run())


def open_tab(at: AppTest, key: str, label: str) -> AppTest:
    """Open the tab ``label`` of the tabs keyed ``key`` (as a click on it does) and rerun.

    Pages draw their tabs with ``components.tabs.lazy_tabs``: only the open tab's
    content exists, so a test opens the tab it checks.
    """
    assert label in [t.label for t in at.tabs], f"no tab {label!r}: {[t.label for t in at.tabs]}"
    at.session_state[key] = label
    return no_exception(at.run())


def open_expander(at: AppTest, key: str) -> AppTest:
    """Open the expander keyed ``key`` (as a click on it does) and rerun.

    Pages draw some expanders with ``components.tabs.lazy_expander``: their content
    exists only while they are open, so a test opens the one it checks.
    """
    at.session_state[key] = True
    return no_exception(at.run())


def each_tab(at: AppTest, key: str) -> Iterator[str]:
    """Open every tab of the tabs keyed ``key`` in turn; yields each label with ``at`` showing it."""
    labels = [t.label for t in at.tabs]
    assert labels, "the page draws no tabs"
    for label in labels:
        open_tab(at, key, label)
        yield label
