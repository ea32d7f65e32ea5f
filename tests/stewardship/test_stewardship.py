"""Editors' uploads: validation names file/row/column, nothing is written unless valid, apply and
rollback round trips, change sets surviving a rebuild, the store export, and a fuzz test.

Every test that writes works on its own copy of the session's built store (SQLite backup API).
"""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, inspect, select

from rmo_data.store import schema
from rmo_data.stewardship import change_preview, change_sets, upload_reader, upload_tables
from rmo_data.store import change_log
from rmo_data.ingest import seeds
from rmo_data.store.engine import make_engine
from rmo_data.store.export import store_export

EVIDENCE_HEADER = ",".join(upload_tables.SPECS["risk_evidence"].columns)
EUS_HEADER = ",".join(upload_tables.SPECS["end_use_share"].columns)
LEVERAGE_HEADER = ",".join((*upload_tables.SPECS["leverage"].columns, "row_action"))
GOOD_EVIDENCE = "EV-NEW-01,nickel,mining,water,Indonesia,,Sulawesi,2024,3,4,3,A new case,,rmo_report,"


@pytest.fixture()
def store(store_copy_url: str) -> Iterator[tuple[str, Engine]]:
    """URL and engine of a private copy of the built store (on the run's backend)."""
    url = store_copy_url
    engine = make_engine(url)
    yield url, engine
    engine.dispose()


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def _dump(engine: Engine, skip: tuple[str, ...] = ("audit_log", "change_set")) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (sorted), to compare whole-store states."""
    out = {}
    with engine.connect() as conn:
        for table in schema.metadata.sorted_tables:
            if table.name in skip:
                continue
            rows = conn.execute(select(table)).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def _audit_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(schema.audit_log.c.id)).all())


def _one(preview: change_preview.Preview) -> seeds.Problem:
    assert len(preview.problems) >= 1, preview
    return preview.problems[0]


# --- validation --------------------------------------------------------------------------------

def test_templates_have_the_seed_columns_and_an_action_column() -> None:
    for name, spec in upload_tables.SPECS.items():
        header = upload_tables.template_csv(name).decode().strip().split(",")
        assert header == [*spec.columns, upload_tables.action_column(name)]
    assert upload_tables.sources_template_csv().decode().strip().split(",") == list(upload_tables.SOURCE_COLUMNS)


@pytest.mark.parametrize("table", sorted(upload_tables.SPECS))
def test_current_rows_upload_again_unchanged(store: tuple[str, Engine], table: str) -> None:
    """Every stored row, downloaded in the template's columns, validates and changes nothing (CSV and XLSX)."""
    from rmo_data.exports import table_csv, table_xlsx

    _url, engine = store
    frame = upload_tables.current_rows(table, engine=engine)
    assert list(frame.columns) == list(upload_tables.SPECS[table].columns) and len(frame) > 0
    modes = ["upsert", "replace"] if upload_tables.SPECS[table].replace_by_material else ["upsert"]
    for name, payload in ((f"{table}.csv", table_csv(frame)), (f"{table}.xlsx", table_xlsx(frame))):
        for mode in modes:
            preview = change_preview.validate_upload(table, payload, name, mode=mode, engine=engine)
            assert preview.ok, preview.problems[:5]
            assert preview.counts == {"added": 0, "changed": 0, "removed": 0, "unchanged": len(frame),
                                      "sources added": 0}, (name, mode)


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
    ("risk_evidence", [EVIDENCE_HEADER + ",action", "EV-NOPE-99" + "," * 15 + "delete"], 2, "id",
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
    before = _dump(engine)
    preview = change_preview.validate_upload(table, _csv(*lines), "upload.csv", engine=engine)
    assert not preview.ok and not preview.changes
    problem = next((p for p in preview.problems if p.column == column), None)
    assert problem is not None, preview.problems
    assert (problem.file, problem.row) == ("upload.csv", row)
    assert words in problem.message
    with pytest.raises(ValueError):
        change_sets.apply_preview(preview, engine=engine)
    assert _dump(engine) == before and _audit_count(engine) == 0


def test_one_pass_reports_store_problems_of_rows_the_model_refused(store: tuple[str, Engine]) -> None:
    _url, engine = store
    line = GOOD_EVIDENCE.replace(",2024,", ",20x4,").replace("Indonesia", "Atlantis").replace("rmo_report", "nosrc")
    preview = change_preview.validate_upload("risk_evidence", _csv(EVIDENCE_HEADER, line), "ev.csv", engine=engine)
    assert {(p.row, p.column) for p in preview.problems} == {(2, "year"), (2, "country"), (2, "source")}


def test_unreadable_files_are_named(store: tuple[str, Engine]) -> None:
    _url, engine = store
    cases = {
        ("ev.csv", "é".encode("latin-1") + b",x\n1,2\n"): "UTF-8",
        ("ev.csv", EVIDENCE_HEADER.replace(",", ";").encode() + b"\n1;2\n"): "separated by ';'",
        ("ev.csv", b""): "empty",
        ("ev.xls", b"anything"): ".csv or .xlsx",
        ("ev.csv", EVIDENCE_HEADER.encode() + b"\n"): "no data rows",
    }
    for (name, payload), words in cases.items():
        problem = _one(change_preview.validate_upload("risk_evidence", payload, name, engine=engine))
        assert problem.file == name and words in problem.message, (words, problem)


def _long_workbook(rows: int, width: int = 3) -> bytes:
    """A real workbook of ``rows`` alike rows of the first ``width`` evidence columns.

    Alike rows pack small (300,000 rows in well under the upload's byte limit), as in the
    report; write-only mode makes the file quickly.
    """
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("evidence")
    sheet.append(list(upload_tables.SPECS["risk_evidence"].columns))
    cells = GOOD_EVIDENCE.split(",")[:width]
    for _ in range(rows):
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture()
def rows_parsed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many sheet rows openpyxl's XML parsing has gone through, its sizing pass included.

    pandas and the streaming reader both read sheets through ``openpyxl.worksheet._reader``.
    """
    from openpyxl.worksheet import _reader

    count = [0]
    real = _reader.iterparse

    def counted(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for event, element in real(*args, **kwargs):
            if element.tag == _reader.ROW_TAG:
                count[0] += 1
            yield event, element

    monkeypatch.setattr(_reader, "iterparse", counted)
    return count


@pytest.mark.parametrize("rows", [25_000, pytest.param(300_000, marks=pytest.mark.slow)])
def test_a_long_workbook_is_refused_at_the_row_limit(store: tuple[str, Engine], rows_parsed: list[int],
                                                     rows: int) -> None:
    """The reader stops at the row limit instead of reading the whole sheet first."""
    import time

    _url, engine = store
    data = _long_workbook(rows)
    assert len(data) < upload_reader.MAX_UPLOAD_BYTES
    started = time.perf_counter()
    preview = change_preview.validate_upload("risk_evidence", data, "long.xlsx", engine=engine)
    print(f"{rows:,} rows ({len(data):,} bytes): refused in {time.perf_counter() - started:.1f} s, "
          f"{rows_parsed[0]:,} rows parsed")
    problem = _one(preview)
    assert problem.file == "long.xlsx" and f"{upload_reader.MAX_UPLOAD_ROWS:,}" in problem.message
    assert not preview.changes
    # The header, the limit and the one row past it (a sizing pass over the whole sheet would
    # count every row once more).
    assert 0 < rows_parsed[0] <= upload_reader.MAX_UPLOAD_ROWS + 3


def test_a_workbook_that_unpacks_too_far_is_refused_before_parsing(store: tuple[str, Engine],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A small zip whose parts unpack to more than the cap is refused from its directory alone."""
    import openpyxl

    _url, engine = store
    good = _long_workbook(1, width=len(upload_tables.SPECS["risk_evidence"].columns))
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            out.writestr(item, src.read(item.filename))
        out.writestr("xl/media/padding.bin", b"\0" * (upload_reader.MAX_XLSX_UNPACKED_BYTES + 1))
    bomb = buffer.getvalue()
    assert len(bomb) < upload_reader.MAX_UPLOAD_BYTES
    opened: list[int] = []
    real = openpyxl.load_workbook
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: opened.append(1) or real(*a, **k))
    problem = _one(change_preview.validate_upload("risk_evidence", bomb, "bomb.xlsx", engine=engine))
    assert problem.file == "bomb.xlsx" and f"{upload_reader.MAX_XLSX_UNPACKED_BYTES:,}" in problem.message
    assert opened == []  # refused before openpyxl (or pandas) parsed anything
    # The same workbook without the padding is read as usual.
    assert change_preview.validate_upload("risk_evidence", good, "good.xlsx", engine=engine).ok


def test_workbook_rows_are_numbered_as_in_the_sheet(store: tuple[str, Engine]) -> None:
    """Blank rows are skipped but keep the numbering; a stray cell right of the header is named."""
    from openpyxl import Workbook

    _url, engine = store
    book = Workbook()
    sheet = book.active
    sheet.append(list(upload_tables.SPECS["risk_evidence"].columns))
    sheet.append([])
    sheet.append(GOOD_EVIDENCE.replace(",2024,", ",20x4,").split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    problem = _one(change_preview.validate_upload("risk_evidence", buffer.getvalue(), "gap.xlsx", engine=engine))
    assert (problem.row, problem.column) == (3, "year")
    sheet.cell(row=3, column=len(upload_tables.SPECS["risk_evidence"].columns) + 2, value="stray")
    buffer = io.BytesIO()
    book.save(buffer)
    problem = _one(change_preview.validate_upload("risk_evidence", buffer.getvalue(), "stray.xlsx", engine=engine))
    assert (problem.row, problem.column) == (1, "(blank)") and "unexpected column" in problem.message


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
    problem = _one(change_preview.validate_upload("end_use_share", _csv(EUS_HEADER, line), "eus.csv", engine=engine))
    assert (problem.row, problem.column) == (2, "share_pct") and "stored row" in problem.message
    # Lowering a stored share in the same file makes room: it replaces that stored row.
    first = rows[0]
    lower = (f"aluminium,{first['sector']},{max(first['share_pct'] - extra, 0):g},{first['bound']},"
             f"{str(first['is_automotive']).lower()},{basis},global,{year},,rmo_report,")
    preview = change_preview.validate_upload("end_use_share", _csv(EUS_HEADER, line, lower), "eus.csv", engine=engine)
    assert preview.ok, preview.problems


def test_sources_file_may_add_the_cited_source(store: tuple[str, Engine]) -> None:
    _url, engine = store
    upload = _csv(EVIDENCE_HEADER, GOOD_EVIDENCE.replace("rmo_report", "ngo_2025"))
    assert _one(change_preview.validate_upload("risk_evidence", upload, "ev.csv", engine=engine)).column == "source"
    sources = _csv(",".join(upload_tables.SOURCE_COLUMNS), "ngo_2025,A field report,An NGO,2025,,,cited,,")
    preview = change_preview.validate_upload("risk_evidence", upload, "ev.csv", sources=("src.csv", sources), engine=engine)
    assert preview.ok and [s["id"] for s in preview.sources] == ["ngo_2025"]
    bad = _csv(",".join(upload_tables.SOURCE_COLUMNS), "ngo_2025,A field report,An NGO,twenty,,,cited,,")
    problem = _one(change_preview.validate_upload("risk_evidence", upload, "ev.csv", sources=("src.csv", bad), engine=engine))
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
    problem = _one(change_preview.validate_upload("risk_evidence", b"PK\x03\x04 not a workbook", "ev.xlsx", engine=engine))
    assert problem.file == "ev.xlsx" and "Excel" in problem.message


# --- apply and rollback ------------------------------------------------------------------------

def _leverage_upload(engine: Engine) -> bytes:
    with engine.connect() as conn:
        lev = conn.execute(select(schema.leverage).where(schema.leverage.c.id == "X-02")).mappings().one()
    changed = (f"X-02,cross,{lev['category']},{lev['actor']},associations;governments,mining;processing,,,"
               f"\"{lev['title']}\",\"A rewritten action.\",ngo_2025,{lev['section'] or ''},")
    return _csv(LEVERAGE_HEADER,
                "X-03" + "," * 12 + "delete",
                changed,
                "NI-99,nickel,peers,initiative,peers;msi,mining,water;ohs,,Pool nickel audits,Do it together.,"
                "rmo_report,2. Nickel,")


def test_upload_preview_apply_rollback_restores_the_exact_state(store: tuple[str, Engine]) -> None:
    _url, engine = store
    before = _dump(engine)
    sources = _csv(",".join(upload_tables.SOURCE_COLUMNS), "ngo_2025,A field report,An NGO,2025,,,cited,,")
    preview = change_preview.validate_upload("leverage", _leverage_upload(engine), "lev.csv",
                                sources=("src.csv", sources), engine=engine)
    assert preview.ok, preview.problems
    assert preview.counts == {"added": 1, "changed": 1, "removed": 1, "unchanged": 0, "sources added": 1}
    change = preview.of_kind("change")[0]
    assert set(change.changed) >= {"action", "source_id", "targets"}
    frames = change_preview.preview_frames(preview)
    assert len(frames["added"]) == 1 and len(frames["removed"]) == 1
    assert set(frames["changed"]["column"]) == set(change.changed)

    set_id = change_sets.apply_preview(preview, actor="editor one", engine=engine)
    with engine.connect() as conn:
        assert conn.execute(select(schema.leverage.c.id).where(schema.leverage.c.id == "X-03")).first() is None
        stages = set(conn.execute(select(schema.leverage_stage.c.stage).where(
            schema.leverage_stage.c.leverage_id == "NI-99")).scalars())
        audit = conn.execute(select(schema.audit_log).where(schema.audit_log.c.change_set_id == set_id)).mappings().all()
    assert stages == {"mining"}
    assert sorted(a["action"] for a in audit) == ["upload add", "upload add", "upload change", "upload remove"]
    assert {a["actor"] for a in audit} == {"editor one"}
    assert len(change_log.audit_log(change_set_id=set_id, engine=engine)) == 4
    assert change_log.audit_log(actors=["nobody"], engine=engine).empty
    assert change_log.audit_log(tables=["source"], engine=engine)["row_key"].tolist() == ["ngo_2025"]
    assert {"leverage", "source"} <= set(change_log.audit_facets(engine)["tables"])
    removed = next(a for a in audit if a["action"] == "upload remove")
    assert json.loads(removed["before_json"])["id"] == "X-03" and removed["after_json"] is None

    rollback_id = change_sets.rollback_change_set(set_id, actor="editor two", engine=engine)
    assert _dump(engine) == before
    sets = change_log.list_change_sets(engine).set_index("id")
    assert sets.loc[set_id, "status"] == "rolled_back" and sets.loc[rollback_id, "reverts_id"] == set_id
    with pytest.raises(ValueError, match="already rolled back"):
        change_sets.rollback_change_set(set_id, engine=engine)
    with pytest.raises(ValueError, match="is a rollback"):
        change_sets.rollback_change_set(rollback_id, engine=engine)


def test_replace_mode_round_trip_keeps_production_ids(store: tuple[str, Engine]) -> None:
    _url, engine = store
    before = _dump(engine)
    with engine.connect() as conn:
        row = conn.execute(select(schema.production).where(schema.production.c.material == "zinc",
                                                      schema.production.c.country_kind == "country")
                           .order_by(schema.production.c.id)).mappings().first()
    line = (f"{row['commodity']},zinc,{row['stage']},{row['country_name']},country,{row['year']},"
            f"{(row['quantity'] or 0) + 1:g},{row['unit']},,false,{row['edition'] or ''},{row['source_id']}")
    header = ",".join(upload_tables.SPECS["production"].columns)
    preview = change_preview.validate_upload("production", _csv(header, line), "zinc.csv", mode="replace", engine=engine)
    assert preview.ok, preview.problems
    with engine.connect() as conn:
        zinc_rows = len(conn.execute(select(schema.production.c.id).where(schema.production.c.material == "zinc")).all())
    assert preview.counts["changed"] == 1 and preview.counts["removed"] == zinc_rows - 1
    set_id = change_sets.apply_preview(preview, engine=engine)
    with engine.connect() as conn:
        assert len(conn.execute(select(schema.production.c.id).where(schema.production.c.material == "zinc")).all()) == 1
    change_sets.rollback_change_set(set_id, engine=engine)
    assert _dump(engine) == before  # surrogate ids included


def test_rollback_refuses_a_row_changed_again_and_single_rows_roll_back(store: tuple[str, Engine]) -> None:
    _url, engine = store
    original = _dump(engine)
    first = change_sets.apply_preview(change_preview.validate_upload(
        "risk_evidence", _csv(EVIDENCE_HEADER, GOOD_EVIDENCE), "a.csv", engine=engine), engine=engine)
    second = change_sets.apply_preview(change_preview.validate_upload(
        "risk_evidence", _csv(EVIDENCE_HEADER, GOOD_EVIDENCE.replace("A new case", "Revised")), "b.csv",
        engine=engine), engine=engine)
    audits = _audit_count(engine)
    state = _dump(engine)
    with pytest.raises(change_sets.StaleError, match="changed since"):
        change_sets.rollback_change_set(first, engine=engine)
    assert _dump(engine) == state and _audit_count(engine) == audits  # the refusal wrote nothing
    with engine.connect() as conn:
        row_id = conn.execute(select(schema.audit_log.c.id).where(schema.audit_log.c.change_set_id == second)).scalar_one()
    change_sets.rollback_audit_row(row_id, engine=engine)
    change_sets.rollback_change_set(first, engine=engine)
    assert _dump(engine) == original


def test_apply_refuses_a_stale_preview(store: tuple[str, Engine]) -> None:
    _url, engine = store
    upload = _csv(EVIDENCE_HEADER, GOOD_EVIDENCE)
    stale = change_preview.validate_upload("risk_evidence", upload, "a.csv", engine=engine)
    change_sets.apply_preview(change_preview.validate_upload("risk_evidence", upload, "a.csv", engine=engine), engine=engine)
    state, audits = _dump(engine), _audit_count(engine)
    with pytest.raises(change_sets.StaleError):
        change_sets.apply_preview(stale, engine=engine)
    assert _dump(engine) == state and _audit_count(engine) == audits


def test_change_sets_survive_a_rebuild(store: tuple[str, Engine]) -> None:
    from rmo_data.ingest.build import build
    from rmo_data.store.queries import build_info

    url, engine = store
    sources = _csv(",".join(upload_tables.SOURCE_COLUMNS), "ngo_2025,A field report,An NGO,2025,,,cited,,")
    kept = change_sets.apply_preview(change_preview.validate_upload("leverage", _leverage_upload(engine), "lev.csv",
                                             sources=("src.csv", sources), engine=engine), engine=engine)
    undone = change_sets.apply_preview(change_preview.validate_upload("risk_evidence", _csv(EVIDENCE_HEADER, GOOD_EVIDENCE), "ev.csv",
                                               engine=engine), engine=engine)
    change_sets.rollback_change_set(undone, engine=engine)
    skip = ("audit_log", "change_set", "build_info")
    expected = _dump(engine, skip)
    engine.dispose()
    build(url)
    assert _dump(engine, skip) == expected  # the leverage edits are back; the rolled-back set stays undone
    info = json.loads(build_info(engine=engine)["change_sets"])
    assert info["reapplied"] == [kept] and info["skipped"] == {}
    assert "re-applied" in change_log.list_change_sets(engine).set_index("id").loc[kept, "note"]
    change_sets.rollback_change_set(kept, engine=engine)  # still possible after the rebuild
    with engine.connect() as conn:
        assert conn.execute(select(schema.leverage.c.id).where(schema.leverage.c.id == "X-03")).first() is not None
        assert conn.execute(select(schema.source.c.id).where(schema.source.c.id == "ngo_2025")).first() is None


def test_a_change_set_whose_references_vanished_is_skipped_with_a_note(store: tuple[str, Engine],
                                                                      tmp_path: Path) -> None:
    """The repository drops an organisation a stored edit links to: the rebuild skips that set, says why."""
    import shutil

    from rmo_data.ingest.build import build
    from rmo_data.store.queries import build_info
    from rmo_data.ingest.seeds import SEED_DIR

    url, engine = store
    orphan = "cccmc"
    line = f"NI-99,nickel,peers,initiative,peers,mining,,{orphan},Pool,Do it.,rmo_report,2. Nickel,"
    set_id = change_sets.apply_preview(change_preview.validate_upload("leverage", _csv(LEVERAGE_HEADER, line), "lev.csv",
                                               engine=engine), engine=engine)
    seeds_copy = tmp_path / "seed"
    shutil.copytree(SEED_DIR, seeds_copy)
    orgs = pd.read_csv(seeds_copy / "organisations.csv", dtype=str, keep_default_na=False)
    orgs[orgs["slug"] != orphan].to_csv(seeds_copy / "organisations.csv", index=False)
    levs = pd.read_csv(seeds_copy / "leverages.csv", dtype=str, keep_default_na=False)
    levs["organisations"] = levs["organisations"].map(
        lambda cell: ";".join(o for o in cell.split(";") if o and o != orphan))
    levs.to_csv(seeds_copy / "leverages.csv", index=False)
    engine.dispose()
    build(url, seed_dir=seeds_copy)
    info = json.loads(build_info(engine=engine)["change_sets"])
    assert info["reapplied"] == [] and str(set_id) in info["skipped"]
    note = change_log.list_change_sets(engine).set_index("id").loc[set_id, "note"]
    assert "not re-applied" in note and orphan in note
    with engine.connect() as conn:
        assert conn.execute(select(schema.leverage.c.id).where(schema.leverage.c.id == "NI-99")).first() is None
    engine.dispose()  # the build swaps the file: pooled connections would read the old one
    build(url)  # the repository's organisation is back: the next rebuild re-applies the set
    assert json.loads(build_info(engine=engine)["change_sets"])["reapplied"] == [set_id]


def test_older_store_without_change_set_tables_is_upgraded(store: tuple[str, Engine]) -> None:
    """A store at the baseline revision gets the change sets from migration 0002, as the app's start does."""
    from alembic import command

    from rmo_data.store import migrate

    url, engine = store
    command.downgrade(migrate.alembic_config(url), migrate.BASELINE)
    assert "change_set" not in inspect(engine).get_table_names()
    migrate.upgrade(url)
    assert change_log.list_change_sets(engine).empty
    set_id = change_sets.apply_preview(change_preview.validate_upload("risk_evidence", _csv(EVIDENCE_HEADER, GOOD_EVIDENCE), "ev.csv",
                                               engine=engine), engine=engine)
    assert change_log.list_change_sets(engine)["id"].tolist() == [set_id]


# --- export ------------------------------------------------------------------------------------

def test_export_zip_holds_every_table_and_a_readable_sqlite_copy(store: tuple[str, Engine],
                                                                 tmp_path: Path) -> None:
    _url, engine = store
    change_sets.apply_preview(change_preview.validate_upload("risk_evidence", _csv(EVIDENCE_HEADER, GOOD_EVIDENCE), "ev.csv",
                                      engine=engine), engine=engine)
    data, manifest = store_export(engine)
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = set(archive.namelist())
    assert {f"tables/{t.name}.csv" for t in schema.metadata.sorted_tables} <= names
    assert {"manifest.json", "rmo.sqlite"} <= names
    stored = json.loads(archive.read("manifest.json"))
    assert stored == manifest
    assert stored["export_version"] == "1" and stored["schema_version"] == schema.SCHEMA_VERSION
    assert stored["build"]["finished_at"] and stored["exported_at"]
    copy = tmp_path / "copy.sqlite"
    copy.write_bytes(archive.read("rmo.sqlite"))
    check = sqlite3.connect(str(copy))
    try:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        with engine.connect() as conn:
            for table in schema.metadata.sorted_tables:
                live = len(conn.execute(select(table)).all())
                assert check.execute(f'SELECT COUNT(*) FROM "{table.name}"').fetchone()[0] == live
                assert stored["tables"][table.name] == live
                frame = pd.read_csv(io.BytesIO(archive.read(f"tables/{table.name}.csv")))
                assert len(frame) == live
    finally:
        check.close()


def test_export_from_a_non_sqlite_database_writes_a_sqlite_file(store: tuple[str, Engine]) -> None:
    """The table-by-table path (used for PostgreSQL), exercised through an in-memory SQLite engine."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import StaticPool

    _url, engine = store
    memory = create_engine("sqlite://", poolclass=StaticPool)
    schema.metadata.create_all(memory)
    with engine.connect() as src, memory.begin() as dst:
        for table in schema.metadata.sorted_tables:
            rows = [dict(r._mapping) for r in src.execute(select(table))]
            if rows:
                dst.execute(table.insert(), rows)
    data, manifest = store_export(memory)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert manifest["tables"]["risk_evidence"] == len(_dump(engine)["risk_evidence"])
    assert "rmo.sqlite" in archive.namelist()


def _watched(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """The tables an upload could write: the five, their link tables, sources and the log."""
    names = {"source", "audit_log", "change_set", "organisation_material", "leverage_target",
             "leverage_stage", "leverage_risk", "leverage_organisation", *upload_tables.SPECS}
    return {k: v for k, v in _dump(engine, skip=tuple(t.name for t in schema.metadata.sorted_tables
                                                      if t.name not in names)).items()}


# --- fuzz ----------------------------------------------------------------------------------------

_CELL = st.one_of(st.text(max_size=12), st.sampled_from(["", "nickel", "mining", "water", "rmo_report",
                                                         "delete", "3", "101", "-1", "2024", "x;y", "\"", ","]))
_CSVISH = st.lists(st.lists(_CELL, min_size=0, max_size=18), min_size=0, max_size=6).map(
    lambda rows: "\n".join(",".join(r) for r in rows))


def _template_rows(table: str) -> st.SearchStrategy[bytes]:
    """The table's own header (action column included) over rows of random cells."""
    columns = [*upload_tables.SPECS[table].columns, upload_tables.action_column(table)]
    row = st.lists(_CELL, min_size=len(columns), max_size=len(columns)).map(
        lambda cells: ",".join('"' + c.replace('"', '""') + '"' for c in cells))
    return st.lists(row, min_size=1, max_size=4).map(lambda rows: _csv(",".join(columns), *rows))


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
    before = _watched(engine)
    preview = change_preview.validate_upload(table, payload, name, mode=mode, sources=sources, engine=engine)
    assert all(not p.message.startswith("internal error") for p in preview.problems), preview.problems
    assert all(isinstance(p.file, str) and p.message for p in preview.problems)
    if not preview.ok:
        assert not preview.changes and not preview.sources
        with pytest.raises(ValueError):
            change_sets.apply_preview(preview, engine=engine)
    change_preview.preview_frames(preview)
    change_preview.problems_frame(preview.problems)
    assert _watched(engine) == before


_VALID_ROWS = {
    "risk_evidence": GOOD_EVIDENCE + ",",
    "end_use_share": "zinc,Galvanising,10,eq,false,first use,global,2020,,rmo_report,,",
    "production": "aluminium_bauxite_mine,aluminium,mining,Australia,country,2021,5,thousand metric dry tons,,"
                  "false,MCS2023,usgs_mcs2023,",
    "organisation": "new_org,New Org,NO,standard,nickel;zinc,true,A description.,,rmo_report,,",
    "leverage": "NI-99,nickel,peers,initiative,peers;msi,mining,water;ohs,cccmc,Pool,Do it.,rmo_report,2. Nickel,",
}


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), table=st.sampled_from(sorted(_VALID_ROWS)), replace=st.booleans(), xlsx=st.booleans())
def test_fuzz_mutated_rows_are_refused_or_round_trip(store: tuple[str, Engine], data: st.DataObject,
                                                     table: str, replace: bool, xlsx: bool) -> None:
    """A valid row with up to two random cells: refused without a write, or applied and rolled back exactly."""
    from rmo_data.exports import table_xlsx

    _url, engine = store
    cells = _VALID_ROWS[table].split(",")
    for _ in range(data.draw(st.integers(0, 2), label="mutations")):
        cells[data.draw(st.integers(0, len(cells) - 1))] = data.draw(_CELL)
    columns = [*upload_tables.SPECS[table].columns, upload_tables.action_column(table)]
    if xlsx:
        name, upload = "mutated.xlsx", table_xlsx(pd.DataFrame([cells], columns=columns))
    else:
        name, upload = "mutated.csv", _csv(",".join(columns), ",".join('"' + c.replace('"', '""') + '"'
                                                                       for c in cells))
    mode = "replace" if replace and upload_tables.SPECS[table].replace_by_material else "upsert"
    before = _watched(engine)
    preview = change_preview.validate_upload(table, upload, name, mode=mode, engine=engine)
    assert all(not p.message.startswith("internal error") for p in preview.problems), preview.problems
    if preview.ok and (preview.changes or preview.sources):
        set_id = change_sets.apply_preview(preview, engine=engine)
        change_sets.rollback_change_set(set_id, engine=engine)
        after = _watched(engine)
        assert {k: v for k, v in after.items() if k not in ("audit_log", "change_set")} == \
            {k: v for k, v in before.items() if k not in ("audit_log", "change_set")}
    else:
        assert _watched(engine) == before


def test_round_trip_through_a_rebuild(store: tuple[str, Engine]) -> None:
    """Validate, apply, rebuild (re-apply), roll back exactly, export: on both backends."""
    from rmo_data.ingest.build import build
    from rmo_data.exports import table_csv

    url, engine = store
    try:
        base = _dump(engine, ("audit_log", "change_set", "build_info"))
        sources = _csv(",".join(upload_tables.SOURCE_COLUMNS), "ngo_2025,A field report,An NGO,2025,,,cited,,")
        first = change_sets.apply_preview(change_preview.validate_upload("leverage", _leverage_upload(engine), "lev.csv",
                                                  sources=("src.csv", sources), engine=engine), engine=engine)
        zinc = upload_tables.current_rows("production", materials=["zinc"], engine=engine).iloc[:1].assign(quantity=12345)
        second = change_sets.apply_preview(change_preview.validate_upload("production", table_csv(zinc), "zinc.csv", mode="replace",
                                                   engine=engine), engine=engine)
        engine.dispose()
        build(url)
        with engine.connect() as conn:
            assert conn.execute(select(schema.leverage.c.id).where(schema.leverage.c.id == "NI-99")).first()
            assert len(conn.execute(select(schema.production.c.id).where(schema.production.c.material == "zinc")).all()) == 1
        change_sets.rollback_change_set(second, engine=engine)
        change_sets.rollback_change_set(first, engine=engine)
        assert _dump(engine, ("audit_log", "change_set", "build_info")) == base
        data, manifest = store_export(engine)
        assert manifest["source_dialect"] == engine.dialect.name
        assert "rmo.sqlite" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    finally:
        engine.dispose()
