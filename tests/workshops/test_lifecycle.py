"""Workshops on real temporary stores: codes, submissions with their private tokens, closing.

Stores are SQLite files, or fresh PostgreSQL databases in the PostgreSQL run.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import Engine, insert, select, update

from rmo_data import constants
from rmo_data.store import schema
from rmo_data.store import writes
from rmo_data.workshops import group_result
from rmo_data.workshops import lifecycle
from rmo_data.workshops import participants
from tests.workshops.sample import CRITS, HAND, MATS, criteria_data


# --- codes ------------------------------------------------------------------------------

def test_codes_are_short_unambiguous_and_unique(engine: Engine) -> None:
    codes = {lifecycle.create_workshop(f"W{i}", MATS, CRITS, engine=engine)[1] for i in range(25)}
    assert len(codes) == 25
    for code in codes:
        assert re.fullmatch(r"[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{6}", code), code
    assert not set("01OI") & set(participants.CODE_ALPHABET)
    # Typed in lower case with spaces or a dash, a code still finds its workshop.
    code = sorted(codes)[0]
    assert lifecycle.get_workshop(f" {code[:3].lower()}-{code[3:]} ", engine=engine)["code"] == code


def test_a_taken_code_is_drawn_again(engine: Engine) -> None:
    _, first = lifecycle.create_workshop("First", MATS, CRITS, engine=engine, code_factory=lambda: "ABCDEF")
    drawn = iter(["ABCDEF", "ABCDEF", "XYZ234"])
    _, second = lifecycle.create_workshop("Second", MATS, CRITS, engine=engine,
                                          code_factory=lambda: next(drawn))
    assert (first, second) == ("ABCDEF", "XYZ234")
    with pytest.raises(ValueError, match="free join code"):
        lifecycle.create_workshop("Third", MATS, CRITS, engine=engine, code_factory=lambda: "ABCDEF")


def test_create_validates_and_audits(engine: Engine) -> None:
    with pytest.raises(ValueError, match="workshop name"):
        lifecycle.create_workshop("  ", MATS, CRITS, engine=engine)
    with pytest.raises(ValueError, match="at least 2 materials"):
        lifecycle.create_workshop("W", ["zinc"], CRITS, engine=engine)
    with pytest.raises(ValueError, match="Unknown materials: unobtainium"):
        lifecycle.create_workshop("W", ["zinc", "unobtainium"], CRITS, engine=engine)
    with pytest.raises(ValueError, match="Unknown criteria"):
        lifecycle.create_workshop("W", MATS, ["luck"], engine=engine)
    with pytest.raises(ValueError, match="at least one criterion"):
        lifecycle.create_workshop("W", MATS, [], engine=engine)
    new_id, code = lifecycle.create_workshop(" Board day ", MATS, ["auto_share", "severity"],
                                             engine=engine, actor="facilitator")
    ws = lifecycle.get_workshop(code, engine=engine)
    assert (ws["id"], ws["name"], ws["status"]) == (new_id, "Board day", "open")
    assert ws["created_by"] == "facilitator"
    assert ws["criteria"] == ["auto_share", "severity"]  # the order of constants.CRITERIA
    audit = writes.audit_rows("workshop", engine=engine)
    assert audit["action"].tolist() == ["create"] and audit["actor"].tolist() == ["facilitator"]
    with pytest.raises(ValueError, match="No workshop has the code"):
        lifecycle.get_workshop("ZZZZZZ", engine=engine)
    with pytest.raises(ValueError, match="is not a join code"):
        lifecycle.get_workshop("hello", engine=engine)


# --- submissions --------------------------------------------------------------------------

def test_submit_then_revise_with_the_token_keeps_one_row(engine: Engine) -> None:
    _, code = lifecycle.create_workshop("W", MATS, CRITS, engine=engine)
    first = lifecycle.submit_weights(code, "  Ana  María ", {"severity": 8, "auto_share": 2}, ["zinc"],
                                     engine=engine)
    assert first["participant"] == "Ana María" and not first["revised"]
    token = first["token"]
    assert isinstance(token, str) and len(token) >= 20
    second = lifecycle.submit_weights(code, None, {"severity": 1, "auto_share": 9},
                                      ["nickel", "graphite"], engine=engine, token=token)
    assert second["revised"] and second["participant"] == "Ana María" and second["token"] == token
    assert second["submitted_at"] >= first["submitted_at"]
    subs = lifecycle.list_submissions(code, engine=engine)
    assert len(subs) == 1
    row = subs.iloc[0]
    assert row["weights"] == {"severity": 1, "auto_share": 9}
    assert row["flagged"] == ["nickel", "graphite"]
    audit = writes.audit_rows("participant_weights", engine=engine)
    assert audit["action"].tolist() == ["create", "update"]
    assert json.loads(audit["before_json"].iloc[1])["weights"] == {"severity": 8, "auto_share": 2}
    # The store keeps the token's hash only; neither the row nor the audit log holds the token.
    with engine.connect() as conn:
        stored = conn.execute(select(schema.participant_weights.c.token_hash)).scalars().all()
    assert stored == [participants.hash_token(token)] and token not in stored[0]
    assert not audit["after_json"].str.contains(token).any()
    assert not audit["after_json"].str.contains(stored[0]).any()


@pytest.mark.parametrize("other", ["ana maría", "ANA MARÍA ", " Ana   María"])
def test_a_name_alone_never_reopens_a_submission(engine: Engine, other: str) -> None:
    """The same name in another case or spacing is refused: it neither reads nor replaces the first."""
    _, code = lifecycle.create_workshop("W", MATS, CRITS, engine=engine)
    lifecycle.submit_weights(code, "Ana María", {"severity": 8, "auto_share": 2}, ["zinc"], engine=engine)
    assert lifecycle.name_taken(code, other, engine=engine)
    assert not lifecycle.name_taken(code, "Ana M.", engine=engine)
    with pytest.raises(ValueError, match="That name is taken in this workshop; add an initial"):
        lifecycle.submit_weights(code, other, {"severity": 1, "auto_share": 9}, engine=engine)
    subs = lifecycle.list_submissions(code, engine=engine)
    assert subs["participant"].tolist() == ["Ana María"]
    assert subs.iloc[0]["weights"] == {"severity": 8, "auto_share": 2}
    assert writes.audit_rows("participant_weights", engine=engine)["action"].tolist() == ["create"]


def test_only_the_owning_token_revises_or_reads(engine: Engine) -> None:
    _, code = lifecycle.create_workshop("W", MATS, CRITS, engine=engine)
    _, other_code = lifecycle.create_workshop("Other", MATS, CRITS, engine=engine)
    ana = lifecycle.submit_weights(code, "Ana", {"severity": 8, "auto_share": 2}, ["zinc"], engine=engine)
    ben = lifecycle.submit_weights(other_code, "Ben", {"severity": 3, "auto_share": 3}, engine=engine)
    mine = lifecycle.own_submission(code, ana["token"], engine=engine)
    assert mine is not None and mine["participant"] == "Ana"
    assert mine["weights"] == {"severity": 8, "auto_share": 2} and mine["flagged"] == ["zinc"]
    # A made-up token, one of another workshop, an empty one or a huge one owns nothing here.
    for wrong in ("not-a-token", ben["token"], "", "x" * 5000, None):
        assert lifecycle.own_submission(code, wrong, engine=engine) is None
    for wrong in ("not-a-token", ben["token"], "", "x" * 5000):
        with pytest.raises(ValueError, match="private link"):
            lifecycle.submit_weights(code, "Ana", {"severity": 1}, engine=engine, token=wrong)
    assert lifecycle.list_submissions(code, engine=engine).iloc[0]["weights"] == {"severity": 8, "auto_share": 2}
    assert lifecycle.list_submissions(other_code, engine=engine)["participant"].tolist() == ["Ben"]
    # Every new participant gets a token of their own.
    cy = lifecycle.submit_weights(code, "Cy", {"severity": 5}, engine=engine)
    assert cy["token"] not in {ana["token"], ben["token"]}


@pytest.mark.parametrize(("name", "weights", "flagged", "message"), [
    ("", {"severity": 5}, [], "Give your name"),
    ("x" * 61, {"severity": 5}, [], "too long"),
    ("Bo", {"severity": 0, "auto_share": 0}, [], "All your weights are zero"),
    ("Bo", {"severity": 11}, [], "whole number from 0 to 10"),
    ("Bo", {"severity": 2.5}, [], "whole number"),
    ("Bo", {"supply_risk": 5}, [], "does not weigh: EU supply risk"),
    ("Bo", {"severity": 5}, ["tantalum"], "Only materials of this workshop"),
    ("Bo", {"severity": 5}, ["zinc", "nickel", "graphite", "zinc"], None),  # duplicates collapse: 3 is fine
])
def test_bad_submissions_are_refused(engine: Engine, name: str, weights: dict, flagged: list,
                                     message: str | None) -> None:
    _, code = lifecycle.create_workshop("W", MATS, CRITS, engine=engine)
    if message is None:
        assert lifecycle.submit_weights(code, name, weights, flagged, engine=engine)["flagged"] == MATS
        return
    with pytest.raises(ValueError, match=message):
        lifecycle.submit_weights(code, name, weights, flagged, engine=engine)
    assert lifecycle.list_submissions(code, engine=engine).empty


def test_too_many_flags_are_refused(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(schema.material).values(slug="zinc2", name="Zinc 2", short_name="Z2", sort_order=9,
                                               source_id="rep"))
    _, code = lifecycle.create_workshop("W", [*MATS, "zinc2"], CRITS, engine=engine)
    with pytest.raises(ValueError, match="at most 3"):
        lifecycle.submit_weights(code, "Bo", {"severity": 5}, [*MATS, "zinc2"], engine=engine)


# --- closing --------------------------------------------------------------------------------

def test_close_freezes_the_record_and_refuses_later_writes(engine: Engine) -> None:
    _, code = lifecycle.create_workshop("Frozen", MATS, CRITS, engine=engine, actor="facilitator")
    ana = lifecycle.submit_weights(code, "Ana", {"severity": 9, "auto_share": 1}, ["zinc"], engine=engine)
    lifecycle.submit_weights(code, "Ben", {"severity": 2, "auto_share": 8}, engine=engine)
    live = lifecycle.aggregate(code, engine=engine, criteria=HAND)
    record = lifecycle.close_workshop(code, engine=engine, actor="facilitator", criteria=HAND)
    stored = lifecycle.get_workshop(code, engine=engine)
    assert stored["status"] == "closed" and stored["closed_at"] is not None
    assert stored["record"] == record
    assert [s["participant"] for s in record["submissions"]] == ["Ana", "Ben"]
    assert all(s["submitted_at"].endswith("+00:00") for s in record["submissions"])
    assert record["result"] == live.to_record()  # the frozen result is the live one at closing
    assert record["workshop"]["closed_by"] == "facilitator"

    with pytest.raises(ValueError, match="was closed on .* it takes no more submissions"):
        lifecycle.submit_weights(code, None, {"severity": 1, "auto_share": 9}, engine=engine,
                                 token=ana["token"])
    with pytest.raises(ValueError, match="was closed"):
        lifecycle.submit_weights(code, "Cy", {"severity": 5}, engine=engine)
    with pytest.raises(ValueError, match="already closed"):
        lifecycle.close_workshop(code, engine=engine, actor="facilitator", criteria=HAND)

    # Even if rows changed behind the app's back, a closed workshop reads its record, not the rows.
    with engine.begin() as conn:
        conn.execute(update(schema.participant_weights).values(weights_json=json.dumps({"severity": 10})))
    other = criteria_data({m: {"severity": 0.3, "auto_share": 0.9 - i / 10} for i, m in enumerate(MATS)})
    again = lifecycle.aggregate(code, engine=engine, criteria=other)
    assert again.to_record() == record["result"]
    subs = lifecycle.list_submissions(code, engine=engine)
    assert subs.set_index("participant").at["Ana", "weights"] == {"severity": 9, "auto_share": 1}
    assert lifecycle.frozen_record(code, engine=engine) == record
    audit = writes.audit_rows("workshop", engine=engine)
    assert audit["action"].tolist() == ["create", "close"]
    assert json.loads(audit["after_json"].iloc[-1])["submissions"] == 2


def test_only_its_creator_or_an_editor_may_close_a_workshop(engine: Engine) -> None:
    _, code = lifecycle.create_workshop("Mine", MATS, CRITS, engine=engine, actor="pat.partner")
    ws = lifecycle.get_workshop(code, engine=engine)
    assert participants.may_close(ws, "pat.partner", "partner")
    assert participants.may_close(ws, "eve.editor", "editor")
    assert not participants.may_close(ws, "other.partner", "partner")
    assert not participants.may_close(ws, "pat.partner", "public")
    with pytest.raises(ValueError, match="Only pat.partner, who created the workshop “Mine”, or an editor"):
        lifecycle.close_workshop(code, engine=engine, actor="other.partner", role="partner", criteria=HAND)
    assert lifecycle.get_workshop(code, engine=engine)["status"] == "open"
    assert writes.audit_rows("workshop", engine=engine)["action"].tolist() == ["create"]
    record = lifecycle.close_workshop(code, engine=engine, actor="eve.editor", role="editor", criteria=HAND)
    assert record["workshop"]["closed_by"] == "eve.editor"
    # A workshop from before creators were recorded may be closed by any partner.
    _, old = lifecycle.create_workshop("Old", MATS, CRITS, engine=engine)
    with engine.begin() as conn:
        conn.execute(update(schema.workshop).where(schema.workshop.c.code == old).values(created_by=None))
    assert participants.may_close(lifecycle.get_workshop(old, engine=engine), "anyone", "partner")
    lifecycle.close_workshop(old, engine=engine, actor="anyone", role="partner", criteria=HAND)


def test_open_workshop_has_no_frozen_record(engine: Engine) -> None:
    _, code = lifecycle.create_workshop("Open", MATS, CRITS, engine=engine)
    with pytest.raises(ValueError, match="still open"):
        lifecycle.frozen_record(code, engine=engine)


def test_closing_with_no_submission_keeps_the_model_default(engine: Engine) -> None:
    _, code = lifecycle.create_workshop("Empty", MATS, CRITS, engine=engine)
    record = lifecycle.close_workshop(code, engine=engine, criteria=HAND)
    result = group_result.GroupResult.from_record(record["result"])
    assert result.n == 0 and result.group_weights == {}
    assert result.ranking["rank"].isna().all()
    # Balanced: severity and auto_share weigh the same: zinc .5, nickel .5, graphite .375.
    assert result.ranking["default_rank"].tolist() == [1, 1, 3]
    assert result.group_order() == ["zinc", "nickel", "graphite"]


def test_default_actor_constant_is_used(engine: Engine) -> None:
    lifecycle.create_workshop("W", MATS, CRITS, engine=engine)
    assert writes.audit_rows("workshop", engine=engine)["actor"].tolist() == [constants.DEFAULT_ACTOR]



def test_first_owned_tries_each_token_once_and_returns_the_owner(engine: Engine) -> None:
    _, code = lifecycle.create_workshop("W", MATS, CRITS, engine=engine)
    ana = lifecycle.submit_weights(code, "Ana", {"severity": 8, "auto_share": 2}, ["zinc"], engine=engine)
    token, row = lifecycle.first_owned(code, [None, "", "made-up", ana["token"]], engine=engine)
    assert token == ana["token"] and row is not None and row["participant"] == "Ana"
    assert row["weights"] == {"severity": 8, "auto_share": 2} and row["flagged"] == ["zinc"]
    assert lifecycle.first_owned(code, [None, "made-up", "made-up"], engine=engine) == (None, None)
    assert lifecycle.first_owned(code, [], engine=engine) == (None, None)


def test_result_of_computes_an_open_workshop_and_reads_a_closed_one(engine: Engine) -> None:
    _, code = lifecycle.create_workshop("W", MATS, CRITS, engine=engine)
    lifecycle.submit_weights(code, "Ana", {"severity": 9, "auto_share": 1}, engine=engine)
    ws = lifecycle.get_workshop(code, engine=engine)
    live = lifecycle.result_of(ws, engine, HAND)
    assert live.n == 1 and live.to_record() == lifecycle.aggregate(code, engine=engine, criteria=HAND).to_record()
    record = lifecycle.close_workshop(code, engine=engine, criteria=HAND)
    other = criteria_data({m: {"severity": 0.3, "auto_share": 0.9 - i / 10} for i, m in enumerate(MATS)})
    frozen = lifecycle.result_of(lifecycle.get_workshop(code, engine=engine), engine, other)
    assert frozen.to_record() == record["result"] == live.to_record()  # never recomputed
