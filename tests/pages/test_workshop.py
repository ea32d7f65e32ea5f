"""AppTest runs of the Workshop page: the whole life cycle across three sessions.

A facilitator session creates a workshop on a private copy of the built
store; two participant sessions join it (one through the link's ``?join=``
parameter, one by typing the code), submit different weights, and one
revises.  The facilitator's view is checked against ``lifecycle.aggregate``
computed in the test; after the close both participants see the frozen
result and a late submission is refused with a message.  The facilitator
signs in as a partner through the sign-in form; participants stay public:
the join code is their credential.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from streamlit.testing.v1 import AppTest

from rmo_data import constants
from rmo_data.store import writes
from rmo_data.workshops import group_result
from rmo_data.workshops import lifecycle
from rmo_data.workshops import participants
from rmo_data.workshops import records
from tests.apptest import app_for, no_exception, open_expander
from tests.signin import sign_in

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/workshop.py"
MATS = ["nickel", "graphite", "ree", "zinc", "tantalum"]
CRITS = ["auto_share", "processing_hhi", "severity", "social_breadth"]
ANA = {"auto_share": 2, "processing_hhi": 9, "severity": 3, "social_breadth": 1}
BEN = {"auto_share": 8, "processing_hhi": 1, "severity": 10, "social_breadth": 6}


def _open(at: AppTest, role: str | None = None, **values: object) -> AppTest:
    """First run (reads the link), then the workshop page with ``values`` in session state.

    With ``role``, signs in through the sign-in form first (facilitating and the
    closed records are for partners); participants join as the public, with the code.
    """
    no_exception(at.run())
    if role:
        sign_in(at, role)
    for key, value in values.items():
        at.session_state[key] = value
    at.switch_page(PAGE)
    return no_exception(at.run())


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [x.value for x in at.info] + [x.value for x in at.warning] + [x.value for x in at.error]
    parts += [x.value for x in at.success] + [x.value for x in at.subheader] + [x.value for x in at.title]
    return "\n".join(str(p) for p in parts).replace("\\", "")


def _frame(at: AppTest, *columns: str) -> pd.DataFrame:
    for df in at.dataframe:
        if isinstance(df.value, pd.DataFrame) and set(columns) <= set(df.value.columns):
            return df.value
    raise AssertionError(f"no data frame with columns {columns}")


def _frames(at: AppTest) -> list[pd.DataFrame]:
    return [df.value for df in at.dataframe if isinstance(df.value, pd.DataFrame)]


def _everything(at: AppTest) -> str:
    """Everything the last run sent to the browser: every element's message, tables and charts included."""
    parts: list[str] = []

    def walk(node: object) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    parts += [df.to_csv() for df in _frames(at)]
    return "\n".join(parts)


def _submit(at: AppTest, name: str | None, weights: dict[str, int], flagged: list[str]) -> AppTest:
    """Fill in the form and submit; ``name`` only for a new participant (a revision has no name box)."""
    if name is not None:
        at.text_input(key="ws_name").input(name)
        no_exception(at.run())
    for crit, value in weights.items():
        at.slider(key=f"ws_w_{crit}").set_value(value)
    at.multiselect(key="ws_flags").set_value(flagged)
    at.button(key="ws_submit").click()
    return no_exception(at.run())


def _create(fac: AppTest, name: str) -> str:
    fac.text_input(key="ws_new_name").input(name)
    fac.multiselect(key="ws_new_materials").set_value(MATS)
    fac.multiselect(key="ws_new_criteria").set_value(CRITS)
    fac.button(key="ws_create").click()
    no_exception(fac.run())
    code = fac.session_state["ws"]
    assert participants.valid_code(code)
    return code


def test_workshop_life_cycle(own_url: str, own_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    # The session's store may already hold workshops (the browser tests write to it): count from here.
    before = writes.audit_rows(engine=own_engine)
    first_new = int(before["id"].max()) + 1 if not before.empty else 0
    # 1. The facilitator creates a workshop and sees its code and an empty count.
    fac = _open(app_for(own_url, monkeypatch), "partner", ws_mode="run")
    assert at_title(fac) == "Workshop"
    code = _create(fac, "Board workshop <b>2026</b>")
    ws = lifecycle.get_workshop(code, engine=own_engine)
    assert ws["materials"] == MATS and ws["criteria"] == CRITS
    assert _metric(fac, "Join code") == code
    assert _metric(fac, "Submitted") == "0"
    # The name is shown as typed: its markup is escaped, never rendered.
    assert "Board workshop &lt;b&gt;2026&lt;/b&gt;" in _texts(fac)
    assert "<b>" not in _texts(fac)
    assert f"?join={code}" in " ".join(c.value for c in fac.code)

    # 2. Participant A opens the shared link (?join=CODE), B types the code in lower case.
    ana = app_for(own_url, monkeypatch)
    ana.query_params["join"] = code
    ana = _open(ana)
    assert ana.session_state["join"] == code  # the link's focused view needs no code box
    assert ana.session_state["ws_mode"] == "join"
    ana = _submit(ana, "Ana", {**ANA, "severity": 7}, ["nickel"])
    assert "your weights were received" in _texts(ana)
    # Her address now holds her private key; the name box is gone: she revises as herself.
    token = ana.session_state["p"]
    assert ana.session_state["join"] == code and lifecycle.own_submission(code, token, own_engine)
    assert not [t for t in ana.text_input if t.key == "ws_name"]
    assert "You take part as Ana" in _texts(ana).replace("*", "")
    ana = _submit(ana, None, ANA, ["nickel", "ree"])  # a revision replaces the first
    assert "your weights were revised" in _texts(ana)
    assert ana.button(key="ws_submit").label == "Revise my weights"
    assert ana.session_state["p"] == token

    ben = _open(app_for(own_url, monkeypatch), join=code.lower())
    assert "Board workshop" in _texts(ben)
    ben = _submit(ben, "Ben", BEN, ["zinc"])
    assert "your weights were received" in _texts(ben)
    # Ben sees his own ranking, computed with his weights.
    assert len(_frame(ben, "Rank", "Material", "Score (0–1)")) == len(MATS)

    # 3. The facilitator's view: two submissions and the aggregate the data layer computes.
    no_exception(fac.run())
    assert _metric(fac, "Submitted") == "2"
    expected = lifecycle.aggregate(code, engine=own_engine)
    assert expected.n == 2
    assert expected.group_weights == pytest.approx(
        {c: (ANA[c] / sum(ANA.values()) + BEN[c] / sum(BEN.values())) / 2 for c in CRITS})
    shown = _frame(fac, "Group rank", "Borda rank", "Model default rank")
    pd.testing.assert_frame_equal(shown.reset_index(drop=True), records.ranking_frame(expected),
                                  check_dtype=False)
    assert _metric(fac, "Group's first priority") == expected.ranking["name"].iloc[0]
    assert "Answers in: Ana, Ben" in _texts(fac).replace("*", "")
    assert _metric(fac, "Joined") == "2"  # the two devices that opened the link
    assert "hidden from the room" in _texts(fac)
    assert "Weights far apart on:" in _texts(fac)
    # The group ranking comes first; the weights are one click away.
    assert fac.segmented_control(key="ws_live_detail").value == "ranking"
    fac.segmented_control(key="ws_live_detail").set_value("weights")
    no_exception(fac.run())
    spread = _frame(fac, "Criterion", "Mean share (%)")
    pd.testing.assert_frame_equal(spread.reset_index(drop=True), records.spread_frame(expected),
                                  check_dtype=False)
    assert expected.shares["participant"].unique().tolist() == ["Ana", "Ben"]
    flagged = expected.ranking.set_index("material")["flagged_by"]
    assert (flagged["nickel"], flagged["ree"], flagged["zinc"], flagged["graphite"]) == (1, 1, 1, 0)
    # These two disagree strongly on processing concentration: the page says so.
    assert expected.spread.set_index("criterion").at["processing_hhi", "disagree"]
    assert "Weights far apart on:" in _texts(fac)
    assert constants.CRITERION_LABELS["processing_hhi"] in _texts(fac)

    # 4. Presentation mode: the workshop's name as the title, projector charts, no page intro.
    fac.session_state["present"] = 1
    no_exception(fac.run())
    assert [t.value for t in fac.title] == ["Board workshop &lt;b&gt;2026&lt;/b&gt;"]
    # The result stays hidden from the room until the facilitator reveals it.
    assert not [c for c in fac.segmented_control if c.key == "ws_present_view"]
    assert "stays hidden until the facilitator reveals it" in _texts(fac)
    assert _metric(fac, "Submitted") == "2"
    fac.button(key="ws_reveal_present").click()
    no_exception(fac.run())
    assert lifecycle.get_workshop(code, own_engine)["revealed_at"] is not None
    assert [t.value for t in fac.toast] == ["The group result is now shown to the room."]  # the projector keeps still
    assert fac.segmented_control(key="ws_present_view").value == "ranking"
    assert _metric(fac, "Submitted") == "2"
    fac.segmented_control(key="ws_present_view").set_value("weights")
    no_exception(fac.run())
    fac.button(key="ws_present_off").click()
    no_exception(fac.run())
    assert fac.session_state["present"] == 0

    # 5. Close, with a confirmation step.
    fac.button(key="ws_close").click()
    no_exception(fac.run())
    assert "Close now with 2 submission(s)?" in _texts(fac)
    fac.button(key="ws_close_yes").click()
    no_exception(fac.run())
    assert "Workshop closed with 2 submission(s)" in _texts(fac)
    record = lifecycle.frozen_record(code, engine=own_engine)
    assert record["result"] == expected.to_record()
    assert record["workshop"]["closed_by"] == "pat.partner"  # the signed-in partner, not "app user"
    assert ws["created_by"] == "pat.partner"
    assert [s["participant"] for s in record["submissions"]] == ["Ana", "Ben"]
    assert record["submissions"][0]["weights"] == ANA and record["submissions"][0]["flagged"] == ["nickel", "ree"]
    assert "This record was frozen at closing" in _texts(fac)
    keys = {d.key for d in fac.get("download_button")}
    assert {f"wsf_{code}_json", f"wsf_{code}_xlsx", f"wsf_{code}_dl_subs"} <= keys
    # The briefing pack is one click away: its box, built when opened.
    assert f"ws_pack_{code}_prepare" not in [b.key for b in fac.button]
    assert open_expander(fac, f"ws_pack_{code}_box").button(key=f"ws_pack_{code}_prepare")
    subs = _frame(fac, "Participant", "Submitted at (UTC)")
    assert subs["Participant"].tolist() == ["Ana", "Ben"]

    # 6. Ben still has the form from before the close: his late revision is refused.
    ben.slider(key="ws_w_severity").set_value(1)
    ben.button(key="ws_submit").click()
    no_exception(ben.run())
    # One message says it all: closed, and the late change not stored (no red, yellow and blue stack).
    assert not ben.error and not [w for w in ben.warning if "closed" in w.value]
    notice = [i.value for i in ben.info if "closed" in i.value]
    assert len(notice) == 1 and notice[0].startswith("This workshop is closed")
    assert "not stored" in notice[0]
    assert not [b for b in ben.button if b.key == "ws_submit"]
    assert lifecycle.frozen_record(code, engine=own_engine) == record
    # Ana, on her next rerun, sees the frozen group result read-only: no one's name or own weights.
    no_exception(ana.run())
    assert "This workshop is closed" in _texts(ana)
    assert not [b for b in ana.button if b.key == "ws_submit"]
    pd.testing.assert_frame_equal(_frame(ana, "Group rank", "Borda rank").reset_index(drop=True),
                                  records.ranking_frame(expected), check_dtype=False)
    assert "Ben" not in _everything(ana) and "Participant" not in {c for df in _frames(ana) for c in df}
    audit = writes.audit_rows(engine=own_engine)
    mine = audit[audit["id"] >= first_new]
    # Each device joins before it answers; the facilitator revealed the result before closing.
    assert mine["action"].tolist() == ["create", "join", "create", "update", "join", "create", "reveal", "close"]


def at_title(at: AppTest) -> str:
    return at.title[0].value


def test_closed_workshops_are_listed_with_their_record(own_url: str, own_engine: Engine,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _, code = lifecycle.create_workshop("Spring review", MATS, CRITS, engine=own_engine)
    lifecycle.submit_weights(code, "Cy", BEN, ["ree"], engine=own_engine)
    lifecycle.close_workshop(code, engine=own_engine)
    _, still_open = lifecycle.create_workshop("Still open", MATS, CRITS, engine=own_engine)
    at = _open(app_for(own_url, monkeypatch), "partner", ws_mode="closed")
    listed = _frame(at, "name", "code", "closed_at")
    assert code in set(listed["code"]) and still_open not in set(listed["code"])  # closed ones only
    assert listed["code"].iloc[0] == code  # newest first, and shown first
    assert at.selectbox(key="ws_closed").value == code
    expected = lifecycle.aggregate(code, engine=own_engine)
    pd.testing.assert_frame_equal(_frame(at, "Group rank", "Borda rank").reset_index(drop=True),
                                  records.ranking_frame(expected), check_dtype=False)
    assert open_expander(at, f"ws_pack_{code}_box").button(key=f"ws_pack_{code}_prepare")

    # A facilitator can resume the open one from the list.
    at.session_state["ws_mode"] = "run"
    no_exception(at.run())
    open_codes = set(_frame(at, "code", "created_at", "submissions")["code"])
    assert still_open in open_codes and code not in open_codes
    at.selectbox(key="ws_resume_pick").set_value(still_open)
    at.button(key="ws_resume").click()
    no_exception(at.run())
    assert at.session_state["ws"] == still_open
    assert _metric(at, "Join code") == still_open


def test_bad_codes_and_names_get_a_message(own_url: str, own_engine: Engine,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    at = _open(app_for(own_url, monkeypatch), join="NOPE")
    assert "is not a join code" in " ".join(e.value for e in at.error).replace("\\", "")
    at.text_input(key="join").input("ZZZZZZ")
    no_exception(at.run())
    assert "No workshop has the code ZZZZZZ" in " ".join(e.value for e in at.error)
    _, code = lifecycle.create_workshop("Names", MATS, CRITS, engine=own_engine)
    at.text_input(key="join").input(code)
    no_exception(at.run())
    at.button(key="ws_submit").click()  # no name given
    no_exception(at.run())
    assert "Give your name" in " ".join(e.value for e in at.error)
    assert lifecycle.list_submissions(code, engine=own_engine).empty


def test_create_form_refuses_too_few_materials(own_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fac = _open(app_for(own_url, monkeypatch), "partner", ws_mode="run")
    fac.text_input(key="ws_new_name").input("Too small")
    fac.multiselect(key="ws_new_materials").set_value(["zinc"])
    fac.button(key="ws_create").click()
    no_exception(fac.run())
    assert "at least 2 materials" in " ".join(e.value for e in fac.error)
    assert fac.session_state["ws"] == ""


def test_workshop_params_round_trip() -> None:
    """The workshop's mode, codes and presentation flag survive the address bar."""
    from components import state

    values = {"ws_mode": "run", "ws": "K7PX3M", "present": 1, "join": "ABCDEF"}
    params = state.url_params(values)
    assert params == {"ws_mode": "run", "ws": "K7PX3M", "present": "1", "join": "ABCDEF"}
    for key, raw in params.items():
        parsed, rejected = state._parse(state.PARAMS[key], [raw])
        assert parsed == values[key] and rejected == []
    assert state._parse(state.PARAMS["present"], ["2"]) == (0, ["2"])
    assert state._parse(state.PARAMS["ws_mode"], ["admin"]) == ("join", ["admin"])


def _element_keys(node) -> list[str]:  # noqa: ANN001
    """Widget keys of an AppTest tree in page order."""
    out = []
    for child in getattr(node, "children", {}).values():
        out.append(getattr(child, "key", None))
        out += _element_keys(child)
    return out


def test_briefing_pack_of_a_closed_workshop_carries_the_frozen_ranking(
        own_url: str, own_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from rmo_data.briefing import content, pack

    _, code = lifecycle.create_workshop("Pack day", MATS, CRITS, engine=own_engine)
    lifecycle.submit_weights(code, "Ana", ANA, engine=own_engine)
    lifecycle.submit_weights(code, "Ben", BEN, engine=own_engine)
    record = lifecycle.close_workshop(code, engine=own_engine)
    frozen = group_result.GroupResult.from_record(record["result"])

    calls: list[dict] = []

    def spy(materials, engine, **kwargs):  # noqa: ANN001, ANN003, ANN202
        calls.append({"materials": list(materials), **kwargs})
        return {"pptx": b"pptx", "pdf": b"pdf"}  # the real build is covered by test_briefing

    monkeypatch.setattr(pack, "build_packs", spy)
    at = open_expander(_open(app_for(own_url, monkeypatch), "partner", ws_mode="closed", ws_closed=code),
                       f"ws_pack_{code}_box")
    # The chooser sits near the top of the closed workshop, before who submitted what.
    keys = [k for k in _element_keys(at.main) if k]
    assert keys.index(f"ws_pack_{code}_kind") < min(i for i, k in enumerate(keys) if k.endswith("_subs"))
    assert at.radio(key=f"ws_pack_{code}_kind").value == "workshop"
    at.button(key=f"ws_pack_{code}_prepare").click()
    no_exception(at.run())
    assert len(calls) == 1
    call = calls[0]
    assert call["materials"] == frozen.group_order()
    pd.testing.assert_frame_equal(call["ranking"], frozen.ranking)
    assert call["weights"] == frozen.pack_weights()
    assert call["title"] == "Workshop: Pack day"
    assert call["workshop"].n == 2 and list(call["workshop"].top) == frozen.ranking.sort_values("rank")[
        "name"].head(3).tolist()
    assert {f"ws_pack_{code}_pptx", f"ws_pack_{code}_pdf"} <= {d.key for d in at.get("download_button")}
    # One material of the record: the same frozen ranking, that material's pages only.
    at.radio(key=f"ws_pack_{code}_kind").set_value("one")
    no_exception(at.run())
    at.selectbox(key=f"ws_pack_{code}_one").set_value(frozen.group_order()[1])
    no_exception(at.run())
    at.button(key=f"ws_pack_{code}_prepare").click()
    no_exception(at.run())
    assert calls[-1]["materials"] == [frozen.group_order()[1]]
    pd.testing.assert_frame_equal(calls[-1]["ranking"], frozen.ranking)

    # What the pack makes of it: the group order and the group weights (in % of the score).
    data = content.collect(call["materials"], own_engine, ranking=call["ranking"], weights=call["weights"])
    assert data.ranking.ran
    assert data.ranking.table["material"].tolist() == frozen.ranking["material"].tolist()
    assert data.ranking.weights == pytest.approx(frozen.pack_weights())
    assert sum(data.ranking.weights.values()) == pytest.approx(100, abs=0.2)


# --- who owns a submission, who sees what, wrong codes, who closes, store faults ---------------------

def _join(url: str, monkeypatch: pytest.MonkeyPatch, code: str, token: str | None = None) -> AppTest:
    """A new public session opening the participant's link (``?join=CODE``, with ``&p=TOKEN``)."""
    at = app_for(url, monkeypatch)
    at.query_params["join"] = code
    if token is not None:
        at.query_params["p"] = token
    return _open(at)


def _sliders(at: AppTest) -> dict[str, int]:
    return {c: at.slider(key=f"ws_w_{c}").value for c in CRITS}


def test_the_same_name_in_another_case_is_refused_and_sees_nothing(
        own_url: str, own_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two sessions, one name: the second is refused with one message, never shown the first's weights."""
    _, code = lifecycle.create_workshop("One name each", MATS, CRITS, engine=own_engine)
    first = _submit(_join(own_url, monkeypatch, code), "Ana Lopez", ANA, ["zinc"])
    assert "your weights were received" in _texts(first)

    other = _join(own_url, monkeypatch, code)
    defaults = _sliders(other)
    assert defaults != ANA
    other.text_input(key="ws_name").input("  ana LOPEZ ")
    no_exception(other.run())
    assert [e.value for e in other.error] == [participants.NAME_TAKEN]  # said before any weight is set
    assert _sliders(other) == defaults  # nothing of Ana's is filled in
    assert other.button(key="ws_submit").label == "Submit my weights"
    assert "ws_flags" in other.session_state and other.multiselect(key="ws_flags").value == []
    for crit, value in BEN.items():
        other.slider(key=f"ws_w_{crit}").set_value(value)
    other.button(key="ws_submit").click()
    no_exception(other.run())
    assert participants.NAME_TAKEN in [e.value for e in other.error]
    assert "your weights were" not in _texts(other)
    assert _sliders(other) == BEN  # their own entries stay in the form
    # The device was registered when it opened the link, but its key owns no answer: nothing was stored.
    assert lifecycle.own_submission(code, other.session_state["p"], own_engine) is None
    # Ana's submission is untouched and the only one; nobody else's weights reached the page.
    subs = lifecycle.list_submissions(code, engine=own_engine)
    assert subs["participant"].tolist() == ["Ana Lopez"] and subs.iloc[0]["weights"] == ANA
    assert not _frames(other) or "Ana Lopez" not in _everything(other)


def test_the_private_link_resumes_its_own_answer_and_a_wrong_one_does_not(
        own_url: str, own_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    _, code = lifecycle.create_workshop("Come back", MATS, CRITS, engine=own_engine)
    ana = _submit(_join(own_url, monkeypatch, code), "Ana", ANA, ["ree"])
    token = ana.session_state["p"]
    assert participants.hash_token(token) not in token  # the page holds the token, the store its hash

    # The same link opened again (a reload, the same phone later): her own answer, ready to revise.
    again = _join(own_url, monkeypatch, code, token)
    assert "You take part as Ana" in _texts(again).replace("*", "")
    assert _sliders(again) == ANA and again.multiselect(key="ws_flags").value == ["ree"]
    assert again.button(key="ws_submit").label == "Revise my weights"
    assert f"p={token}" in " ".join(c.value for c in again.code)  # her private link, to use elsewhere
    again = _submit(again, None, BEN, [])
    assert "Thank you, Ana: your weights were revised" in _texts(again)
    subs = lifecycle.list_submissions(code, engine=own_engine)
    assert subs["participant"].tolist() == ["Ana"] and subs.iloc[0]["weights"] == BEN  # still one row

    # A wrong key resumes nothing: an empty form under a name of one's own.
    for wrong in ("made-up-key", token[:-1] + ("A" if token[-1] != "A" else "B")):
        stranger = _join(own_url, monkeypatch, code, wrong)
        assert "You take part as" not in _texts(stranger)
        assert stranger.text_input(key="ws_name").value == ""
        assert _sliders(stranger) != BEN and stranger.button(key="ws_submit").label == "Submit my weights"
    stranger = _submit(stranger, "Cy", ANA, [])
    assert "your weights were received" in _texts(stranger)
    assert stranger.session_state["p"] not in {token, wrong}
    assert lifecycle.list_submissions(code, engine=own_engine)["participant"].tolist() == ["Ana", "Cy"]


def test_a_closed_workshop_shows_the_public_only_the_group_result(
        own_url: str, own_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    _, code = lifecycle.create_workshop("Closed for all", MATS, CRITS, engine=own_engine)
    lifecycle.submit_weights(code, "Zelda Quorn", ANA, ["zinc"], engine=own_engine)
    lifecycle.submit_weights(code, "Yusuf Brannigan", BEN, engine=own_engine)
    lifecycle.close_workshop(code, engine=own_engine)
    expected = lifecycle.aggregate(code, engine=own_engine)

    public = _join(own_url, monkeypatch, code)
    assert "This workshop is closed" in _texts(public)
    pd.testing.assert_frame_equal(_frame(public, "Group rank", "Borda rank").reset_index(drop=True),
                                  records.ranking_frame(expected), check_dtype=False)
    shown = _everything(public)
    for name in ("Zelda Quorn", "Yusuf Brannigan"):
        assert name not in shown
    assert not any("Participant" in df.columns for df in _frames(public))  # no one's own weights or ranks
    assert "Partners who sign in also see who submitted what" in _texts(public)
    assert not {d.key for d in public.get("download_button")} & {f"wsp_{code}_json", f"wsp_{code}_xlsx"}

    # A signed-in partner sees the frozen record with its names.
    partner = _open(app_for(own_url, monkeypatch), "partner", ws_mode="closed", ws_closed=code)
    assert "Zelda Quorn" in _everything(partner)
    assert _frame(partner, "Participant", "Submitted at (UTC)")["Participant"].tolist() == [
        "Zelda Quorn", "Yusuf Brannigan"]


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_wrong_codes_are_throttled_per_session_and_per_address(
        own_url: str, own_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from components import workshop_view as view
    from rmo_data.access.throttle import Throttle

    clock = _Clock()
    monkeypatch.setattr(view, "SESSION_CODES", Throttle(limit=2, window_s=600, clock=clock, first_wait_s=30))
    monkeypatch.setattr(view, "ADDRESS_CODES", Throttle(limit=3, window_s=600, clock=clock, first_wait_s=60))
    monkeypatch.setattr(view.signin, "client_address", lambda: "203.0.113.9")
    _, code = lifecycle.create_workshop("Guarded", MATS, CRITS, engine=own_engine)
    lookups: list[str] = []
    real = lifecycle.get_workshop
    monkeypatch.setattr(lifecycle, "get_workshop", lambda c, engine=None: lookups.append(c) or real(c, engine))

    at = _open(app_for(own_url, monkeypatch))
    for wrong in ("ZZZZZ2", "ZZZZZ3"):
        at.text_input(key="join").input(wrong)
        no_exception(at.run())
        assert f"No workshop has the code {wrong}" in " ".join(e.value for e in at.error)
    no_exception(at.run())  # a rerun with the same wrong code is not counted again
    assert lookups == ["ZZZZZ2", "ZZZZZ3"]
    # Two wrong codes in this session: even the right one now waits 30 s, unlooked-up.
    at.text_input(key="join").input(code)
    no_exception(at.run())
    assert "Too many wrong codes from this device. Wait 30 seconds" in " ".join(e.value for e in at.error)
    assert lookups == ["ZZZZZ2", "ZZZZZ3"] and not at.subheader
    clock.now += 30
    no_exception(at.run())
    assert [h.value for h in at.subheader] == ["Guarded"]

    # A new session from the same address: one more wrong code reaches the address's limit.
    fresh = _open(app_for(own_url, monkeypatch))
    fresh.text_input(key="join").input("ZZZZZ4")
    no_exception(fresh.run())
    fresh.text_input(key="join").input(code)
    no_exception(fresh.run())
    assert "Too many wrong codes from this device. Wait 60 seconds" in " ".join(e.value for e in fresh.error)
    assert lookups[-1] == "ZZZZZ4"


def test_only_the_creator_or_an_editor_may_close(own_url: str, own_engine: Engine,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _, code = lifecycle.create_workshop("Someone else's", MATS, CRITS, engine=own_engine, actor="other.partner")
    partner = _open(app_for(own_url, monkeypatch), "partner", ws_mode="run", ws=code)
    assert _metric(partner, "Join code") == code  # they may follow it
    assert not [b for b in partner.button if b.key in {"ws_close", "ws_close_yes"}]
    assert "Only other.partner, who created this workshop, or an editor can close it" in _texts(partner)

    editor = _open(app_for(own_url, monkeypatch), "editor", ws_mode="run", ws=code)
    editor.button(key="ws_close").click()
    no_exception(editor.run())
    editor.button(key="ws_close_yes").click()
    no_exception(editor.run())
    assert "Workshop closed with 0 submission(s)" in _texts(editor)
    assert lifecycle.frozen_record(code, engine=own_engine)["workshop"]["closed_by"] == "eve.editor"


def _disk_full(*_args: object, **_kwargs: object) -> None:
    raise OperationalError("INSERT INTO participant_weights (workshop_id) VALUES (?)", {},
                           sqlite3.OperationalError("database or disk is full"))


def _one_plain_fault(at: AppTest, url: str) -> str:
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1, errors
    message = errors[0]
    assert "could not be saved because the server's disk is full" in message
    assert "Nothing was changed" in message
    for leak in ("INSERT", "OperationalError", "sqlite", url.split("///")[-1], ".db", "/"):
        assert leak not in message, leak
    return message


def test_a_store_fault_during_a_submission_is_one_plain_message(
        own_url: str, own_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    _, code = lifecycle.create_workshop("Full disk", MATS, CRITS, engine=own_engine)
    at = _join(own_url, monkeypatch, code)
    monkeypatch.setattr(lifecycle, "submit_weights", _disk_full)
    at = _submit(at, "Ana", ANA, ["zinc"])
    assert "Your weights could not be saved" in _one_plain_fault(at, own_url)
    assert _sliders(at) == ANA and at.multiselect(key="ws_flags").value == ["zinc"]  # entries kept
    assert at.text_input(key="ws_name").value == "Ana"
    assert lifecycle.list_submissions(code, engine=own_engine).empty


def test_a_store_fault_when_creating_or_closing_is_one_plain_message(
        own_url: str, own_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    fac = _open(app_for(own_url, monkeypatch), "partner", ws_mode="run")
    real_create = lifecycle.create_workshop
    monkeypatch.setattr(lifecycle, "create_workshop", _disk_full)
    fac.text_input(key="ws_new_name").input("Never made")
    fac.multiselect(key="ws_new_materials").set_value(MATS)
    fac.button(key="ws_create").click()
    no_exception(fac.run())
    assert "The new workshop could not be saved" in _one_plain_fault(fac, own_url)
    assert fac.session_state["ws"] == "" and fac.text_input(key="ws_new_name").value == "Never made"

    monkeypatch.setattr(lifecycle, "create_workshop", real_create)
    code = _create(fac, "Closes later")
    monkeypatch.setattr(lifecycle, "close_workshop", _disk_full)
    fac.button(key="ws_close").click()
    no_exception(fac.run())
    fac.button(key="ws_close_yes").click()
    no_exception(fac.run())
    assert "Closing the workshop could not be saved" in _one_plain_fault(fac, own_url)
    assert lifecycle.get_workshop(code, engine=own_engine)["status"] == "open"
