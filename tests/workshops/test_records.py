"""The frozen record's workbook and JSON, made from a workshop closed on a real temporary store."""

from __future__ import annotations

import datetime as dt
import io
import json

import pandas as pd
from sqlalchemy import Engine

from rmo_data import constants
from rmo_data.workshops import group_result, lifecycle, records
from tests.workshops.sample import CRITS, HAND, MATS


def test_exports_hold_every_sheet(engine: Engine) -> None:
    _, code = lifecycle.create_workshop("Export =1+1", MATS, CRITS, engine=engine)
    lifecycle.submit_weights(code, "=cmd()", {"severity": 9, "auto_share": 1}, ["zinc"], engine=engine)
    record = lifecycle.close_workshop(code, engine=engine, criteria=HAND)
    book = pd.read_excel(io.BytesIO(records.record_xlsx(record)), sheet_name=None)
    assert list(book) == ["Workshop", "Group ranking", "Criterion spread", "Submissions", "Participant rankings",
                          "About"]
    assert book["Submissions"]["Participant"].tolist() == ["'=cmd()"]  # quoted text, not a formula
    assert book["Submissions"][f"{constants.CRITERION_SHORT['severity']} (0–10)"].tolist() == [9]
    assert book["Group ranking"]["Material"].tolist() == ["Zinc", "Graphite", "Nickel"]
    assert json.loads(records.record_json(record)) == record




def test_build_record_freezes_the_workshop_the_submissions_and_the_result() -> None:
    ws = {"code": "ABCDEF", "name": "Hand", "materials": MATS, "criteria": CRITS,
          "created_at": dt.datetime(2026, 5, 5, 9, 0)}
    subs = pd.DataFrame([{"participant": "P1", "weights": {"severity": 10, "auto_share": 0},
                          "flagged": ["zinc"], "submitted_at": dt.datetime(2026, 5, 5, 9, 30)}])
    result = group_result.aggregate_from(ws, subs, HAND)
    closed = dt.datetime(2026, 5, 5, 10, 0, tzinfo=dt.UTC)
    record = records.build_record(ws, subs, result, closed, "pat.partner", "2026-05-01T00:00:00")
    assert record["version"] == records.RECORD_VERSION
    assert record["workshop"] == {"code": "ABCDEF", "name": "Hand", "materials": MATS, "criteria": CRITS,
                                  "created_at": "2026-05-05T09:00:00+00:00",
                                  "closed_at": "2026-05-05T10:00:00+00:00", "closed_by": "pat.partner",
                                  "mode": "named", "method": "sliders", "capacity": None}
    assert record["rounds"] == [] and record["data_version"] is None  # none given here
    assert record["submissions"] == [{"participant": "P1", "weights": {"severity": 10, "auto_share": 0},
                                      "flagged": ["zinc"], "submitted_at": "2026-05-05T09:30:00+00:00"}]
    assert record["store_built"] == "2026-05-01T00:00:00"
    assert records.record_result(json.loads(json.dumps(record))).to_record() == result.to_record()
