"""The salience heat maps as the pages draw them: the chart, a cell picker and the chosen cell's inputs.

``heatmap(cells, key=...)`` draws one material's heat map (risk × stage) when
``material`` is given, else the view across materials (risk × material, each
cell its most salient stage).  A click on a cell, or the picker under the
chart (for keyboards and phones), chooses the cell whose inputs are listed
below: severity and its worst case, the weighted evidence, producing
countries and their WGI scores, years and sources.  Case ids and each case's
line are shown only to a role that may see case-level evidence.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from components import cached, render, signin, tables
from components.provenance import figure_footer
from rmo_data import constants
from rmo_data.analysis import salience
from rmo_data.charts import salience_charts
from rmo_data.store import salience_reads


def _pick_from_chart(chart_key: str, picker_key: str) -> None:
    """Chart callback: the clicked cell becomes the picker's value (callbacks run before the widgets)."""
    chosen = st.session_state.get(chart_key, {}).get("selection", {}).get(salience_charts.CELL, [])
    if chosen:
        hit = chosen[0]
        st.session_state[picker_key] = f"{hit.get('material')}|{hit.get('category')}|{hit.get('stage')}"


def heatmap(cells: pd.DataFrame, key: str, names: Mapping[str, str], material: str | None = None,
            material_name: str = "") -> None:
    """Draw a salience heat map of ``cells`` (``cached.salience()`` rows) with its cell picker and inputs.

    ``names`` gives short material names; ``material`` limits the view to one
    material (its profile), ``material_name`` titles it.
    """
    show_cases = signin.can("case_evidence")
    if material is not None:
        shown = cells[cells["material"] == material]
    else:
        shown = salience.across_materials(cells)
    if shown.empty:
        st.info("No salient risk or rated case is recorded for the materials in view.", icon=":material/info:")
        return
    order = [m for m in dict.fromkeys(shown["material"])]
    if material is None and len(order) > salience_charts.MAX_MATERIALS:
        # The most salient materials fit a screen; the rest are named below.
        ranked = salience.material_salience(cells[cells["material"].isin(order)])["salience"]
        order = [m for m in ranked.sort_values(ascending=False, kind="stable").index[:salience_charts.MAX_MATERIALS]]
        st.caption(f"The {salience_charts.MAX_MATERIALS} most salient of {shown['material'].nunique()} materials "
                   "in view are drawn; narrow the materials in the sidebar to see others.")
        shown = shown[shown["material"].isin(order)]
    rows = salience_charts.heatmap_rows(shown, names, show_cases=show_cases)
    chart_key, picker_key = f"{key}_chart", f"{key}_cell"
    if material is not None:
        render.chart(salience_charts.material_heatmap, rows, material_name, key=chart_key,
                     on_select=lambda: _pick_from_chart(chart_key, picker_key), selection_mode=salience_charts.CELL)
    else:
        render.chart(salience_charts.overview_heatmap, rows, [names.get(m, m) for m in order], key=chart_key,
                     on_select=lambda: _pick_from_chart(chart_key, picker_key), selection_mode=salience_charts.CELL)
    sources = sorted({t for ts in shown["sources"] for t in ts})
    years = sorted({int(y) for col in ("production_year", "wgi_year") for y in shown[col].dropna()})
    figure_footer(lambda: rows.drop(columns=["key", "is_gap", "label_phone"]), "Salience heat map", sources, years,
                  unit="salience 1–25 = severity 1–5 × likelihood 1–5",
                  note=f"{constants.SALIENCE_GAP_NOTE}. Method and limits: Sources & method.", key=f"{key}_dl",
                  uses_weights=False)
    _inputs(rows, shown, picker_key, show_cases)


def _label(row: pd.Series) -> str:
    return (f"{row['material_name']} · {row['category_label']} · {row['stage_label']}: "
            + (constants.SALIENCE_GAP_LABEL if row["is_gap"] else row["label"]))


def _inputs(rows: pd.DataFrame, shown: pd.DataFrame, picker_key: str, show_cases: bool) -> None:
    """The picker of cells (most salient first) and the chosen cell's inputs as a table."""
    ordered = rows.sort_values("salience", ascending=False, kind="stable")
    keys = ordered["key"].tolist()
    if st.session_state.get(picker_key) not in keys:
        st.session_state[picker_key] = keys[0]  # the most salient cell until one is chosen
    labels = dict(zip(ordered["key"], ordered.apply(_label, axis=1), strict=True))
    chosen = st.selectbox("Why this cell? Choose a cell (or click one in the chart)", keys, key=picker_key,
                          format_func=labels.__getitem__)
    material, category, stage = chosen.split("|")
    cell = shown[(shown["material"] == material) & (shown["category"] == category)
                 & (shown["stage"] == stage)].iloc[0]
    cases = (cached.read(salience_reads.cell_cases, material=material, category=category, stage=stage)
             if show_cases and cell["n_cases"] else None)
    table = salience.cell_inputs(cell, cases)
    if not show_cases:
        table = table[table["Input"] != "Cases"]
    tables.dataframe(table, hide_index=True, width="stretch", key=f"{picker_key}_inputs",
                     column_config={"Input": st.column_config.TextColumn(width="medium"),
                                    "Value": st.column_config.TextColumn(width="large")})
    if show_cases and cell["n_cases"] > len(cases if cases is not None else []):
        st.caption(f"The {len(cases)} most severe of {int(cell['n_cases'])} cases are listed.")
    if not show_cases:
        # A public visitor meets this on the Material profile only, under its note on packs (a box).
        signin.partner_note("the cases behind each cell", compact=True)
