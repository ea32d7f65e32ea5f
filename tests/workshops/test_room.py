"""The workshop room on real stores: devices joining first, capacity, anonymous mode, pairwise weights,
reveal, a second round, the phase open pages poll, and what the frozen record keeps of all that.

Stores are SQLite files, or fresh PostgreSQL databases in the PostgreSQL run.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, select

from rmo_data import constants
from rmo_data.store import schema
from rmo_data.workshops import lifecycle, participants, records, rounds
from tests.workshops.sample import CRITS, HAND, MATS, criteria_data

W = {"severity": 8, "auto_share": 2}


def _rows(engine: Engine, table: schema.Table) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(table).order_by(table.c.id)).mappings()]


# --- joining first ------------------------------------------------------------------------------

def test_a_device_joins_once_and_a_reload_finds_it_again(engine: Engine) -> None:
    _, code = lifecycle.create_workshop("Room", MATS, CRITS, engine=engine)
    first = lifecycle.join(code, engine=engine)
    assert first["new"] and first["seq"] == 1
    again = lifecycle.join(code, first["token"], engine=engine)  # the reload: same token, same device
    assert again == {"token": first["token"], "seq": 1, "new": False}
    other = lifecycle.join(code, engine=engine)
    assert other["seq"] == 2 and other["token"] != first["token"]
    devices = _rows(engine, schema.workshop_device)
    assert [d["seq"] for d in devices] == [1, 2]
    assert first["token"] not in json.dumps(devices, default=str)  # only the hash is stored
    assert lifecycle.room_counts(code, engine) == {"joined": 2, "submitted": 0, "names": []}
    joins = [r for r in _rows(engine, schema.audit_log) if r["action"] == "join"]
    assert [r["row_key"] for r in joins] == [str(d["id"]) for d in devices]  # each join names its device row


def test_a_double_submit_or_a_retry_after_a_lost_connection_keeps_one_participant(engine: Engine) -> None:
    _, code = lifecycle.create_workshop("Room", MATS, CRITS, engine=engine)
    token = lifecycle.join(code, engine=engine)["token"]
    first = lifecycle.submit_weights(code, "Ana", W, engine=engine, token=token)
    # The same press arrives twice (or is sent again after the connection dropped): a revision, not a second Ana.
    second = lifecycle.submit_weights(code, "Ana", {"severity": 3, "auto_share": 9}, engine=engine, token=token)
    assert not first["revised"] and second["revised"] and second["participant"] == "Ana"
    subs = lifecycle.list_submissions(code, engine)
    assert subs["participant"].tolist() == ["Ana"] and subs["weights"].iloc[0] == {"severity": 3, "auto_share": 9}
    assert lifecycle.room_counts(code, engine) == {"joined": 1, "submitted": 1, "names": ["Ana"]}


def test_a_token_of_another_workshop_is_refused(engine: Engine) -> None:
    _, one = lifecycle.create_workshop("One", MATS, CRITS, engine=engine)
    _, two = lifecycle.create_workshop("Two", MATS, CRITS, engine=engine)
    token = lifecycle.join(one, engine=engine)["token"]
    with pytest.raises(ValueError, match="does not belong to this workshop"):
        lifecycle.submit_weights(two, "Ana", W, engine=engine, token=token)
    # Opening the other workshop's link with it registers a new device there instead.
    assert lifecycle.join(two, token, engine=engine)["new"]


def test_a_full_workshop_refuses_new_devices_but_not_the_ones_in(engine: Engine) -> None:
    _, code = lifecycle.create_workshop("Small", MATS, CRITS, engine=engine, capacity=2)
    a, b = (lifecycle.join(code, engine=engine)["token"] for _ in range(2))
    with pytest.raises(ValueError, match="full: every one of its 2 places is taken"):
        lifecycle.join(code, engine=engine)
    with pytest.raises(ValueError, match="full"):
        lifecycle.submit_weights(code, "Cy", W, engine=engine)  # no token: would be a third device
    assert lifecycle.join(code, a, engine=engine)["seq"] == 1  # those in keep their place
    assert lifecycle.submit_weights(code, "Bo", W, engine=engine, token=b)["participant"] == "Bo"


@pytest.mark.parametrize("capacity", [0, 1, -3, 2.5, "ten", True, participants.CAPACITY_MAX + 1])
def test_bad_setups_are_refused(engine: Engine, capacity: object) -> None:
    with pytest.raises(ValueError, match="places must be a whole number"):
        lifecycle.create_workshop("Bad", MATS, CRITS, engine=engine, capacity=capacity)  # type: ignore[arg-type]


def test_unknown_modes_and_methods_are_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="Unknown mode"):
        lifecycle.create_workshop("Bad", MATS, CRITS, engine=engine, mode="secret")
    with pytest.raises(ValueError, match="Unknown weighing method"):
        lifecycle.create_workshop("Bad", MATS, CRITS, engine=engine, method="dice")
    with pytest.raises(ValueError, match="at least two criteria"):
        lifecycle.create_workshop("Bad", MATS, ["severity"], engine=engine, method=participants.PAIRWISE)
    # Every criterion (12) is more than the pairwise consistency check handles (10).
    assert len(constants.CRITERION_SLUGS) > 10
    with pytest.raises(ValueError, match="at most 10 criteria"):
        lifecycle.create_workshop("Bad", MATS, list(constants.CRITERION_SLUGS), engine=engine,
                                  method=participants.PAIRWISE)


def test_a_closed_workshop_takes_no_new_device(engine: Engine) -> None:
    _, code = lifecycle.create_workshop("Done", MATS, CRITS, engine=engine)
    lifecycle.close_workshop(code, engine=engine, actor="fac", criteria=HAND)
    with pytest.raises(ValueError, match="was closed on"):
        lifecycle.join(code, engine=engine)


@pytest.mark.parametrize("name", ["Ana\x00", "Ana\u202eevil", "\x1b[31mred"])
def test_names_with_control_characters_are_refused(engine: Engine, name: str) -> None:
    _, code = lifecycle.create_workshop("Room", MATS, CRITS, engine=engine)
    with pytest.raises(ValueError, match="cannot be shown"):
        lifecycle.submit_weights(code, name, W, engine=engine)
    assert lifecycle.list_submissions(code, engine).empty


# --- anonymous mode -------------------------------------------------------------------------------

def test_anonymous_mode_stores_no_name_anywhere(engine: Engine) -> None:
    _, code = lifecycle.create_workshop("Quiet", MATS, CRITS, engine=engine, mode=participants.ANONYMOUS)
    tokens = [lifecycle.join(code, engine=engine)["token"] for _ in range(2)]
    out = lifecycle.submit_weights(code, "Ana Secret", W, engine=engine, token=tokens[1])
    lifecycle.submit_weights(code, None, {"severity": 1, "auto_share": 9}, engine=engine, token=tokens[0])
    assert out["participant"] == "Participant 2"  # its device's number, not the typed name
    record = lifecycle.close_workshop(code, engine=engine, actor="fac", criteria=HAND)
    assert [s["participant"] for s in record["submissions"]] == ["Participant 2", "Participant 1"]
    assert record["workshop"]["mode"] == participants.ANONYMOUS
    everything = json.dumps([_rows(engine, t) for t in (schema.workshop, schema.participant_weights,
                                                          schema.workshop_device, schema.audit_log)], default=str)
    assert "Ana" not in everything and "Secret" not in everything


# --- pairwise weights -----------------------------------------------------------------------------

def test_pairwise_weights_are_derived_on_the_server(engine: Engine) -> None:
    _, code = lifecycle.create_workshop("Pairs", MATS, CRITS, engine=engine, method=participants.PAIRWISE)
    token = lifecycle.join(code, engine=engine)["token"]
    # Severity 3 times as important as the automotive share: by hand, weights 3/4 and 1/4.
    out = lifecycle.submit_weights(code, "Ana", {"severity": 0, "auto_share": 10}, engine=engine, token=token,
                                   pairwise={"comparisons": [["severity", "auto_share", 3]]})
    assert out["weights"] == {"severity": 0.75, "auto_share": 0.25}  # the sliders' values are ignored
    assert out["pairwise"] == {"comparisons": [["severity", "auto_share", 3.0]],
                               "weights": {"severity": 0.75, "auto_share": 0.25}, "cr": 0.0}
    subs = lifecycle.list_submissions(code, engine)
    assert subs["pairwise"].iloc[0]["comparisons"] == [["severity", "auto_share", 3.0]]
    result = lifecycle.aggregate(code, engine, HAND)
    assert result.group_weights == pytest.approx({"severity": 0.75, "auto_share": 0.25})
    record = lifecycle.close_workshop(code, engine=engine, actor="fac", criteria=HAND)
    assert record["submissions"][0]["pairwise"]["weights"] == {"severity": 0.75, "auto_share": 0.25}
    sheet = records.record_frames(record)["Submissions"]
    assert sheet[f"{constants.CRITERION_SHORT['severity']} (% from pairs)"].tolist() == [75.0]


@pytest.mark.parametrize("pairwise, message", [
    (None, "Compare the criteria"),
    ({"comparisons": []}, "Compare the criteria"),
    ({"comparisons": [["severity", "severity", 3]]}, "could not be read"),
    ({"comparisons": [["severity", "auto_share", "3"]]}, "could not be read"),
    ({"comparisons": [["severity", "auto_share", 30]]}, "must be between 1/9 and 9"),
])
def test_bad_comparisons_are_refused(engine: Engine, pairwise: dict | None, message: str) -> None:
    _, code = lifecycle.create_workshop("Pairs", MATS, CRITS, engine=engine, method=participants.PAIRWISE)
    with pytest.raises(ValueError, match=message):
        lifecycle.submit_weights(code, "Ana", None, engine=engine, pairwise=pairwise)
    assert lifecycle.list_submissions(code, engine).empty


def test_pairwise_needs_every_pair(engine: Engine) -> None:
    crits = ["severity", "auto_share", "mining_hhi"]
    _, code = lifecycle.create_workshop("Three", MATS, crits, engine=engine, method=participants.PAIRWISE)
    with pytest.raises(ValueError, match=r"every pair of criteria before you submit \(3 pairs\)"):
        lifecycle.submit_weights(code, "Ana", None, engine=engine,
                                 pairwise={"comparisons": [["severity", "auto_share", 3]]})


# --- phases, reveal and a second round ------------------------------------------------------------

def test_the_phase_changes_with_every_step_and_the_record_keeps_both_rounds(engine: Engine) -> None:
    crit = HAND
    _, code = lifecycle.create_workshop("Two rounds", MATS, CRITS, engine=engine, actor="fac")
    assert lifecycle.phase_of(code, engine) == "open · round 1 · hidden"
    ana, ben = (lifecycle.join(code, engine=engine)["token"] for _ in range(2))
    lifecycle.submit_weights(code, "Ana", {"severity": 10, "auto_share": 0}, engine=engine, token=ana)
    lifecycle.submit_weights(code, "Ben", {"severity": 0, "auto_share": 10}, engine=engine, token=ben)
    with pytest.raises(ValueError, match="Reveal the group result first"):
        rounds.next_round(code, engine=engine, actor="fac", criteria=crit)
    with pytest.raises(ValueError, match="Only fac"):
        rounds.reveal(code, engine=engine, actor="someone else")
    ws = rounds.reveal(code, engine=engine, actor="fac")
    assert ws["revealed_at"] is not None and lifecycle.phase_of(code, engine) == "open · round 1 · revealed"
    ws = rounds.next_round(code, engine=engine, actor="fac", criteria=crit)
    assert ws["round"] == 2 and ws["revealed_at"] is None
    assert lifecycle.phase_of(code, engine) == "open · round 2 · hidden"
    assert [s["participant"] for s in ws["rounds"][0]["submissions"]] == ["Ana", "Ben"]
    rounds.reveal(code, engine=engine, actor="fac")
    with pytest.raises(ValueError, match="last round"):
        rounds.next_round(code, engine=engine, actor="fac", criteria=crit)
    # Ben comes round to Ana's view; Ana keeps her answer without submitting again.
    lifecycle.submit_weights(code, None, {"severity": 10, "auto_share": 0}, engine=engine, token=ben)
    record = lifecycle.close_workshop(code, engine=engine, actor="fac", criteria=crit)
    assert lifecycle.phase_of(code, engine) == "closed"
    assert record["workshop"]["closed_by"] == "fac"
    assert [r["round"] for r in record["rounds"]] == [1, 2]
    one, two = records.round_results(record)
    # Round 1: opposite weights give opposite rankings (W = 0); round 2: the same ranking (W = 1).
    assert one[1].consensus["w"] == pytest.approx(0.0) and two[1].consensus["w"] == pytest.approx(1.0)
    assert two[1].group_weights == {"severity": 1.0, "auto_share": 0.0}
    moved = records.rounds_frame([one, two]).set_index("Material")
    # By hand (zinc 1, 0; nickel 0, 1; graphite 0.5, 0.25): round 1 weighs both halves, so graphite is
    # last (0.375 against 0.5); round 2 weighs severity only: zinc 1.0, graphite 0.5, nickel 0.
    assert moved.loc["Graphite", "Round 1 group rank"] == 3
    assert moved["Round 2 group rank"].to_dict() == {"Zinc": 1, "Graphite": 2, "Nickel": 3}
    assert moved.loc["Graphite", "Places moved (+ = up)"] == 1
    book = records.record_frames(record)
    assert {"Rounds", "Rounds compared", "Round 1 submissions"} <= set(book)
    assert book["Rounds"]["Ranking agreement (Kendall's W, 0–1)"].tolist() == ["0.00 (low)", "1.00 (high)"]


def test_the_record_names_the_data_version_it_was_computed_on(engine: Engine) -> None:
    _, code = lifecycle.create_workshop("Versioned", MATS, CRITS, engine=engine)
    record = lifecycle.close_workshop(code, engine=engine, actor="fac", criteria=HAND)
    version = record["data_version"]
    assert version["build_version"] == schema.BUILD_VERSION
    assert version["criteria_sha256"] == records.criteria_digest(HAND, MATS, CRITS)
    changed = criteria_data({"zinc": {"severity": 0.9, "auto_share": 0.0},
                             "nickel": {"severity": 0.0, "auto_share": 1.0},
                             "graphite": {"severity": 0.5, "auto_share": 0.25}})
    assert records.criteria_digest(changed, MATS, CRITS) != version["criteria_sha256"]
    assert len(version["criteria_sha256"]) == 64
    about = records.record_frames(record)["Workshop"].set_index("Field")["Value"]
    assert about["Closed by"] == "fac" and about["Criterion values (SHA-256)"] == version["criteria_sha256"]
    assert about["Mode"].startswith("Named") and about["Weighing method"].startswith("Sliders")
