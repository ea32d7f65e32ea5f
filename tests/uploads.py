"""Shared helpers of the upload tests: headers and rows, CSV bytes, whole-store dumps, the first problem.

Used by the tests of ``rmo_data.stewardship`` and of the store export
(``tests/store/test_export.py``).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from sqlalchemy import Engine, select

from rmo_data.ingest import seeds
from rmo_data.stewardship import change_preview, upload_tables
from rmo_data.store import schema

EVIDENCE_HEADER = ",".join(upload_tables.SPECS["risk_evidence"].columns)
EUS_HEADER = ",".join(upload_tables.SPECS["end_use_share"].columns)
LEVERAGE_HEADER = ",".join((*upload_tables.SPECS["leverage"].columns, "row_action"))
# The columns of the template: the last three (confidence, its reason, passage) are optional.
GOOD_EVIDENCE = ("EV-NEW-01,nickel,mining,water,Indonesia,,Sulawesi,2024,3,4,3,A new case,,rmo_report,,"
                 "reported,A field report names the site but gives no date.,")


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def dump_store(engine: Engine, skip: tuple[str, ...] = ("audit_log", "change_set", "data_version")) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (sorted), to compare whole-store states; the logs and the data version (a counter of writes) are left out by default."""
    out = {}
    with engine.connect() as conn:
        for table in schema.metadata.sorted_tables:
            if table.name in skip:
                continue
            rows = conn.execute(select(table)).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def audit_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(schema.audit_log.c.id)).all())


def first_problem(preview: change_preview.Preview) -> seeds.Problem:
    assert len(preview.problems) >= 1, preview
    return preview.problems[0]


def leverage_upload(engine: Engine) -> bytes:
    with engine.connect() as conn:
        lev = conn.execute(select(schema.leverage).where(schema.leverage.c.id == "X-02")).mappings().one()
    changed = (f"X-02,cross,{lev['category']},{lev['actor']},associations;governments,mining;processing,,,"
               f"\"{lev['title']}\",\"A rewritten action.\",ngo_2025,{lev['section'] or ''},")
    return csv_bytes(LEVERAGE_HEADER,
                     "X-03" + "," * 12 + "delete",
                     changed,
                     "NI-99,nickel,peers,initiative,peers;msi,mining,water;ohs,,Pool nickel audits,Do it together.,"
                     "rmo_report,2. Nickel,")


def watched_tables(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """The tables an upload could write: the five, their link tables, sources and the log."""
    names = {"source", "audit_log", "change_set", "organisation_material", "leverage_target",
             "leverage_stage", "leverage_risk", "leverage_organisation", *upload_tables.SPECS}
    return {k: v for k, v in dump_store(engine, skip=tuple(t.name for t in schema.metadata.sorted_tables
                                                           if t.name not in names)).items()}


# One cell of a fuzzed upload: random text or a value the tables use.
CELL = st.one_of(st.text(max_size=12), st.sampled_from(["", "nickel", "mining", "water", "rmo_report",
                                                        "delete", "3", "101", "-1", "2024", "x;y", "\"", ","]))
