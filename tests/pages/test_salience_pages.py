"""AppTest runs of salience and gaps on the pages: Prioritisation, Material profile, Sources & method.

Expected rankings, flags and cells are computed in the test from the store with the
pure functions (``scoring``, ``gaps``, ``salience_reads``), never typed in.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlalchemy import Engine
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from rmo_data import constants
from rmo_data.analysis import gaps, salience, scoring
from rmo_data.exports import table_csv
from rmo_data.store import salience_reads
from rmo_data.store.criteria import criteria_table
from tests.apptest import no_exception, open_as, open_tab
from tests.signin import sign_in

PRIO = "pages/prioritisation.py"
MATERIAL = "pages/material.py"
# The automotive share (no data recorded for four materials) and mining concentration only: the top 3
# of this store then holds a material whose automotive share is imputed.
GAPPY = {c: 0 for c in constants.CRITERION_SLUGS} | {"auto_share": 10, "mining_hhi": 10}


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [i.value for i in at.info] + [w.value for w in at.warning]
    return "\n".join(str(p) for p in parts)


def _frame(at: AppTest, *columns: str) -> pd.DataFrame:
    for df in at.dataframe:
        if isinstance(df.value, pd.DataFrame) and set(columns) <= set(df.value.columns):
            return df.value
    raise AssertionError(f"no data frame with columns {columns}")


def _chart_rows(at: AppTest) -> pd.DataFrame:
    """The rows the first chart on the page was sent with (Streamlit ships them as Arrow datasets)."""
    proto = at.get("vega_lite_chart")[0].proto
    frames = [convert_arrow_bytes_to_pandas_df(ds.data.data) for ds in proto.datasets]
    assert frames, "the chart carries its rows as datasets"
    return pd.concat(frames, ignore_index=True)


def _weights(at: AppTest, weights: dict[str, int]) -> AppTest:
    for slug, value in weights.items():
        at.slider(key=f"wt_{slug}").set_value(value)
    return no_exception(at.run())


def _expected_gaps(engine: Engine, weights: dict[str, int], leave_out: bool = False) -> pd.DataFrame:
    data = criteria_table(engine)
    norm = scoring.normalise(data.raw)
    return gaps.gap_analysis(norm, weights, data.raw.isna(), data.uncertain, leave_gaps_out=leave_out)


def test_a_top_place_resting_on_gaps_is_flagged_in_the_ranking_and_its_csv(app: AppTest, built_engine: Engine) -> None:
    expected = _expected_gaps(built_engine, GAPPY)
    flagged = list(expected.index[expected["rests_on_gaps"]])
    assert flagged, "this weight set should put a material with an imputed value in the top 3"
    at = _weights(open_as(app, PRIO), GAPPY)
    table = _frame(at, "rank", "name", "gap_share", "gap_flag").set_index("name")
    for slug in flagged:
        name = constants.MATERIAL_LABELS[slug]
        assert table.at[name, "gap_flag"] == expected.at[slug, "gap_flag"]
        assert str(int(expected.at[slug, "worst_rank"])) in table.at[name, "gap_flag"]
        assert f"⚑ **{name}**" in _texts(at)
        assert f"{name} ⚑" in _texts(at)  # in the top-3 line
    others = [constants.MATERIAL_LABELS[m] for m in expected.index if m not in flagged]
    assert (table.loc[others, "gap_flag"] == "—").all()
    # Shown in percent ("35 %"); the download keeps the share 0–1.
    assert table["gap_share"].tolist() == pytest.approx((expected["gap_share"] * 100).tolist())
    # The CSV download is this table through exports.table_csv: the flag and the share are in it.
    csv = table_csv(table.reset_index()).decode("utf-8")
    assert "gap_flag" in csv and "gap_share" in csv
    assert expected.at[flagged[0], "gap_flag"] in csv


def test_leaving_gaps_out_ranks_without_imputing_and_flags_nothing(app: AppTest, built_engine: Engine) -> None:
    at = _weights(open_as(app, PRIO), GAPPY)
    at.toggle(key="pr_leave_gaps").set_value(True)
    no_exception(at.run())
    data = criteria_table(built_engine)
    ranked = scoring.ranking(scoring.normalise(data.raw), GAPPY, data.raw.isna())
    table = _frame(at, "rank", "name", "gap_flag")
    assert table["name"].tolist() == [constants.MATERIAL_LABELS[m] for m in ranked.index]
    assert (table["gap_flag"] == "—").all()
    assert "Gaps left out" in _texts(at)


def test_the_due_diligence_preset_leaves_every_other_lens_at_zero_and_says_so(app: AppTest,
                                                                              built_engine: Engine) -> None:
    at = open_as(app, PRIO)
    at.button(key=f"preset_{constants.DUE_DILIGENCE}").click()
    no_exception(at.run())
    preset = constants.WEIGHT_PRESETS[constants.DUE_DILIGENCE]
    for lens in constants.LENSES:
        for slug in lens.criteria:
            value = at.slider(key=f"wt_{slug}").value
            assert value == preset[slug]
            if lens.slug != constants.DUE_DILIGENCE:
                assert value == 0, slug
    text = _texts(at)
    assert constants.PRESET_LABELS[constants.DUE_DILIGENCE] in text
    assert "Supply security" in text and "Industry's weight" in text and "are at 0" in text
    data = criteria_table(built_engine)
    ranked = scoring.ranking(scoring.normalise(data.raw), preset)
    assert _frame(at, "rank", "name")["name"].tolist() == [constants.MATERIAL_LABELS[m] for m in ranked.index]
    # One supply-security weight more: the page says the ranking now mixes lenses.
    at.slider(key="wt_supply_risk").set_value(3)
    no_exception(at.run())
    assert "Mixed lenses" in _texts(at)


def test_the_salience_tab_draws_the_heat_map_and_explains_a_cell(app: AppTest, built_engine: Engine) -> None:
    at = open_tab(open_as(app, PRIO), "pr_tab", "Salience")
    charts = at.get("vega_lite_chart")
    assert charts, "the heat map is drawn"
    spec = json.loads(charts[0].proto.spec)
    assert spec["title"]["text"] == "Salience across materials"
    cells = salience_reads.salience_table(built_engine)
    across = salience.across_materials(cells)
    best = across.sort_values("salience", ascending=False, kind="stable").iloc[0]
    picker = at.selectbox(key="pr_sal_cell")
    assert picker.value == f"{best['material']}|{best['category']}|{best['stage']}"  # most salient first
    inputs = _frame(at, "Input", "Value").set_index("Input")["Value"]
    assert f"{best['salience']:.2f}" in inputs["Salience (1–25)"]
    assert best["worst_case"] in inputs["Severity (1–5)"]
    # Choosing a gap lists it as one: no data recorded, never a number.
    gap = across[across["status"] == salience.GAP].iloc[0]
    picker.set_value(f"{gap['material']}|{gap['category']}|{gap['stage']}")
    no_exception(at.run())
    inputs = _frame(at, "Input", "Value").set_index("Input")["Value"]
    assert constants.MISSING in inputs["Salience (1–25)"] and constants.MISSING in inputs["Severity (1–5)"]


def test_the_matrix_is_salience_by_leverage(app: AppTest) -> None:
    at = open_tab(open_as(app, PRIO), "pr_tab", "Salience × leverage")
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert any(s.get("title", {}).get("text") == "Salience × leverage" for s in specs)


def test_material_profile_salience_tab_hides_cases_from_the_public(app: AppTest, built_engine: Engine) -> None:
    cells = salience_reads.salience_table(built_engine)
    mine = cells[(cells["material"] == "tantalum") & (cells["status"] == salience.RATED)]
    ids = [i for ids in mine["case_ids"] for i in ids]
    public = no_exception(app.run())
    public.session_state["material"] = "tantalum"
    public.switch_page(MATERIAL)
    no_exception(public.run())
    open_tab(public, "mp_tab", "Salience")
    assert public.get("vega_lite_chart"), "the public sees the heat map"
    rows = _chart_rows(public)
    assert set(rows["material"]) == {"tantalum"} and len(rows) == int((cells["material"] == "tantalum").sum())
    assert not any(i in text for i in ids for text in rows["cases"]), "case ids are for partners"
    inputs = _frame(public, "Input", "Value")
    assert "Cases" not in inputs["Input"].tolist()
    sign_in(public, "partner")
    public.session_state["material"] = "tantalum"
    public.session_state["mp_tab"] = "Salience"
    public.switch_page(MATERIAL)
    no_exception(public.run())
    rows = _chart_rows(public)
    assert all(any(i in text for text in rows["cases"]) for i in ids)
    inputs = _frame(public, "Input", "Value").set_index("Input")["Value"]
    worst = mine.sort_values("salience", ascending=False).iloc[0]
    assert worst["worst_case"] in inputs["Cases"]


def test_sources_page_explains_salience_its_scales_and_limits(app: AppTest) -> None:
    at = no_exception(app.run())
    at.switch_page("pages/sources.py")
    no_exception(at.run())
    text = _texts(at)
    assert "Salience: where harm is most severe and likely" in [h.value for h in at.header]
    for needed in ("Severity | 1–5", "Likelihood | 1–5", "Salience | 1–25", "**Limits.**", "**gap**",
                   f"{salience.FREQUENCY_SATURATION:g}"):
        assert needed in text, needed
