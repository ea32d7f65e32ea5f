"""Pure chart builders for salience heat maps: DataFrame in, ``alt.Chart`` out, no streamlit.

Two views of the cells of ``rmo_data.analysis.salience``:

* :func:`material_heatmap`: one material, risk categories × value-chain stages;
* :func:`overview_heatmap`: across materials, risk categories × materials, each
  cell the material's most salient stage for that category.

Each cell is labelled with its salience (1–25).  A gap (the report flags the
risk but no case is rated) is drawn apart by more than colour: a pale fill, a
dashed outline and the word ``constants.SALIENCE_GAP_LABEL`` in italics.  The
colour scale is fixed at 1–25 so one value has one colour on every view.  A
click selects a cell (selection ``CELL``), whose inputs the page then lists;
the tooltip names them too.  Labels come from ``rmo_data.constants``.
"""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import pandas as pd

from rmo_data import constants
from rmo_data.analysis import salience
from rmo_data.charts.alt_text import describe
from rmo_data.charts.responsive import NARROW, on_phone
from rmo_data.charts.style import chart_title, title_on_phone

CELL = "cell"  # name of the click selection
GAP_FILL = "#F4F6F7"
GAP_STROKE = "#566573"
# Salience from which a cell's label turns from black to white: on Vega's orangered scale over 1-25 the
# two reach 4.5:1 on either side of it (tests/charts/test_contrast.py).
DARK_TEXT_BELOW = 19.0
MAX_MATERIALS = 30  # columns of the across-materials view; more would not fit a laptop's width


def heatmap_rows(cells: pd.DataFrame, names: Mapping[str, str], show_cases: bool = True) -> pd.DataFrame:
    """The rows a heat map draws, one per cell, with every text its label and tooltip show.

    Parameters
    ----------
    cells : pandas.DataFrame
        ``salience.salience_cells`` rows (or ``salience.across_materials``).
    names : mapping of str to str
        Short material names by slug (slugs of materials without one are shown as they are).
    show_cases : bool
        Name the case ids in the tooltip (partners); otherwise only their count.

    Returns
    -------
    pandas.DataFrame
        material, category, stage (slugs); material_name, category_label,
        stage_label; status, is_gap; salience (1–25, 0 for a gap so the mark
        is drawn), label (value or gap word), and the tooltip texts
        severity_text, likelihood_text, cases, countries, producers,
        years, sources, missing, stages (across-materials view only).
    """
    if cells.empty:
        return pd.DataFrame(columns=["material", "category", "stage", "material_name", "category_label",
                                     "stage_label", "status", "is_gap", "salience", "label", "label_phone", "key"])
    gap = cells["status"] == salience.GAP
    rows = pd.DataFrame({
        "material": cells["material"], "category": cells["category"], "stage": cells["stage"],
        "material_name": cells["material"].map(lambda m: names.get(m, m)),
        "category_label": cells["category"].map(lambda c: constants.RISK_CATEGORY_SHORT.get(c, c)),
        "stage_label": cells["stage"].map(lambda s: constants.STAGE_SHORT.get(s, s)),
        "status": [("gap: " + constants.MISSING) if g else "rated" for g in gap],
        "is_gap": gap,
        # Vega-Lite drops a rect whose colour field is null: a gap gets 0, drawn by the gap layer.
        "salience": cells["salience"].astype(float).fillna(0.0).round(2),
        "label": [salience.value_text(v) for v in cells["salience"]],
        # A phone's cells are 20-35 px wide: the value without its decimal ("10.5" ran into its neighbour).
        "label_phone": [salience.value_text(v, 0) for v in cells["salience"]],
        "severity_text": [salience.value_text(v, 2) for v in cells["severity"]],
        "likelihood_text": [salience.value_text(v, 2) for v in cells["likelihood"]],
        "cases": ([f"{int(n)}: {t}" for n, t in zip(cells["n_cases"], cells["cases_text"], strict=True)]
                  if show_cases else [f"{int(n)} case(s)" for n in cells["n_cases"]]),
        "countries": cells["evidence_countries"].replace("", "not stated"),
        "producers": cells["producers_text"],
        "years": cells["years_text"],
        "sources": ["; ".join(s) or constants.MISSING for s in cells["sources"]],
        "missing": cells["missing_inputs"].replace("", "none"),
    })
    if "stages_text" in cells:
        rows["stages"] = cells["stages_text"]
    rows["key"] = rows["material"] + "|" + rows["category"] + "|" + rows["stage"]
    return rows.reset_index(drop=True)


def _tooltip(across: bool) -> list[alt.Tooltip]:
    tips = [alt.Tooltip("material_name:N", title="Material"),
            alt.Tooltip("category_label:N", title="Risk"),
            alt.Tooltip("stage_label:N", title="Most salient stage" if across else "Stage"),
            alt.Tooltip("label:N", title="Salience (1–25)"),
            alt.Tooltip("severity_text:N", title="Severity (1–5), worst case"),
            alt.Tooltip("likelihood_text:N", title="Likelihood (1–5)"),
            alt.Tooltip("cases:N", title="Cases"),
            alt.Tooltip("countries:N", title="Countries in the cases"),
            alt.Tooltip("producers:N", title="Producing countries (share, WGI risk)"),
            alt.Tooltip("years:N", title="Case years"),
            alt.Tooltip("missing:N", title="Missing or weak inputs"),
            alt.Tooltip("sources:N", title="Sources")]
    if across:
        tips.insert(3, alt.Tooltip("stages:N", title="Each stage"))
    return tips


def _heatmap(rows: pd.DataFrame, x: alt.X, y: alt.Y, across: bool, title: alt.TitleParams,
             step: int) -> alt.LayerChart:
    """Rated cells coloured and labelled, gaps outlined and labelled, one click selection over both."""
    pick = alt.selection_point(name=CELL, fields=["material", "category", "stage"], on="click",
                               clear="dblclick")
    tooltip = _tooltip(across)
    base = alt.Chart(rows).encode(x=x, y=y, tooltip=tooltip)
    # One rect layer for rated cells and gaps, so a click on either selects it; a gap is drawn apart
    # by its pale fill, dashed outline and its word, not by colour alone.
    cells = base.mark_rect(strokeWidth=1.5).encode(
        color=alt.condition("datum.is_gap", alt.value(GAP_FILL), alt.Color(
            "salience:Q", title="Salience (1–25)",
            scale=alt.Scale(scheme="orangered", domain=list(salience.SALIENCE_SCALE)),
            legend=alt.Legend(orient="bottom", gradientLength=180))),
        stroke=alt.condition("datum.is_gap", alt.value(GAP_STROKE), alt.value("white")),
        strokeDash=alt.condition("datum.is_gap", alt.value([3, 2]), alt.value([1, 0])),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
    ).add_params(pick)
    values = base.transform_filter("!datum.is_gap").mark_text(
        fontSize=11, fontWeight="bold", text=alt.expr(f"{NARROW} ? datum.label_phone : datum.label")).encode(
        color=alt.condition(f"datum.salience >= {DARK_TEXT_BELOW}", alt.value("white"), alt.value("black")))
    gap_words = base.transform_filter("datum.is_gap").mark_text(fontSize=10, fontStyle="italic",
                                                                color=GAP_STROKE).encode(text="label:N")
    chart = alt.layer(cells, values, gap_words).properties(title=title, width="container", height=alt.Step(step))
    return title_on_phone(describe(chart, _summary(rows, across)))


def _summary(rows: pd.DataFrame, across: bool) -> str:
    """The heat map in words: how many cells are rated and how many are gaps, and the most salient cell."""
    if rows.empty:
        return "No salient risk in view."
    rated = rows[~rows["is_gap"].astype(bool)]
    gaps = len(rows) - len(rated)
    gap_text = f"; {gaps} gap(s) with no rated case" if gaps else ""
    if rated.empty:
        return f"No cell is rated{gap_text}."
    top = rated.loc[rated["salience"].idxmax()]
    where = f"{top['material_name']}, {top['category_label']}" if across else top["category_label"]
    return (f"{len(rated)} rated cell(s){gap_text}. Most salient: {where} at {top['stage_label']} "
            f"({top['label']} of 25).")


def _column_axis(angle: int, limit: int) -> alt.Axis:
    """The column names above a heat map: slanted, and upright on a phone, where slanted names
    overlapped and Vega dropped every other one (a phone's columns are wider than a line of text)."""
    return alt.Axis(orient="top", labelAngle=on_phone(-90, angle), labelAlign="left",
                    labelBaseline=on_phone("middle", "bottom"), labelLimit=limit, labelOverlap=False)


def _categories_present(rows: pd.DataFrame) -> list[str]:
    """The short names of the risk categories in ``rows``, in the constants' order (the heat maps' rows)."""
    found = set(rows["category"])
    return [constants.RISK_CATEGORY_SHORT[c] for c in constants.RISK_CATEGORY_SLUGS if c in found]


def material_heatmap(rows: pd.DataFrame, material_name: str) -> alt.LayerChart:
    """One material's salience: risk categories (rows) × value-chain stages (columns, in chain order).

    ``rows`` is :func:`heatmap_rows` of the material's cells.
    """
    stages = [constants.STAGE_SHORT[s] for s in constants.STAGE_SLUGS]
    present = _categories_present(rows)
    x = alt.X("stage_label:N", sort=stages, scale=alt.Scale(domain=stages), title=None, axis=_column_axis(-30, 120))
    y = alt.Y("category_label:N", sort=present, title=None, axis=alt.Axis(labelLimit=160))
    return _heatmap(rows, x, y, False, chart_title(
        f"{material_name}: salience by risk and stage",
        f"Salience = severity × likelihood (1–25); {constants.SALIENCE_GAP_NOTE}; empty = nothing recorded"),
        step=30)


def overview_heatmap(rows: pd.DataFrame, order: list[str], wide: bool = False) -> alt.LayerChart:
    """Salience across materials: risk categories (rows) × materials (columns, in ``order``).

    ``rows`` is :func:`heatmap_rows` of ``salience.across_materials``: each cell
    the most salient stage of that material and risk.  ``order`` lists the
    material names shown (at most ``MAX_MATERIALS`` fit; the caller chooses).
    ``wide`` turns it round (materials as rows, risks as columns) for a landscape
    slide, where the upright map had to shrink to the slide's height.
    """
    present = _categories_present(rows)
    materials = dict(field="material_name", type="nominal", sort=order, scale=alt.Scale(domain=order), title=None)
    risks = dict(field="category_label", type="nominal", sort=present, title=None)
    if wide:
        x, y = alt.X(**risks, axis=_column_axis(-40, 130)), alt.Y(**materials, axis=alt.Axis(labelLimit=150))
    else:
        x, y = alt.X(**materials, axis=_column_axis(-40, 110)), alt.Y(**risks, axis=alt.Axis(labelLimit=150))
    subtitle = ("Each cell: the most salient stage of that risk; salience = severity × likelihood (1–25); "
                f"{constants.SALIENCE_GAP_NOTE}")
    # A slide is never a phone: the subtitle in one line leaves the map the height.
    title = chart_title("Salience across materials", None if wide else subtitle)
    if wide:
        title.subtitle = subtitle
    return _heatmap(rows, x, y, True, title, step=28)
