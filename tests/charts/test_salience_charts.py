"""The salience heat maps inspected as specs: labels, gaps drawn apart not by colour alone, the click selection.

Rows come from the built store's salience cells; every spec is validated against the
Vega-Lite schema (``to_dict``).
"""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import Engine

from rmo_data import constants
from rmo_data.analysis import salience
from rmo_data.charts import salience_charts
from rmo_data.store import salience_reads


@pytest.fixture(scope="module")
def cells(built_engine: Engine) -> pd.DataFrame:
    return salience_reads.salience_table(built_engine, as_of=2026)


def _layers(spec: dict) -> tuple[dict, dict, dict]:
    rects = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rect"]
    texts = [layer for layer in spec["layer"] if layer["mark"]["type"] == "text"]
    assert len(rects) == 1 and len(texts) == 2
    values = next(t for t in texts if t["transform"][0]["filter"] == "!datum.is_gap")
    words = next(t for t in texts if t["transform"][0]["filter"] == "datum.is_gap")
    return rects[0], values, words


def test_material_heatmap_labels_values_and_marks_gaps_apart(cells: pd.DataFrame) -> None:
    mine = cells[cells["material"] == "tantalum"]
    rows = salience_charts.heatmap_rows(mine, constants.MATERIAL_SHORT)
    assert len(rows) == len(mine)
    spec = salience_charts.material_heatmap(rows, "Tantalum").to_dict()
    rect, values, words = _layers(spec)
    # Every cell says its value; a gap says the gap word, not a number, and is never 0 on its label.
    gaps = rows[rows["is_gap"]]
    assert not gaps.empty and (gaps["label"] == constants.SALIENCE_GAP_LABEL).all()
    rated = rows[~rows["is_gap"]]
    assert rated["label"].tolist() == [f"{v:.1f}" for v in mine.loc[mine["status"] == salience.RATED, "salience"]]
    # On a phone the value without its decimal, so it fits a narrow cell (rmo_data.charts.responsive).
    assert rated["label_phone"].tolist() == [f"{v:.0f}" for v in mine.loc[mine["status"] == salience.RATED, "salience"]]
    assert values["mark"]["text"] == {"expr": "containerSize()[0] < 560 ? datum.label_phone : datum.label"}
    assert words["encoding"]["text"]["field"] == "label"
    assert words["mark"]["fontStyle"] == "italic"
    # Gaps differ in fill, outline and dash, not only in colour.
    enc = rect["encoding"]
    assert enc["color"]["condition"]["test"] == "datum.is_gap"
    assert enc["color"]["condition"]["value"] == salience_charts.GAP_FILL
    assert enc["strokeDash"]["condition"]["value"] == [3, 2]
    assert enc["stroke"]["condition"]["value"] == salience_charts.GAP_STROKE
    # The colour scale is fixed at 1–25, so one value has one colour on every view.
    assert enc["color"]["scale"]["domain"] == list(salience.SALIENCE_SCALE)
    # Stages in value-chain order; one click selects a cell by material, category and stage.
    assert enc["x"]["sort"] == [constants.STAGE_SHORT[s] for s in constants.STAGE_SLUGS]
    param = spec["params"][0]
    assert param["name"] == salience_charts.CELL
    assert param["select"]["fields"] == ["material", "category", "stage"]
    titles = [t["title"] for t in enc["tooltip"]]
    for needed in ("Severity (1–5), worst case", "Likelihood (1–5)", "Cases", "Sources",
                   "Producing countries (share, WGI risk)"):
        assert needed in titles
    assert constants.SALIENCE_GAP_LABEL in " ".join(spec["title"]["subtitle"])


def test_case_ids_are_named_only_when_allowed(cells: pd.DataFrame) -> None:
    mine = cells[(cells["material"] == "tantalum") & (cells["status"] == salience.RATED)]
    partner = salience_charts.heatmap_rows(mine, constants.MATERIAL_SHORT, show_cases=True)
    public = salience_charts.heatmap_rows(mine, constants.MATERIAL_SHORT, show_cases=False)
    assert any("EV-TA-" in c for c in partner["cases"])
    assert not any("EV-TA-" in c for c in public["cases"])


def test_overview_heatmap_has_one_cell_per_material_and_risk(cells: pd.DataFrame) -> None:
    across = salience.across_materials(cells)
    assert not across.duplicated(["material", "category"]).any()
    # Each cell is its most salient stage: no stage of that material and risk is more salient.
    best = cells.groupby(["material", "category"])["salience"].max()
    got = across.set_index(["material", "category"])["salience"]
    pd.testing.assert_series_equal(got.sort_index(), best.reindex(got.index).sort_index(), check_names=False)
    rows = salience_charts.heatmap_rows(across, constants.MATERIAL_SHORT)
    order = [constants.MATERIAL_SHORT[m] for m in constants.MATERIAL_SLUGS]
    spec = salience_charts.overview_heatmap(rows, order).to_dict()
    rect, _values, _words = _layers(spec)
    assert rect["encoding"]["x"]["scale"]["domain"] == order
    assert "stages" in [t["field"] for t in rect["encoding"]["tooltip"]]
    # Gaps stay gaps across materials too (a risk flagged at no rated stage).
    assert rows["is_gap"].any() and (rows.loc[rows["is_gap"], "label"] == constants.SALIENCE_GAP_LABEL).all()
