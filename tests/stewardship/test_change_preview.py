"""Validating an upload: every problem names file, row and column, and nothing is written (fuzzed too)."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from rmo_data.stewardship import change_preview, change_sets, upload_tables
from rmo_data.store import schema
from tests.uploads import (
    CELL, EUS_HEADER, EVIDENCE_HEADER, GOOD_EVIDENCE, LEVERAGE_HEADER, audit_count, csv_bytes, dump_store,
    first_problem, watched_tables)


@pytest.mark.parametrize(("table", "lines", "row", "column", "words"), [
    ("risk_evidence", [EVIDENCE_HEADER, GOOD_EVIDENCE.replace(",2024,", ",20x4,")], 2, "year", "integer"),
    ("risk_evidence", [EVIDENCE_HEADER, GOOD_EVIDENCE, GOOD_EVIDENCE.replace(",nickel,", ",unobtainium,")],
     3, "material", "unknown material"),
    ("risk_evidence", [EVIDENCE_HEADER, GOOD_EVIDENCE.replace("Indonesia", "Atlantis")], 2, "country",
     "unknown country"),
    ("risk_evidence", [EVIDENCE_HEADER, GOOD_EVIDENCE.replace(",water,", ",weather,")], 2, "category",
     "unknown risk category"),
    ("risk_evidence", [EVIDENCE_HEADER, GOOD_EVIDENCE.replace(",mining,", ",digging,")], 2, "stage",
     "unknown stage"),
    ("risk_evidence", [EVIDENCE_HEADER, GOOD_EVIDENCE.replace("rmo_report", "no_such_source")], 2, "source",
     "unknown source id"),
    ("risk_evidence", [EVIDENCE_HEADER, GOOD_EVIDENCE.replace("rmo_report", "")], 2, "source", ""),
    ("risk_evidence", [EVIDENCE_HEADER, GOOD_EVIDENCE, GOOD_EVIDENCE], 3, "id", "duplicate"),
    ("risk_evidence", [EVIDENCE_HEADER, GOOD_EVIDENCE.replace("EV-NEW-01", "EV-" + "X" * 40)], 2, "id",
     "too long"),
    ("risk_evidence", [EVIDENCE_HEADER + ",colour", GOOD_EVIDENCE + ",red"], 1, "colour", "unexpected column"),
    ("risk_evidence", [EVIDENCE_HEADER.replace(",summary", ""), GOOD_EVIDENCE.replace(",A new case", "")],
     1, "summary", "missing"),
    ("end_use_share", [EUS_HEADER, "zinc,Galvanising,120,eq,false,first use,global,2020,,rmo_report,"],
     2, "share_pct", "less than or equal to 100"),
    ("end_use_share", [EUS_HEADER, "zinc,Galvanising,-1,eq,false,first use,global,2020,,rmo_report,"],
     2, "share_pct", "greater than or equal to 0"),
    ("end_use_share", [EUS_HEADER, "zinc,Galvanising,60,eq,false,first use,global,2020,,rmo_report,",
                       "zinc,Die casting,50,eq,false,first use,global,2020,,rmo_report,"],
     2, "share_pct", "add up to 110"),
    ("risk_evidence", [EVIDENCE_HEADER + ",action", "EV-NOPE-99" + "," * len(upload_tables.SPECS["risk_evidence"].columns) + "delete"], 2, "id",
     "nothing to delete"),
    ("risk_evidence", [EVIDENCE_HEADER + ",action", GOOD_EVIDENCE + ",burn"], 2, "action", "unknown action"),
    ("organisation", [",".join(upload_tables.SPECS["organisation"].columns),
                      "new_org,New,,standard,nickel;unobtainium,false,Text,,rmo_report,"], 2, "materials",
     "unknown material"),
    ("leverage", [LEVERAGE_HEADER, "NI-99,nickel,peers,initiative,peers,mining,,no_such_org,T,A,rmo_report,2.,"],
     2, "organisations", "unknown organisation"),
    ("production", [",".join(upload_tables.SPECS["production"].columns),
                    "aluminium_bauxite_mine,aluminium,mining,Australia,country,2021,5,tonnes,,false,,usgs_mcs2023"],
     2, "unit", "has unit"),
    ("production", [",".join(upload_tables.SPECS["production"].columns),
                    "no_such_commodity,aluminium,mining,Australia,country,2021,5,t,,false,,usgs_mcs2023"],
     2, "commodity", "unknown commodity"),
])
def test_each_problem_names_file_row_and_column(store: tuple[str, Engine], table: str, lines: list[str],
                                                row: int, column: str, words: str) -> None:
    _url, engine = store
    before = dump_store(engine)
    preview = change_preview.validate_upload(table, csv_bytes(*lines), "upload.csv", engine=engine)
    assert not preview.ok and not preview.changes
    problem = next((p for p in preview.problems if p.column == column), None)
    assert problem is not None, preview.problems
    assert (problem.file, problem.row) == ("upload.csv", row)
    assert words in problem.message
    with pytest.raises(ValueError, match="The upload has problems"):
        change_sets.apply_preview(preview, engine=engine)
    assert dump_store(engine) == before and audit_count(engine) == 0


def test_one_pass_reports_store_problems_of_rows_the_model_refused(store: tuple[str, Engine]) -> None:
    _url, engine = store
    line = GOOD_EVIDENCE.replace(",2024,", ",20x4,").replace("Indonesia", "Atlantis").replace("rmo_report", "nosrc")
    preview = change_preview.validate_upload("risk_evidence", csv_bytes(EVIDENCE_HEADER, line), "ev.csv", engine=engine)
    assert {(p.row, p.column) for p in preview.problems} == {(2, "year"), (2, "country"), (2, "source")}

def test_share_sum_counts_stored_rows_the_upload_does_not_replace(store: tuple[str, Engine]) -> None:
    _url, engine = store
    with engine.connect() as conn:
        rows = conn.execute(select(schema.end_use_share).where(
            schema.end_use_share.c.material == "aluminium", schema.end_use_share.c.source_id == "rmo_report",
            schema.end_use_share.c.scope == "global")).mappings().all()
    basis, year = rows[0]["basis"], rows[0]["year"]
    stored = sum(r["share_pct"] for r in rows if r["basis"] == basis and r["year"] == year
                 and r["bound"] not in {"ge", "le"})
    extra = 101 - stored
    line = f"aluminium,New sector,{extra:g},eq,false,{basis},global,{year},,rmo_report,"
    problem = first_problem(change_preview.validate_upload(
        "end_use_share", csv_bytes(EUS_HEADER, line), "eus.csv", engine=engine))
    assert (problem.row, problem.column) == (2, "share_pct") and "stored row" in problem.message
    # Lowering a stored share in the same file makes room: it replaces that stored row.
    first = rows[0]
    lower = (f"aluminium,{first['sector']},{max(first['share_pct'] - extra, 0):g},{first['bound']},"
             f"{str(first['is_automotive']).lower()},{basis},global,{year},,rmo_report,")
    preview = change_preview.validate_upload(
        "end_use_share", csv_bytes(EUS_HEADER, line, lower), "eus.csv", engine=engine)
    assert preview.ok, preview.problems


def test_sources_file_may_add_the_cited_source(store: tuple[str, Engine]) -> None:
    _url, engine = store
    upload = csv_bytes(EVIDENCE_HEADER, GOOD_EVIDENCE.replace("rmo_report", "ngo_2025"))
    assert first_problem(change_preview.validate_upload(
        "risk_evidence", upload, "ev.csv", engine=engine)).column == "source"
    sources = csv_bytes(",".join(upload_tables.SOURCE_COLUMNS), "ngo_2025,A field report,An NGO,2025,,,cited,,")
    preview = change_preview.validate_upload(
        "risk_evidence", upload, "ev.csv", sources=("src.csv", sources), engine=engine)
    assert preview.ok and [s["id"] for s in preview.sources] == ["ngo_2025"]
    bad = csv_bytes(",".join(upload_tables.SOURCE_COLUMNS), "ngo_2025,A field report,An NGO,twenty,,,cited,,")
    problem = first_problem(change_preview.validate_upload(
        "risk_evidence", upload, "ev.csv", sources=("src.csv", bad), engine=engine))
    assert (problem.file, problem.row, problem.column) == ("src.csv", 2, "year")


def test_xlsx_upload_with_a_sources_sheet(store: tuple[str, Engine]) -> None:
    _url, engine = store
    rows = pd.DataFrame([dict(zip(upload_tables.SPECS["risk_evidence"].columns, GOOD_EVIDENCE.replace(
        "rmo_report", "ngo_2025").split(","), strict=True))])
    rows["year"] = 2024  # a number cell, as Excel stores it
    sources = pd.DataFrame([{"id": "ngo_2025", "title": "A field report", "publisher": "An NGO",
                             "year": 2025, "kind": "cited"}])
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        rows.to_excel(writer, sheet_name="evidence", index=False)
        sources.to_excel(writer, sheet_name="sources", index=False)
    preview = change_preview.validate_upload("risk_evidence", buffer.getvalue(), "ev.xlsx", engine=engine)
    assert preview.ok, preview.problems
    assert preview.counts["added"] == 1 and preview.changes[0].after["year"] == 2024
    assert preview.changes[0].after["iso3"] == "IDN" and preview.sources[0]["id"] == "ngo_2025"
    problem = first_problem(change_preview.validate_upload(
        "risk_evidence", b"PK\x03\x04 not a workbook", "ev.xlsx", engine=engine))
    assert problem.file == "ev.xlsx" and "Excel" in problem.message


# --- fuzz ----------------------------------------------------------------------------------------

_CSVISH = st.lists(st.lists(CELL, min_size=0, max_size=18), min_size=0, max_size=6).map(
    lambda rows: "\n".join(",".join(r) for r in rows))


def _template_rows(table: str) -> st.SearchStrategy[bytes]:
    """The table's own header (action column included) over rows of random cells."""
    columns = [*upload_tables.SPECS[table].columns, upload_tables.action_column(table)]
    row = st.lists(CELL, min_size=len(columns), max_size=len(columns)).map(
        lambda cells: ",".join('"' + c.replace('"', '""') + '"' for c in cells))
    return st.lists(row, min_size=1, max_size=4).map(lambda rows: csv_bytes(",".join(columns), *rows))


@pytest.mark.slow
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), table=st.sampled_from(sorted(upload_tables.SPECS)),
       mode=st.sampled_from(["upsert", "upsert", "replace", "bogus"]),
       name=st.sampled_from(["up.csv", "up.csv", "up.xlsx", "up.txt", "up.xls"]))
def test_fuzz_upload_validation_never_raises_and_never_writes(store: tuple[str, Engine], data: st.DataObject,
                                                               table: str, mode: str, name: str) -> None:
    _url, engine = store
    payload = data.draw(st.one_of(st.binary(max_size=300), _CSVISH.map(lambda t: t.encode("utf-8")),
                                  _template_rows(table)), label="payload")
    sources = data.draw(st.one_of(st.none(), st.tuples(st.just("src.csv"), st.one_of(
        st.binary(max_size=100), _CSVISH.map(lambda t: (",".join(upload_tables.SOURCE_COLUMNS) + "\n" + t).encode())))),
        label="sources")
    before = watched_tables(engine)
    preview = change_preview.validate_upload(table, payload, name, mode=mode, sources=sources, engine=engine)
    assert all(not p.message.startswith("internal error") for p in preview.problems), preview.problems
    assert all(isinstance(p.file, str) and p.message for p in preview.problems)
    if not preview.ok:
        assert not preview.changes and not preview.sources
        with pytest.raises(ValueError, match="The upload has problems"):
            change_sets.apply_preview(preview, engine=engine)
    change_preview.preview_frames(preview)
    change_preview.problems_frame(preview.problems)
    assert watched_tables(engine) == before


def test_a_file_without_the_confidence_columns_keeps_the_stored_ones(store: tuple[str, Engine]) -> None:
    """An older template (no confidence, reason or passage) changes a case without clearing them."""
    _url, engine = store
    from rmo_data.ingest import seeds as seed_files

    seed = pd.read_csv(seed_files.SEED_DIR / "risk_evidence.csv", dtype=str, keep_default_na=False)
    kept = upload_tables.SPECS["risk_evidence"].kept_when_absent
    old_columns = [c for c in upload_tables.SPECS["risk_evidence"].columns if c not in kept]
    row = seed[seed["id"] == "EV-MG-01"].iloc[0].copy()  # a reported case of a shared passage
    assert row["confidence"] and row["passage"], "fixture needs a rated case of a shared passage"
    row["summary"] = "A new wording of this case."
    out = io.StringIO()
    pd.DataFrame([row[old_columns]]).to_csv(out, index=False)
    preview = change_preview.validate_upload("risk_evidence", out.getvalue().encode(), "old.csv", engine=engine)
    assert preview.ok, preview.problems
    assert [set(c.changed) for c in preview.changes] == [{"summary"}]
    change_sets.apply_preview(preview, engine=engine)
    with engine.connect() as conn:
        stored = conn.execute(select(schema.risk_evidence).where(schema.risk_evidence.c.id == "EV-MG-01")).one()
    assert (stored.summary, stored.confidence, stored.confidence_reason, stored.passage) == (
        "A new wording of this case.", row["confidence"], row["confidence_reason"], row["passage"])

    # A file that has the columns and leaves them empty clears them: that is what it says.
    row["summary"] = "Wording again."
    cleared = row[list(upload_tables.SPECS["risk_evidence"].columns)].copy()
    cleared["passage"] = ""
    out = io.StringIO()
    pd.DataFrame([cleared]).to_csv(out, index=False)
    preview = change_preview.validate_upload("risk_evidence", out.getvalue().encode(), "new.csv", engine=engine)
    assert preview.ok, preview.problems
    assert set(preview.changes[0].changed) == {"summary", "passage"}
