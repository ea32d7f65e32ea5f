"""Workshops on real temporary stores: codes, upserts, closing, the aggregation, 20 writers at once.

Stores are SQLite files, or fresh PostgreSQL databases in the PostgreSQL run.
The aggregation test works a three-participant case out by hand (shares,
means, scores, Borda points) and compares it with ``aggregate_from``.  The
concurrency test starts 20 processes that submit at the same moment against
one SQLite file in WAL mode, with the app's own engine settings; the two
smaller crowds also run against PostgreSQL.
"""

from __future__ import annotations

import io
import json
import multiprocessing as mp
import queue
import re
import sys
import time
import types
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import OperationalError

from rmo_data import constants
from rmo_data.store import schema
from rmo_data.store import writes
from rmo_data.workshops import group_result
from rmo_data.workshops import lifecycle
from rmo_data.workshops import participants
from rmo_data.workshops import records
from rmo_data.store import workshops as workshop_store
from rmo_data.store.engine import make_engine
from rmo_data.analysis.scoring import CriteriaData

MATS = ["zinc", "nickel", "graphite"]
CRITS = ["severity", "auto_share"]


def _seed(engine: Engine) -> Engine:
    """The schema plus a source and the three materials the workshops use."""
    with engine.begin() as conn:
        conn.execute(insert(schema.source).values(id="rep", title="Test report", publisher="Test", kind="report"))
        conn.execute(insert(schema.material), [
            {"slug": m, "name": m.title(), "short_name": m.title(), "sort_order": i, "source_id": "rep"}
            for i, m in enumerate(MATS)])
    return engine


@pytest.fixture()
def engine(empty_engine: Engine) -> Engine:
    return _seed(empty_engine)


def _criteria(raw: dict[str, dict[str, float]]) -> CriteriaData:
    """Hand-made criterion values (materials × criteria) with a name per material and one source."""
    frame = pd.DataFrame(raw).T.astype(float)
    context = pd.DataFrame({"name": [m.title() for m in frame.index]}, index=frame.index)
    return CriteriaData(raw=frame, detail=frame.map(lambda _: ""), context=context,
                        sources={c: ["Test report"] for c in frame.columns},
                        years={c: [2024] for c in frame.columns})


# Values already on 0-1 with 0 and 1 present, so min-max scaling leaves them as they are.
HAND = _criteria({"zinc": {"severity": 1.0, "auto_share": 0.0},
                  "nickel": {"severity": 0.0, "auto_share": 1.0},
                  "graphite": {"severity": 0.5, "auto_share": 0.25}})


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
    other = _criteria({m: {"severity": 0.3, "auto_share": 0.9 - i / 10} for i, m in enumerate(MATS)})
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


def test_exports_hold_every_sheet(engine: Engine) -> None:
    _, code = lifecycle.create_workshop("Export =1+1", MATS, CRITS, engine=engine)
    lifecycle.submit_weights(code, "=cmd()", {"severity": 9, "auto_share": 1}, ["zinc"], engine=engine)
    record = lifecycle.close_workshop(code, engine=engine, criteria=HAND)
    book = pd.read_excel(io.BytesIO(records.record_xlsx(record)), sheet_name=None)
    assert list(book) == ["Workshop", "Group ranking", "Criterion spread", "Submissions", "Participant rankings"]
    assert book["Submissions"]["Participant"].tolist() == ["'=cmd()"]  # quoted text, not a formula
    assert book["Submissions"]["Severity (0–10)"].tolist() == [9]
    assert book["Group ranking"]["Material"].tolist() == ["Zinc", "Graphite", "Nickel"]
    assert json.loads(records.record_json(record)) == record


# --- aggregation, worked out by hand ------------------------------------------------------------

def test_aggregation_matches_a_hand_computation() -> None:
    ws = {"code": "ABCDEF", "name": "Hand", "materials": MATS, "criteria": CRITS}
    subs = pd.DataFrame([
        {"participant": "P1", "weights": {"severity": 10, "auto_share": 0}, "flagged": ["zinc"],
         "submitted_at": None},
        {"participant": "P2", "weights": {"severity": 0, "auto_share": 5}, "flagged": ["nickel", "zinc"],
         "submitted_at": None},
        {"participant": "P3", "weights": {"severity": 6, "auto_share": 4}, "flagged": [],
         "submitted_at": None},
    ])
    result = group_result.aggregate_from(ws, subs, HAND)
    # Shares: P1 (1, 0), P2 (0, 1), P3 (.6, .4) -> mean severity 1.6/3, auto_share 1.4/3.
    assert result.group_weights == pytest.approx({"severity": 1.6 / 3, "auto_share": 1.4 / 3})
    # Group scores: zinc = 1.6/3, nickel = 1.4/3, graphite = .5*1.6/3 + .25*1.4/3 = 1.15/3.
    r = result.ranking.set_index("material")
    assert r["score"].to_dict() == pytest.approx({"zinc": 1.6 / 3, "nickel": 1.4 / 3, "graphite": 1.15 / 3})
    assert result.ranking["material"].tolist() == ["zinc", "nickel", "graphite"]
    assert r["rank"].to_dict() == {"zinc": 1, "nickel": 2, "graphite": 3}
    # Own rankings: P1 zinc 1, graphite .5, nickel 0 -> Borda 2, 1, 0.
    # P2 nickel 1, graphite .25, zinc 0 -> Borda nickel 2, graphite 1, zinc 0.
    # P3 zinc .6, nickel .4, graphite .3 + .1 = .4 -> zinc 2; nickel and graphite tie for
    # second and third place and share 1 + 0 points: .5 each.
    assert r["borda_points"].to_dict() == pytest.approx({"zinc": 4.0, "nickel": 2.5, "graphite": 2.5})
    assert r["borda_rank"].to_dict() == {"zinc": 1, "nickel": 2, "graphite": 2}
    # Rank spread: zinc 1, 3, 1; nickel 3, 1, 2 (tie shares the better rank); graphite 2, 2, 2.
    assert r["rank_best"].to_dict() == {"zinc": 1, "nickel": 1, "graphite": 2}
    assert r["rank_worst"].to_dict() == {"zinc": 3, "nickel": 3, "graphite": 2}
    assert r["rank_range"].to_dict() == {"zinc": 2, "nickel": 2, "graphite": 0}
    assert not r["disagree"].any()  # a range of 2 stays under the 3-place threshold
    assert r["flagged_by"].to_dict() == {"zinc": 2, "nickel": 1, "graphite": 0}
    # Contributions add up to the score.
    assert (r["severity"] + r["auto_share"]).to_dict() == pytest.approx(r["score"].to_dict())
    # Model default: equal weights -> zinc .5, nickel .5, graphite .375.
    assert r["default_rank"].to_dict() == {"zinc": 1, "nickel": 1, "graphite": 3}
    assert result.default_weights == {"severity": 0.5, "auto_share": 0.5}
    # Spread of the severity share: values 1, 0, .6; mean 1.6/3; population std.
    spread = result.spread.set_index("criterion")
    mean = 1.6 / 3
    std = (((1 - mean) ** 2 + mean ** 2 + (0.6 - mean) ** 2) / 3) ** 0.5
    assert spread.at["severity", "mean"] == pytest.approx(mean)
    assert spread.at["severity", "std"] == pytest.approx(std)
    assert (spread.at["severity", "min"], spread.at["severity", "max"]) == (0.0, 1.0)
    assert spread.at["severity", "q1"] == pytest.approx(0.3) and spread.at["severity", "q3"] == pytest.approx(0.8)
    assert spread.at["severity", "iqr"] == pytest.approx(0.5)
    assert spread["disagree"].all()
    # The record survives JSON unchanged.
    again = group_result.GroupResult.from_record(json.loads(json.dumps(result.to_record())))
    assert again.to_record() == result.to_record()
    pd.testing.assert_frame_equal(again.ranking, result.ranking)
    assert result.pack_weights() == {"severity": 53.3, "auto_share": 46.7}


def test_borda_points_share_ties() -> None:
    points = group_result.borda_points(pd.Series({"a": 0.9, "b": 0.5, "c": 0.5, "d": 0.1}))
    assert points.to_dict() == {"a": 3.0, "b": 1.5, "c": 1.5, "d": 0.0}
    assert points.sum() == 4 * 3 / 2


def test_a_wide_rank_range_is_a_disagreement() -> None:
    mats = ["a", "b", "c", "d"]
    crit = _criteria({"a": {"severity": 1.0, "auto_share": 0.0}, "b": {"severity": 0.7, "auto_share": 0.2},
                      "c": {"severity": 0.3, "auto_share": 0.6}, "d": {"severity": 0.0, "auto_share": 1.0}})
    subs = pd.DataFrame([
        {"participant": "A", "weights": {"severity": 10, "auto_share": 0}, "flagged": [], "submitted_at": None},
        {"participant": "B", "weights": {"severity": 0, "auto_share": 10}, "flagged": [], "submitted_at": None},
    ])
    result = group_result.aggregate_from({"code": "ABCDEF", "name": "Split", "materials": mats,
                                       "criteria": CRITS}, subs, crit)
    r = result.ranking.set_index("material")
    assert r.at["a", "rank_range"] == 3 and r.at["a", "disagree"]
    assert r.at["d", "rank_range"] == 3 and r.at["d", "disagree"]
    assert not r.at["b", "disagree"]


# --- concurrency -------------------------------------------------------------------------------

WRITERS = 20
REVISERS = 6  # the first six writers submit twice
# Spawned children import pandas and SQLAlchemy before they reach the start line; on a busy
# 2-core CI machine twenty of them can take minutes to start. The start line still releases
# them together, so a generous start-up allowance does not weaken the test.
STARTUP_S = 600


def _weights(index: int, version: int) -> dict[str, int]:
    """Distinct weights per writer and version, so the kept row can be checked."""
    return {"severity": (index + version) % 10 + 1, "auto_share": (index * 3 + version * 5) % 11}


def _writer(url: str, code: str, index: int, start: object, results: object) -> None:
    """One participant in its own process: wait for the start, submit (and maybe revise)."""
    engine = make_engine(url)
    try:
        start.wait(timeout=STARTUP_S)  # type: ignore[attr-defined]
        token = None
        for version in (0, 1) if index < REVISERS else (0,):
            # The first submission hands back the token; the revision is made with it.
            token = lifecycle.submit_weights(code, f"Participant {index:02d}", _weights(index, version),
                                             [MATS[index % 3]], engine=engine, token=token)["token"]
        results.put((index, "ok", ""))  # type: ignore[attr-defined]
    except BaseException as err:  # noqa: BLE001 - reported to the parent, which fails the test
        results.put((index, "error", repr(err)))  # type: ignore[attr-defined]
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.sqlite_only(reason="twenty writers on one SQLite file in WAL mode; PostgreSQL's row lock "
                                 "is raced by the two crowd tests below")
def test_twenty_simultaneous_writers_lose_nothing(empty_url: str) -> None:
    url, engine = _fresh_store(empty_url)
    _, code = lifecycle.create_workshop("Crowd", MATS, CRITS, engine=engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    outcomes = _crowd(url, [(_writer, (code, i)) for i in range(WRITERS)])
    assert [o for o in outcomes if o[1] != "ok"] == []
    assert sorted(o[0] for o in outcomes) == list(range(WRITERS))

    subs = lifecycle.list_submissions(code, engine=engine).set_index("participant")
    assert len(subs) == WRITERS
    for i in range(WRITERS):
        latest = 1 if i < REVISERS else 0
        assert subs.at[f"Participant {i:02d}", "weights"] == _weights(i, latest), i
    with engine.connect() as conn:
        rows = conn.execute(select(schema.participant_weights.c.id)).all()
    assert len(rows) == WRITERS
    audit = writes.audit_rows("participant_weights", engine=engine)
    assert (audit["action"] == "create").sum() == WRITERS
    assert (audit["action"] == "update").sum() == REVISERS
    engine.dispose()


def _same_name_writer(url: str, code: str, index: int, start: object, results: object) -> None:
    """One of several devices submitting at once as a new participant under one name (case varies)."""
    engine = make_engine(url)
    try:
        start.wait(timeout=STARTUP_S)  # type: ignore[attr-defined]
        name = "Same Person" if index % 2 else "same PERSON"
        out = lifecycle.submit_weights(code, name, _weights(index, 0), engine=engine)
        results.put((index, "ok", json.dumps(out["weights"])))  # type: ignore[attr-defined]
    except ValueError as err:
        results.put((index, "refused", str(err)))  # type: ignore[attr-defined]
    except BaseException as err:  # noqa: BLE001 - reported to the parent, which fails the test
        results.put((index, "error", repr(err)))  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def _closer(url: str, code: str, start: object, results: object) -> None:
    """The facilitator closing the workshop while participants are still submitting."""
    engine = make_engine(url)
    try:
        start.wait(timeout=STARTUP_S)  # type: ignore[attr-defined]
        lifecycle.close_workshop(code, engine=engine, criteria=HAND)
        results.put((-1, "ok", ""))  # type: ignore[attr-defined]
    except BaseException as err:  # noqa: BLE001
        results.put((-1, "error", repr(err)))  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def _late_writer(url: str, code: str, index: int, start: object, results: object) -> None:
    """A participant who may submit just before or just after the close."""
    engine = make_engine(url)
    try:
        start.wait(timeout=STARTUP_S)  # type: ignore[attr-defined]
        lifecycle.submit_weights(code, f"Late {index:02d}", _weights(index, 0), engine=engine)
        results.put((index, "ok", ""))  # type: ignore[attr-defined]
    except ValueError as err:
        results.put((index, "refused", str(err)))  # type: ignore[attr-defined]
    except BaseException as err:  # noqa: BLE001
        results.put((index, "error", repr(err)))  # type: ignore[attr-defined]
    finally:
        engine.dispose()


class _StartLine:
    """Holds spawned processes until all are ready, then releases them within a millisecond or two.

    Every child reports ready and polls a flag; the parent raises the flag once all
    have reported.  Unlike ``multiprocessing.Barrier``, the parent sees a child that
    died before the start (its exit code) and fails at once instead of leaving the
    others waiting for the full start-up allowance.
    """

    def __init__(self, ctx: Any) -> None:
        self.ready = ctx.Queue()
        self.go = ctx.Event()

    def wait(self, timeout: float) -> None:
        self.ready.put(1)
        deadline = time.monotonic() + timeout
        while not self.go.is_set():
            if time.monotonic() > deadline:
                raise TimeoutError("the other processes never got ready")
            time.sleep(0.001)

    def release_when_ready(self, procs: list[Any], timeout: float) -> None:
        deadline, ready = time.monotonic() + timeout, 0
        while ready < len(procs):
            try:
                self.ready.get(timeout=1)
                ready += 1
            except queue.Empty:
                dead = [p.exitcode for p in procs if p.exitcode is not None]
                assert not dead, f"{len(dead)} process(es) died before the start, exit codes {dead}"
                assert time.monotonic() < deadline, f"only {ready} of {len(procs)} processes got ready"
        self.go.set()


def _crowd(url: str, jobs: list[tuple]) -> list[tuple]:
    """Start one spawned process per job, release them together, return what each reported."""
    ctx = mp.get_context("spawn")
    start, results = _StartLine(ctx), ctx.Queue()
    procs = [ctx.Process(target=t, args=(url, *args, start, results)) for t, args in jobs]
    # Streamlit's script runner (the AppTest page tests earlier in the session) leaves app.py
    # installed as __main__, and a spawned child runs its parent's __main__ again: twenty
    # children would each run the app and build its default store. Start them with a bare one.
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        for proc in procs:
            proc.start()
    finally:
        sys.modules["__main__"] = main
    start.release_when_ready(procs, timeout=STARTUP_S)
    outcomes = [results.get(timeout=STARTUP_S + 120) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
    assert [p.exitcode for p in procs] == [0] * len(procs)
    return outcomes


def _fresh_store(url: str) -> tuple[str, Engine]:
    """The run's fresh store (a SQLite file or a PostgreSQL database) with the workshops' materials."""
    return url, _seed(make_engine(url))


@pytest.mark.slow
def test_simultaneous_first_submissions_under_one_name_make_one_row(empty_url: str) -> None:
    """Several devices submit the same new name at once: one gets it, the others are told it is taken."""
    url, engine = _fresh_store(empty_url)
    _, code = lifecycle.create_workshop("One name", MATS, CRITS, engine=engine)
    outcomes = _crowd(url, [(_same_name_writer, (code, i)) for i in range(8)])
    assert [o for o in outcomes if o[1] == "error"] == []
    winners = [o for o in outcomes if o[1] == "ok"]
    refused = [o for o in outcomes if o[1] == "refused"]
    assert len(winners) == 1 and len(refused) == 7
    assert all(o[2] == participants.NAME_TAKEN for o in refused)
    subs = lifecycle.list_submissions(code, engine=engine)
    assert len(subs) == 1 and participants.name_key(subs.iloc[0]["participant"]) == "same person"
    audit = writes.audit_rows("participant_weights", engine=engine)
    assert audit["action"].tolist() == ["create"]
    # The row holds the winner's weights, untouched by the others.
    assert subs.iloc[0]["weights"] == json.loads(winners[0][2])
    engine.dispose()


@pytest.mark.slow
def test_a_close_during_submissions_loses_nothing(empty_url: str) -> None:
    """Each submission lands in the frozen record or is refused as late: none is half in."""
    url, engine = _fresh_store(empty_url)
    _, code = lifecycle.create_workshop("Race", MATS, CRITS, engine=engine)
    jobs = [(_late_writer, (code, i)) for i in range(12)]
    jobs.insert(6, (_closer, (code,)))
    outcomes = _crowd(url, jobs)
    assert [o for o in outcomes if o[1] == "error"] == []
    accepted = {f"Late {o[0]:02d}" for o in outcomes if o[1] == "ok" and o[0] >= 0}
    refused = [o for o in outcomes if o[1] == "refused"]
    assert all("was closed" in o[2] for o in refused)
    assert len(accepted) + len(refused) == 12
    record = lifecycle.frozen_record(code, engine=engine)
    assert {s["participant"] for s in record["submissions"]} == accepted
    assert record["result"]["n"] == len(accepted)
    with engine.connect() as conn:
        rows = conn.execute(select(schema.participant_weights.c.participant)).scalars().all()
    assert set(rows) == accepted  # no row slipped in after the close
    engine.dispose()


def test_a_busy_store_is_retried_then_reported(engine: Engine) -> None:
    """"database is locked" is retried with a growing pause; a refusal is not retried."""
    calls: list[int] = []
    pauses: list[float] = []

    def flaky(conn: object) -> str:
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("BEGIN", {}, Exception("database is locked"))
        return "done"

    assert workshop_store.write_with_retries(engine, flaky, sleep=pauses.append) == "done"
    assert len(calls) == 3 and len(pauses) == 2 and pauses[1] > 0

    def always_locked(conn: object) -> None:
        raise OperationalError("BEGIN", {}, Exception("database is locked"))

    with pytest.raises(ValueError, match="stayed busy"):
        workshop_store.write_with_retries(engine, always_locked, sleep=pauses.append)
    assert all(p <= workshop_store.BACKOFF_CAP for p in pauses)

    refused: list[int] = []

    def refuse(conn: object) -> None:
        refused.append(1)
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        workshop_store.write_with_retries(engine, refuse, sleep=pauses.append)
    assert refused == [1]

    def broken(conn: object) -> None:
        raise OperationalError("SELECT", {}, Exception("no such table: nothing"))

    with pytest.raises(OperationalError):
        workshop_store.write_with_retries(engine, broken, sleep=pauses.append)


def test_default_actor_constant_is_used(engine: Engine) -> None:
    lifecycle.create_workshop("W", MATS, CRITS, engine=engine)
    assert writes.audit_rows("workshop", engine=engine)["actor"].tolist() == [constants.DEFAULT_ACTOR]
