"""AppTest: the facilitator sees how far the group agrees (Kendall's W and its band, the criteria most apart).

Three participants submit through ``lifecycle`` on a private copy of the
built store; the live facilitator view, the presentation view and the
frozen record show the W that ``consensus.kendall_w`` gives for the three
participants' own rankings.  A record frozen before the figure existed
(its ``consensus`` taken out of the stored JSON) says it was not computed.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, update
from streamlit.testing.v1 import AppTest

from components.workshop_consensus import AGREEMENT_LABEL
from rmo_data import constants
from rmo_data.store import schema
from rmo_data.workshops import consensus, lifecycle, records, rounds
from tests.apptest import app_for, no_exception
from tests.signin import sign_in

PAGE = "pages/workshop.py"
MATS = ["nickel", "graphite", "ree", "zinc", "tantalum"]
CRITS = ["auto_share", "processing_hhi", "severity", "social_breadth"]
WEIGHTS = {"Ana": {"auto_share": 2, "processing_hhi": 9, "severity": 3, "social_breadth": 1},
           "Ben": {"auto_share": 8, "processing_hhi": 1, "severity": 10, "social_breadth": 6},
           "Cy": {"auto_share": 5, "processing_hhi": 5, "severity": 5, "social_breadth": 5}}


def _facilitator(url: str, monkeypatch: pytest.MonkeyPatch, **values: object) -> AppTest:
    at = app_for(url, monkeypatch)
    no_exception(at.run())
    sign_in(at, "partner")
    for key, value in values.items():
        at.session_state[key] = value
    at.switch_page(PAGE)
    return no_exception(at.run())


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_the_facilitator_sees_kendalls_w_of_three_submissions(own_url: str, own_engine: Engine,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _, code = lifecycle.create_workshop("Agreement check", MATS, CRITS, engine=own_engine)
    for name, weights in WEIGHTS.items():
        lifecycle.submit_weights(code, name, weights, [], engine=own_engine)
    expected = lifecycle.aggregate(code, engine=own_engine)
    # W from the participants' own rankings, recomputed here from their scores.
    w = consensus.kendall_w(consensus.mid_ranks(expected.participant_ranks, expected.materials).to_numpy())
    assert w is not None and expected.consensus is not None and expected.consensus["w"] == pytest.approx(w)
    shown = f"{w:.2f} ({consensus.band(w)})"

    fac = _facilitator(own_url, monkeypatch, ws_mode="run", ws=code)
    assert _metric(fac, "Submitted") == "3"
    assert _metric(fac, AGREEMENT_LABEL) == shown
    apart = records.apart_text(expected)
    assert f"Weights furthest apart: {apart}" in _markdown(fac).replace("*", "")
    # Ana and Ben are furthest apart on processing concentration: it is named first.
    assert expected.consensus["most_disagreed"][0]["criterion"] == "processing_hhi"
    assert apart.startswith(constants.CRITERION_LABELS["processing_hhi"])

    # The projector shows it too, once the facilitator has revealed the result to the room.
    fac.session_state["present"] = 1
    no_exception(fac.run())
    assert not [m for m in fac.metric if m.label == AGREEMENT_LABEL]  # hidden until the reveal
    rounds.reveal(code, engine=own_engine)
    no_exception(fac.run())
    assert _metric(fac, AGREEMENT_LABEL) == shown

    # Frozen at closing, and read back from the record.
    fac.session_state["present"] = 0
    lifecycle.close_workshop(code, engine=own_engine)
    no_exception(fac.run())
    assert lifecycle.frozen_record(code, engine=own_engine)["result"]["consensus"] == expected.consensus
    assert _metric(fac, AGREEMENT_LABEL) == shown
    sheet = records.record_frames(lifecycle.frozen_record(code, engine=own_engine))["Workshop"]
    assert shown in sheet["Value"].tolist()


def test_an_older_record_says_the_figure_was_not_computed(own_url: str, own_engine: Engine,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _, code = lifecycle.create_workshop("Before the figure", MATS, CRITS, engine=own_engine)
    for name in ("Ana", "Ben"):
        lifecycle.submit_weights(code, name, WEIGHTS[name], [], engine=own_engine)
    record = lifecycle.close_workshop(code, engine=own_engine)
    # A record as frozen before this change: no consensus key at all.
    del record["result"]["consensus"]
    with own_engine.begin() as conn:
        conn.execute(update(schema.workshop).where(schema.workshop.c.code == code)
                     .values(result_json=json.dumps(record, sort_keys=True)))
    fac = _facilitator(own_url, monkeypatch, ws_mode="closed", ws_closed=code)
    assert _metric(fac, AGREEMENT_LABEL) == records.NOT_COMPUTED
    assert f"Weights furthest apart: {records.NOT_COMPUTED}" in _markdown(fac).replace("*", "")
    assert records.record_frames(lifecycle.frozen_record(code, engine=own_engine))["Workshop"]["Value"] \
        .tolist().count(records.NOT_COMPUTED) == 2
