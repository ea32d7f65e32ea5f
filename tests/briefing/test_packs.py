"""Briefing packs and table downloads, tested on the files themselves.

Packs are built from the session's store (``built_engine``) and read back with
python-pptx and pypdf; expected names and sources come from the store, never
typed in.  The AppTest part checks that the overview offers a pack, does not
build one on load, and offers two downloads after the click.  The XLSX test
opens the workbook with openpyxl and compares it with the CSV.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pypdf import PdfReader
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from rmo_data.briefing import chart_images, content, model, pack
from rmo_data.store import queries
from rmo_data import constants
from rmo_data.exports import table_csv, table_xlsx
from tests.signin import sign_in

ROOT = Path(__file__).resolve().parents[2]
YEAR = re.compile(r"\b(19|20)\d\d\b")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TWO = ["nickel", "zinc"]
MARKUP_NOTE = "Check <b>tier-1</b> & <script>alert(1)</script> first"


def _ranking(materials: list[str]) -> tuple[pd.DataFrame, dict[str, int]]:
    """A ranking in the wide shape the prioritisation page passes (made up here, not scored)."""
    weights = dict(constants.WEIGHT_PRESETS["human_rights"])
    rows = []
    for i, slug in enumerate(reversed(materials)):
        contrib = {c: (i + 1) * 0.01 * (k % 3 + 1) for k, c in enumerate(constants.CRITERION_SLUGS)}
        rows.append({"material": slug, **contrib, "score": sum(contrib.values())})
    frame = pd.DataFrame(rows).sort_values("score", ascending=False)
    frame["rank"] = range(1, len(frame) + 1)
    return frame.set_index("material"), weights


def _plan() -> pd.DataFrame:
    return pd.DataFrame([
        {"leverage_id": "NI-01", "title": "Consider sulfidic over lateritic nickel ore sourcing",
         "material": "nickel", "category": "commercial", "actor": "oem", "owner": "Procurement",
         "due_date": dt.date(2026, 3, 31), "status": "in_progress", "note": MARKUP_NOTE},
        {"leverage_id": "X-99", "title": None, "material": None, "category": None, "actor": None,
         "owner": None, "due_date": None, "status": "planned", "note": None},
    ])


@pytest.fixture(scope="module")
def all_slugs(built_engine: Engine) -> list[str]:
    return queries.materials(built_engine)["slug"].tolist()


@pytest.fixture(scope="module")
def two_pack(built_engine: Engine) -> dict[str, bytes]:
    """Two materials, as the overview builds them: no ranking, no plan."""
    return pack.build_packs(TWO, built_engine)


@pytest.fixture(scope="module")
def full_pack(built_engine: Engine, all_slugs: list[str]) -> dict[str, object]:
    """Every material with a ranking, its weights and an action plan; timed."""
    ranking, weights = _ranking(all_slugs)
    steps: list[tuple[str, float]] = []
    started = time.perf_counter()
    files = pack.build_packs(all_slugs, built_engine, ranking=ranking, weights=weights, plan=_plan(),
                                 title="Board briefing", progress=lambda s, f: steps.append((s, f)))
    return {"files": files, "seconds": time.perf_counter() - started, "steps": steps,
            "ranking": ranking, "weights": weights}


def _slides(pptx: bytes) -> list:
    return list(Presentation(io.BytesIO(pptx)).slides)


def _titles(pptx: bytes) -> list[str]:
    return [s.shapes.title.text for s in _slides(pptx) if s.shapes.title is not None]


def _slide_text(slide) -> str:  # noqa: ANN001
    parts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            parts.append(shape.text_frame.text)
        if shape.has_table:
            parts += [cell.text for row in shape.table.rows for cell in row.cells]
    return "\n".join(parts)


def _pdf_pages(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def _source_titles(engine: Engine) -> list[str]:
    return queries.sources(engine)["title"].tolist()


# --- PowerPoint ------------------------------------------------------------------------


def test_pptx_has_the_expected_slides(two_pack: dict[str, bytes], built_engine: Engine) -> None:
    titles = _titles(two_pack["pptx"])
    assert titles[0] == model.DEFAULT_TITLE
    assert "Priority ranking" in titles
    for slug in TWO:
        name = queries.material(slug, engine=built_engine)["name"]
        assert sum(name in t for t in titles) == 2, f"{name} should have two slides: {titles}"
    assert "Action plan" in titles
    assert "Sources" in titles


def test_every_slide_has_a_source_footer_with_a_year(two_pack: dict[str, bytes],
                                                     built_engine: Engine) -> None:
    titles = _source_titles(built_engine)
    for i, slide in enumerate(_slides(two_pack["pptx"]), start=1):
        footers = [s for s in slide.shapes if s.name == "Footer: sources"]
        assert len(footers) == 1, f"slide {i} has {len(footers)} footers"
        text = footers[0].text_frame.text
        assert any(t in text for t in titles), f"slide {i} footer names no source: {text}"
        assert YEAR.search(text), f"slide {i} footer has no year: {text}"


def test_pptx_charts_are_png_pictures(two_pack: dict[str, bytes], built_engine: Engine) -> None:
    pictures = [shape for slide in _slides(two_pack["pptx"]) for shape in slide.shapes
                if shape.shape_type == MSO_SHAPE_TYPE.PICTURE]
    names = {p.name for p in pictures}
    assert "Chart: overview comparison" in names  # no ranking: the overview heat table instead
    assert "Chart: production" in names
    if any(not queries.end_use_shares(m, engine=built_engine).empty for m in TWO):
        assert "Chart: end_use" in names
    for picture in pictures:
        assert picture.image.blob.startswith(PNG_MAGIC)
        assert picture.image.size[0] >= 600, "charts are rendered at twice their size"


def test_without_ranking_the_pack_says_so(two_pack: dict[str, bytes]) -> None:
    ranking_slide = next(s for s in _slides(two_pack["pptx"]) if s.shapes.title.text == "Priority ranking")
    text = _slide_text(ranking_slide)
    assert "No prioritisation was run" in text
    assert "Weight" not in text
    pdf_text = "\n".join(_pdf_pages(two_pack["pdf"]))
    assert "No prioritisation was run" in pdf_text
    assert "Weights used" not in pdf_text
    assert "The action plan is empty" in pdf_text


def test_ranking_and_weights_appear_as_passed(full_pack: dict[str, object], built_engine: Engine) -> None:
    files = full_pack["files"]
    ranking = full_pack["ranking"]
    weights = full_pack["weights"]
    slides = _slides(files["pptx"])
    slide = next(s for s in slides if s.shapes.title.text == "Priority ranking")
    tables = [s.table for s in slide.shapes if s.has_table]
    rank_rows = [[c.text for c in row.cells] for row in tables[0].rows][1:]
    names = dict(zip(queries.materials(built_engine)["slug"], queries.materials(built_engine)["name"],
                     strict=True))
    assert [r[1] for r in rank_rows] == [names[m] for m in ranking.index]
    assert [int(r[0]) for r in rank_rows] == ranking["rank"].tolist()
    weight_rows = {row.cells[0].text: row.cells[1].text for row in list(tables[1].rows)[1:]}
    assert weight_rows == {constants.CRITERION_LABELS[c]: f"{w:g}" for c, w in weights.items()}
    # The contributions are a native, editable chart on the next slide.
    charts = [s for s in slides for sh in s.shapes if sh.has_chart]
    assert charts, "no native chart of the score contributions"
    pdf_text = "\n".join(_pdf_pages(files["pdf"]))
    assert "Weights used" in pdf_text
    assert "No prioritisation was run" not in pdf_text
    for crit in constants.CRITERIA:
        assert crit.label in pdf_text


def test_material_order_follows_the_ranking(full_pack: dict[str, object], built_engine: Engine) -> None:
    ranking = full_pack["ranking"]
    names = dict(zip(queries.materials(built_engine)["slug"], queries.materials(built_engine)["name"],
                     strict=True))
    titles = [t for t in _titles(full_pack["files"]["pptx"]) if t.endswith(": use and supply concentration")]
    assert [t.split(":")[0] for t in titles] == [names[m] for m in ranking.index]


def test_plan_items_are_shown_as_plain_text(full_pack: dict[str, object]) -> None:
    files = full_pack["files"]
    slide = next(s for s in _slides(files["pptx"]) if s.shapes.title.text == "Action plan")
    text = _slide_text(slide)
    assert "NI-01" in text and "2026-03-31" in text and "In progress" in text
    assert MARKUP_NOTE in text
    pdf_text = re.sub(r"\s+", " ", "\n".join(_pdf_pages(files["pdf"])))
    # reportlab reads markup: the note must come out literally, tags and ampersand included.
    assert "<b>tier-1</b> &" in pdf_text
    assert "<script>" in pdf_text


# --- PDF ---------------------------------------------------------------------------


def test_pdf_pages_hold_titles_materials_and_sources(two_pack: dict[str, bytes], built_engine: Engine) -> None:
    pages = _pdf_pages(two_pack["pdf"])
    # title, ranking, one page per material, plan, sources (a long source list may add one).
    assert len(TWO) + 4 <= len(pages) <= len(TWO) + 5
    text = "\n".join(pages)
    assert model.DEFAULT_TITLE in pages[0]
    for slug in TWO:
        assert queries.material(slug, engine=built_engine)["name"] in text
    assert "Action plan" in text and "Sources" in text
    titles = _source_titles(built_engine)
    for i, page in enumerate(pages, start=1):
        flat = re.sub(r"\s+", " ", page)
        assert "Sources:" in flat, f"page {i} has no source footer"
        assert any(t in flat for t in titles), f"page {i} names no source"
        assert YEAR.search(flat.split("Sources:")[-1]), f"page {i} footer has no year"


def test_pdf_embeds_the_charts(two_pack: dict[str, bytes]) -> None:
    reader = PdfReader(io.BytesIO(two_pack["pdf"]))
    images = [img for page in reader.pages for img in page.images]
    # The overview heat table, then per material end use and/or production.
    assert len(images) >= 1 + len(TWO)


def test_all_materials_pack_is_complete_and_fast(full_pack: dict[str, object], all_slugs: list[str],
                                                 built_engine: Engine) -> None:
    files = full_pack["files"]
    pages = _pdf_pages(files["pdf"])
    assert len(all_slugs) + 4 <= len(pages) <= 2 * len(all_slugs) + 6
    text = "\n".join(pages)
    for name in queries.materials(built_engine)["name"]:
        assert name in text
    assert "Board briefing" in pages[0]
    titles = _titles(files["pptx"])
    assert titles[0] == "Board briefing"
    assert sum(t.endswith(": use and supply concentration") for t in titles) == len(all_slugs)
    # The target is 15 s on a two-core machine; the bound leaves room for a slow CI runner.
    assert full_pack["seconds"] < 60, f"building both formats took {full_pack['seconds']:.1f} s"
    fractions = [f for _, f in full_pack["steps"]]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


# --- data step and charts ------------------------------------------------------------------


def test_collect_gathers_sourced_content(built_engine: Engine) -> None:
    data = content.collect(["nickel"], built_engine)
    brief = data.materials[0]
    assert brief.name == queries.material("nickel", engine=built_engine)["name"]
    mining = brief.concentration[0]
    assert mining.stage == "mining" and mining.hhi is not None and mining.year is not None
    assert mining.source_id in data.sources
    assert 0 < len(brief.leverages) <= model.MAX_LEVERAGES
    cards = queries.leverages(materials=["nickel"], include_cross=False, engine=built_engine)
    assert {lev.id for lev in brief.leverages} <= set(cards["id"])
    assert brief.evidence and brief.organisations, "fixture needs nickel cases and organisations"
    severities = [case.severity for case in brief.evidence]
    assert severities == sorted(severities, reverse=True)
    assert all(case.source_label for case in brief.evidence)
    linked = set(queries.organisations(materials=["nickel"], engine=built_engine)["name"])
    assert all(any(org.name.startswith(n) for n in linked) for org in brief.organisations)
    assert not data.ranking.ran and data.plan is None
    assert model.REPORT_SOURCE in data.sources


def test_collect_rejects_unknown_materials(built_engine: Engine) -> None:
    with pytest.raises(ValueError, match="unobtainium"):
        content.collect(["nickel", "unobtainium"], built_engine)
    with pytest.raises(ValueError, match="needs at least one material"):
        content.collect([], built_engine)


def test_ranking_in_long_form_is_accepted(built_engine: Engine) -> None:
    wide, weights = _ranking(["nickel", "zinc", "graphite"])
    long = wide.reset_index().melt(id_vars=["material", "score", "rank"], var_name="criterion",
                                   value_name="contribution")
    data = content.collect(["zinc"], built_engine, ranking=long, weights=weights)
    assert data.ranking.ran
    assert data.ranking.table["material"].tolist() == wide.index.tolist()
    assert "*" in data.ranking.note  # only some ranked materials are in the pack


def test_each_chart_is_rendered_once(built_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    data = content.collect(["zinc"], built_engine)
    calls: list[str] = []
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(buffer, format="PNG")
    monkeypatch.setattr(chart_images, "render_png", lambda spec, scale=2: calls.append(spec) or buffer.getvalue())
    pack.to_pptx(data)
    pack.to_pdf(data)
    assert len(calls) == len(data.chart_specs())


def test_static_specs_have_fixed_sizes_and_lifted_labels(built_engine: Engine) -> None:
    data = content.collect(list(TWO), built_engine)
    for key, spec in data.chart_specs().items():
        assert '"container"' not in spec, key
        assert "line-bottom" not in spec, key


# --- AppTest: the buttons on the pages ---------------------------------------------------------------


@pytest.fixture()
def build_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every call of ``build_packs`` (the real one still runs)."""
    calls: list[list[str]] = []
    real = pack.build_packs

    def counting(materials, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        calls.append(list(materials))
        return real(materials, *args, **kwargs)

    monkeypatch.setattr(pack, "build_packs", counting)
    return calls


def _keys(at: AppTest, kind: str) -> set[str]:
    return {e.key for e in at.get(kind)}


def test_overview_builds_a_pack_only_when_asked(app: AppTest, build_calls: list[list[str]]) -> None:
    sign_in(app, "partner")  # briefing packs are for partners
    app.switch_page("pages/overview.py")
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert "ov_pack_prepare" in _keys(app, "button")
    assert app.button(key="ov_pack_prepare").label == "Prepare briefing pack"
    assert build_calls == []
    assert not {"ov_pack_pptx", "ov_pack_pdf"} & _keys(app, "download_button")
    app.session_state["materials"] = ["zinc", "nickel"]
    app.run()
    assert build_calls == []
    app.button(key="ov_pack_prepare").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert build_calls == [["nickel", "zinc"]]  # display order, as the page shows them
    assert {"ov_pack_pptx", "ov_pack_pdf"} <= _keys(app, "download_button")
    app.run()  # a plain rerun keeps the files and does not build again
    assert build_calls == [["nickel", "zinc"]]
    assert {"ov_pack_pptx", "ov_pack_pdf"} <= _keys(app, "download_button")
    app.session_state["materials"] = ["zinc"]
    app.run()  # other inputs: the old files go, the button comes back, nothing is built
    assert build_calls == [["nickel", "zinc"]]
    assert "ov_pack_pptx" not in _keys(app, "download_button")
    assert "ov_pack_prepare" in _keys(app, "button")


def test_material_page_offers_a_pack(app: AppTest, build_calls: list[list[str]]) -> None:
    sign_in(app, "partner")
    app.session_state["material"] = "graphite"
    app.switch_page("pages/material.py")
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert "mp_pack_prepare" in _keys(app, "button")
    assert build_calls == []


def test_pack_signature_follows_every_value_of_its_frames() -> None:
    """The kept pack is dropped when any ranking or plan value changes, and only then."""
    from components.pack_downloads import _frame_text

    ranking = pd.DataFrame({"material": ["zinc", "nickel"], "score": [0.61, 0.42], "rank": [1, 2]})
    assert _frame_text(ranking) == _frame_text(ranking.copy())
    assert _frame_text(ranking) != _frame_text(ranking.assign(score=[0.61, 0.43]))
    assert _frame_text(ranking) != _frame_text(ranking.rename(columns={"score": "points"}))
    assert _frame_text(ranking) != _frame_text(ranking.iloc[::-1])
    plan = pd.DataFrame({"card": ["L1"], "risks": [["child_labour"]]})  # list cells cannot be hashed by pandas
    assert _frame_text(plan) != _frame_text(plan.assign(risks=[["water"]]))
    assert _frame_text(None) == "-"


# --- tables as CSV and XLSX ----------------------------------------------------------------


def test_figure_footers_offer_csv_and_xlsx(app: AppTest) -> None:
    sign_in(app, "partner")  # downloads are for partners (the public view: tests/access/test_roles.py)
    app.switch_page("pages/overview.py")
    app.run()
    keys = _keys(app, "download_button")
    for base in ("dl_ov_heat", "dl_ov_scatter", "dl_ov_compare"):
        assert {base, f"{base}-xlsx"} <= keys
    labels = {e.key: e.proto.label for e in app.get("download_button")}
    assert labels["dl_ov_heat-xlsx"] == "Download XLSX"


@pytest.mark.parametrize("name", ["overview", "leverages", "evidence"])
def test_xlsx_holds_the_same_rows_as_the_csv(built_engine: Engine, name: str) -> None:
    frame = {"overview": lambda: queries.overview(built_engine),
             "leverages": lambda: queries.leverages(materials=["nickel"], engine=built_engine),
             "evidence": lambda: queries.evidence(materials=["zinc"], engine=built_engine)}[name]()
    csv = pd.read_csv(io.BytesIO(table_csv(frame)), dtype=str, keep_default_na=False)
    book = openpyxl.load_workbook(io.BytesIO(table_xlsx(frame, f"{name} table")), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert list(rows[0]) == list(csv.columns)
    assert len(rows) - 1 == len(csv) == len(frame)

    def same(a: object, b: str) -> bool:
        if a is None:
            return b == ""
        if isinstance(a, bool):
            return str(a) == b
        if isinstance(a, int | float):
            return b != "" and float(b) == pytest.approx(float(a))
        if isinstance(a, dt.datetime):
            return b.startswith(a.date().isoformat())
        return str(a) == b

    for r, (xl_row, (_, csv_row)) in enumerate(zip(rows[1:], csv.iterrows(), strict=True)):
        for column, a, b in zip(csv.columns, xl_row, csv_row, strict=True):
            assert same(a, b), f"row {r}, column {column}: XLSX {a!r} vs CSV {b!r}"


def test_xlsx_keeps_formula_like_text_as_text() -> None:
    frame = pd.DataFrame({"note": ["=HYPERLINK(\"http://x\")", "plain"], "items": [["a", "b"], []]})
    sheet = openpyxl.load_workbook(io.BytesIO(table_xlsx(frame, "Notes: [x]"))).active
    assert sheet["A2"].data_type == "s" and sheet["A2"].value == "'=HYPERLINK(\"http://x\")"
    assert sheet["B2"].value == "a; b"
    assert sheet.title == "Notes   x"


def test_a_top_place_resting_on_gaps_is_flagged_in_the_pack(built_engine: Engine,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's ranking (long form with gap columns) carries its flags into both formats."""
    from rmo_data.analysis import prioritisation
    from rmo_data.store.criteria import criteria_table

    weights = {c: 0 for c in constants.CRITERION_SLUGS} | {"auto_share": 10, "mining_hhi": 10}
    data = criteria_table(built_engine)
    prio = prioritisation.prioritise(data, list(data.raw.index), weights)
    flagged = list(prio.gaps.index[prio.gaps["rests_on_gaps"]])
    assert flagged, "this weight set puts a material with an imputed value in the top 3"
    collected = content.collect(list(prio.ranked.index[:2]), built_engine, ranking=prio.explained,
                                weights=weights)
    table = collected.ranking.table.set_index("material")
    names = dict(zip(queries.materials(built_engine)["slug"], queries.materials(built_engine)["name"],
                     strict=True))
    for slug in flagged:
        assert table.at[slug, "gap_flag"] == prio.gaps.at[slug, "gap_flag"]
        assert f"{model.GAP_MARK} {names[slug]}: {prio.gaps.at[slug, 'gap_flag']}" in collected.ranking.gap_note
    assert table["gap_share"].tolist() == pytest.approx(prio.gaps.loc[table.index, "gap_share"].tolist())
    # Charts are not what this test reads: a blank PNG keeps it quick.
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(buffer, format="PNG")
    monkeypatch.setattr(chart_images, "render_png", lambda spec, scale=2: buffer.getvalue())
    slide = next(s for s in _slides(pack.to_pptx(collected)) if s.shapes.title.text == "Priority ranking")
    rows = [[c.text for c in row.cells] for row in next(s for s in slide.shapes if s.has_table).table.rows][1:]
    marked = {r[1] for r in rows if r[1].endswith(model.GAP_MARK)}
    assert marked == {f"{names[m]} {model.GAP_MARK}" for m in flagged}
    assert prio.gaps.at[flagged[0], "gap_flag"] in _slide_text(slide)
    pdf_text = " ".join(" ".join(_pdf_pages(pack.to_pdf(collected))).split())
    assert f"{names[flagged[0]]} {model.GAP_MARK}" in pdf_text
    assert "rests on gaps" in pdf_text


def test_pack_tables_and_chart_name_things_by_the_vocabulary(full_pack: dict[str, object]) -> None:
    """Every table header of the slides, and the contribution chart's series, obey the vocabulary rule.

    Header cells are labels (tests/vocabulary_rule.py, loose rule); series names stand for one
    criterion each (strict rule), so "Mining HHI" or "Severity" fails either way.
    """
    from tests.shown_names import Shown
    from tests.vocabulary_rule import problems

    found: list[Shown] = []
    for i, slide in enumerate(_slides(full_pack["files"]["pptx"])):
        for shape in slide.shapes:
            if shape.has_table:
                found += [Shown(f"slide {i} table header", c.text) for c in shape.table.rows[0].cells]
            if shape.has_chart:
                found += [Shown(f"slide {i} chart series", s.name, True, f"slide {i} series", "criterion")
                          for s in shape.chart.plots[0].series]
    assert any(s.strict for s in found) and len(found) > 10
    assert not problems(found), problems(found)
