"""AppTest runs of the participant's focused (phone) view of the Workshop page.

A session opened by a join link (``?join=CODE``) gets no sidebar filters, no
menu and no facilitator modes: only the workshop's title, what to do, one
slider per criterion with a plain line on what it means, and one submit.  A
close made by the facilitator (``lifecycle.close_workshop`` on the same store)
is said once, in one message; a late change is refused in that same message;
a second press sent before the page redrew revises the first answer instead of
failing on the taken name.  A session that types the code into the full app
keeps its sidebar.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from rmo_data import constants
from rmo_data.workshops import lifecycle
from tests.apptest import app_for, no_exception

PAGE = "pages/workshop.py"
MATS = ["nickel", "graphite", "ree", "zinc"]
CRITS = ["auto_share", "processing_hhi", "severity"]


def _link(url: str, monkeypatch: pytest.MonkeyPatch, code: str, token: str | None = None) -> AppTest:
    """A new device opening the join link (``?join=CODE``, and ``&p=TOKEN`` for a private link)."""
    at = app_for(url, monkeypatch)
    at.query_params["join"] = code
    if token:
        at.query_params["p"] = token
    no_exception(at.run())
    return at


def _alerts(at: AppTest) -> list[str]:
    return [str(a.value) for kind in (at.error, at.warning, at.info, at.success) for a in kind]


def _closed_alerts(at: AppTest) -> list[str]:
    """Every message box that speaks of the close (the group result below may add its own notes)."""
    return [a for a in _alerts(at) if "closed" in a.lower()]


def _submit(at: AppTest, weights: dict[str, int]) -> AppTest:
    for crit, value in weights.items():
        at.slider(key=f"ws_w_{crit}").set_value(value)
    at.button(key="ws_submit").click()
    return no_exception(at.run())


def test_join_link_opens_the_focused_view(own_url: str, own_engine: Engine,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _, code = lifecycle.create_workshop("Phone room <i>x</i>", MATS, CRITS, engine=own_engine)
    at = _link(own_url, monkeypatch, code)
    # It opened the Workshop page by itself, with the workshop's name (escaped) as the title.
    assert [t.value for t in at.title] == ["Phone room &lt;i&gt;x&lt;/i&gt;"]
    # No filters, no account box, no mode switch, no method expander.  (AppTest runs a page that
    # st.switch_page opened without app.py, so the empty sidebar itself is checked in the browser.)
    assert len(at.sidebar.children) == 0
    assert not [s for s in at.multiselect if s.key in ("materials", "stages", "risks")]
    assert not at.segmented_control and not at.expander
    assert not [t for t in at.text_input if t.key == "join"]  # the link's code needs no box
    # One slider per criterion, labelled in plain words, each with its one-line explanation.
    assert [s.label for s in at.slider] == [constants.CRITERION_LABELS[c] for c in CRITS]
    captions = [c.value for c in at.caption]
    for crit in CRITS:
        assert constants.CRITERION_PLAIN[crit] in captions
    assert [b.label for b in at.button] == ["Submit my weights"]

    at.text_input(key="ws_name").input("Ana")
    no_exception(at.run())
    at = _submit(at, {"auto_share": 9, "processing_hhi": 2, "severity": 6})
    alerts = _alerts(at)
    assert len(alerts) == 1 and "Your answer is in" in alerts[0] and "received" in alerts[0]
    token = at.session_state["p"]
    assert lifecycle.own_submission(code, token, own_engine)["weights"]["auto_share"] == 9
    assert at.button(key="ws_submit").label == "Revise my weights"
    at = _submit(at, {"auto_share": 1})
    assert "revised" in _alerts(at)[0]
    assert lifecycle.own_submission(code, token, own_engine)["weights"]["auto_share"] == 1

    # The private link on another run of the same device resumes the answer: no second participant.
    again = _link(own_url, monkeypatch, code, token)
    assert not [t for t in again.text_input if t.key == "ws_name"]
    assert again.slider(key="ws_w_auto_share").value == 1
    assert "You take part as Ana" in _alerts(again)[0]
    assert len(lifecycle.list_submissions(code, engine=own_engine)) == 1

    # The facilitator closes: the next run says so once, in one message, and draws no form.
    lifecycle.close_workshop(code, engine=own_engine)
    no_exception(again.run())
    closed = _closed_alerts(again)
    assert len(closed) == 1 and "is closed" in closed[0] and "part of the result" in closed[0]
    assert not [b for b in again.button if b.key == "ws_submit"]


def test_late_change_after_close_is_one_message(own_url: str, own_engine: Engine,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    _, code = lifecycle.create_workshop("Late", MATS, CRITS, engine=own_engine)
    at = _link(own_url, monkeypatch, code)
    at.text_input(key="ws_name").input("Ben")
    no_exception(at.run())
    at = _submit(at, {"severity": 8})
    before = lifecycle.own_submission(code, at.session_state["p"], own_engine)
    lifecycle.close_workshop(code, engine=own_engine)
    at = _submit(at, {"severity": 1})  # the form was still on screen
    closed = _closed_alerts(at)
    assert len(closed) == 1, closed
    assert "is closed" in closed[0] and "not stored" in closed[0]
    assert not at.error and not at.warning  # no red or yellow box besides it
    assert lifecycle.own_submission(code, at.session_state["p"], own_engine) == before


def test_bad_codes_in_the_focused_view(own_url: str, own_engine: Engine,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    at = _link(own_url, monkeypatch, "ZZZZZZ")
    assert [t.value for t in at.title] == ["Join a workshop"]
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "No workshop has the code ZZZZZZ" in errors[0]
    assert len(at.sidebar.children) == 0
    # The code box is there to type the right one.
    _, code = lifecycle.create_workshop("Right one", MATS, CRITS, engine=own_engine)
    at.text_input(key="join").input(code.lower())
    no_exception(at.run())
    assert [t.value for t in at.title] == ["Right one"]
    # An over-long name: the box takes no more than its limit, so nothing is stored and one message asks.
    assert at.text_input(key="ws_name").max_chars == 60
    at.text_input(key="ws_name").input("x" * 80)
    no_exception(at.run())
    at = _submit(at, {"severity": 4})
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "Give your name" in errors[0]
    assert lifecycle.list_submissions(code, engine=own_engine).empty
    assert at.slider(key="ws_w_severity").value == 4  # what was entered is still there
    # A hostile name is stored as typed and shown escaped, never as markup.
    at.text_input(key="ws_name").input("<script>alert(1)</script>")
    no_exception(at.run())
    at = _submit(at, {"severity": 4})
    assert lifecycle.own_submission(code, at.session_state["p"], own_engine)["participant"] == \
        "<script>alert(1)</script>"
    assert "<script>" not in " ".join(_alerts(at))


def test_typing_a_code_in_the_full_app_keeps_the_sidebar(own_url: str, own_engine: Engine,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    _, code = lifecycle.create_workshop("Full app", MATS, CRITS, engine=own_engine)
    at = app_for(own_url, monkeypatch)
    no_exception(at.run())
    at.switch_page(PAGE)
    no_exception(at.run())
    at.text_input(key="join").input(code)
    no_exception(at.run())
    assert not at.session_state["_ws_focus"]
    assert at.segmented_control and [t.value for t in at.title] == ["Workshop"]  # the full page, modes and all
