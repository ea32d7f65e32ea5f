"""No chart text collides, leaves the frame or hides under a bubble, on the real store's charts.

Each chart is built from the built store as its page builds it, given the width the page gives
it in a browser (the chart container measured at 1280, 1440 and 1920 px wide windows with the
sidebar open) and rendered by vl-convert; ``text_boxes`` computes every text's box from Vega's
scenegraph.  Before the labels were placed (issue 15), the Overview's bubble chart printed
"Bauxite (aluminium)" over "Manganese" and its heat map's angled headers ran into each other.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pytest
from sqlalchemy.engine import Engine

from rmo_data import constants, formatting
from rmo_data.charts import material_charts, style
from rmo_data.store import queries
from tests.charts.text_boxes import Rendered, describe, render

# Chart container widths (px) at a 1280 × 800 laptop, a 1440 × 900 screen and a 1920 × 1080 projector.
WIDTHS = (820, 980, 1460)
# The main area of a 360 and of a 390 px wide phone (measured in the browser: 16 px margins).
PHONES = (328, 358)


def rendered(chart: alt.TopLevelMixin, width: int) -> Rendered:
    """The chart as the page draws it in a container ``width`` px wide."""
    spec: dict[str, Any] = style.configure(chart).to_dict()
    # width="container": the whole chart, axes and legends included, fits the container.
    spec["width"] = width
    spec["autosize"] = style.FIT_WIDTH  # as components.render draws it
    return render(spec, container=width)


def assert_readable(out: Rendered, name: str) -> None:
    assert out.boxes, f"{name}: no text rendered at all"
    assert not out.collisions(), f"{name}: texts collide: {describe(out.collisions())}"
    assert not out.outside(), f"{name}: texts cut at the frame: {[b.text for b in out.outside()]}"
    assert not out.covered(), f"{name}: labels under a bubble: {[b.text for b in out.covered()]}"
    # Axis titles, legends and headings are never shortened (a value may be, with its tooltip).
    assert not [b for b in out.cut() if b.role != "mark"], [b.text for b in out.cut()]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("stage", ["mining", "processing"])
def test_overview_bubble_labels_never_collide(built_engine: Engine, stage: str, width: int) -> None:
    table = queries.overview(engine=built_engine)
    chart = material_charts.overview_scatter(table, stage)
    out = rendered(chart, width)
    assert_readable(out, f"bubble chart ({stage}, {width} px)")
    labels = [b.text for b in out.boxes if b.role == "mark"]
    placed = chart.data[chart.data["label_at"] != ""]["name"].tolist()
    assert sorted(labels) == sorted(placed)
    # Most bubbles carry their name on a laptop or wider (the rest show it on hover).
    assert len(placed) >= 0.8 * len(chart.data), (placed, chart.data["name"].tolist())


@pytest.mark.parametrize("width", [*PHONES, 560])
@pytest.mark.parametrize("stage", ["mining", "processing"])
def test_on_a_narrow_plot_the_bubbles_carry_their_short_names(built_engine: Engine, stage: str, width: int) -> None:
    """Too narrow for the laptop's labels (a phone, a narrow window): the short names, placed for that width.

    A phone showed no name at all, only on a tap (issue 15); the laptop's full names are not drawn there.
    """
    chart = material_charts.overview_scatter(queries.overview(engine=built_engine), stage)
    out = rendered(chart, width)
    assert_readable(out, f"bubble chart ({stage}, {width} px)")
    labels = sorted(b.text for b in out.boxes if b.role == "mark")
    assert labels == sorted(chart.data.loc[chart.data["phone_at"] != "", "phone_name"])
    assert len(labels) >= 0.8 * len(chart.data), labels


@pytest.mark.parametrize("width", PHONES)
@pytest.mark.parametrize("stage", ["mining", "processing"])
def test_overview_bubble_chart_fits_a_phone(built_engine: Engine, stage: str, width: int) -> None:
    """On a phone the legends lie below the plot, one under the other, and the title takes two lines.

    Beside the plot (Vega's default) the legends left it less than half of a 390 px phone's width,
    and the one-line title ran past the screen's left edge (issue 15).
    """
    chart = material_charts.overview_scatter(queries.overview(engine=built_engine), stage)
    out = rendered(chart, width)
    assert_readable(out, f"bubble chart ({stage}, {width} px)")
    assert out.plot_width >= 0.75 * width, f"the plot is squeezed to {out.plot_width:g} of {width} px"
    title = next(b for b in out.boxes if b.role == "title-text")
    assert title.y2 - title.y1 > 1.5 * 16, "the title stays on one line"
    legends = {b.text: b for b in out.boxes if b.role == "legend-title"}
    assert set(legends) == {"Salient-risk categories", f"{constants.CRITERION_SHORT['auto_share']} (%)"}
    plot_bottom = max(b.y2 for b in out.boxes if b.role == "axis-title")
    first, second = sorted(legends.values(), key=lambda b: b.y1)
    assert plot_bottom - 2 <= first.y1 < first.y2 <= second.y1, "the legends are not one under the other below the plot"


@pytest.mark.parametrize("width", WIDTHS)
def test_overview_heat_table_text_never_collides(built_engine: Engine, width: int) -> None:
    table = queries.overview(engine=built_engine)
    out = rendered(material_charts.overview_heat_table(table), width)
    assert_readable(out, f"heat table ({width} px)")
    texts = {b.text for b in out.boxes}
    # Every indicator heads its column, and the legend says which end of the colours is which.
    assert {label for _, label, _, _ in material_charts.INDICATORS} <= texts | {
        b.text for b in out.boxes if b.role == "mark"}
    assert {"lowest", "highest"} <= texts
    if width >= 980:  # 1440 × 900 and wider: every value whole
        assert not out.cut(), [b.text for b in out.cut()]


@pytest.mark.parametrize("width", (310, 370))  # the profile's right-hand column at 1280 and 1440 px
def test_concentration_trend_labels_stay_clear_of_the_values(built_engine: Engine, width: int) -> None:
    from rmo_data import constants
    from rmo_data.store import concentration

    drawn = 0
    for material in constants.MATERIAL_SLUGS:
        for stage in ("mining", "processing"):
            trend = concentration.hhi_trend(material=material, stage=stage, engine=built_engine)
            if trend.empty:
                continue
            out = rendered(material_charts.hhi_trend_chart(trend, "Concentration over time"), width)
            assert_readable(out, f"concentration trend ({material}, {stage}, {width} px)")
            assert {"moderate (1,500)", "high (2,500)"} <= {b.text for b in out.boxes}
            drawn += 1
    assert drawn >= 10


@pytest.mark.parametrize("width", PHONES + WIDTHS)
@pytest.mark.parametrize("preset", ["balanced", constants.DUE_DILIGENCE])
def test_contribution_chart_reads_at_a_glance(built_engine: Engine, preset: str, width: int) -> None:
    """Prioritisation's "Why each material ranks where it does", on a phone and on wide screens.

    Each material's rank, name and score and its largest criteria are printed in full above its
    bar; the legend (the lenses) is whole inside the frame. The ten-colour legend of one segment
    per criterion ran past a phone's edge (issue 15).
    """
    from rmo_data.analysis import prioritisation
    from rmo_data.charts import priority_charts
    from rmo_data.store.criteria import criteria_table

    weights = dict(constants.WEIGHT_PRESETS[preset])
    data = criteria_table(built_engine)
    prio = prioritisation.prioritise(data, list(data.raw.index), weights)
    long = prio.explained.assign(name=prio.explained["material"].map(constants.MATERIAL_LABELS))
    datasets = priority_charts.contribution_data(long, [constants.MATERIAL_LABELS[m] for m in prio.ranked.index])
    chart = priority_charts.contribution_chart(tuple(c for c, w in weights.items() if w > 0))
    spec: dict[str, Any] = style.configure(chart).to_dict()
    spec["datasets"] = {name: frame.to_dict("records") for name, frame in datasets.items()}
    spec["width"], spec["autosize"] = width, style.FIT_WIDTH
    out = render(spec, container=width)
    assert_readable(out, f"contribution chart ({preset}, {width} px)")
    assert not out.cut(), [b.text for b in out.cut()]
    texts = {b.text for b in out.boxes}
    totals = datasets[priority_charts.CONTRIBUTION_TOTALS]
    assert set(totals["headline"]) <= texts
    assert set(totals["largest_phone" if width < 560 else "largest"]) <= texts
    lenses = {constants.CRITERION_LENS[c] for c, w in weights.items() if w > 0}
    assert {constants.LENS_SHORT[lens] for lens in lenses} <= {b.text for b in out.boxes if b.role == "legend-label"}
    assert out.plot_width >= 0.85 * width, "the bars get the chart's width (no column of names beside them)"


@pytest.mark.parametrize("width", PHONES)
def test_overview_heat_table_fits_a_phone(built_engine: Engine, width: int) -> None:
    """At 390 px the headers were cut to "Au…", "Mi…" and cells to "no rec…" and "Gu… 34 %" (issue 15).

    On a phone every header stands upright and whole, the materials go by their short names and each
    cell holds its whole figure (the country and "no data recorded" are in the tooltip and the table).
    """
    table = queries.overview(engine=built_engine)
    out = rendered(material_charts.overview_heat_table(table), width)
    assert_readable(out, f"heat table ({width} px)")
    assert not out.cut(), [b.text for b in out.cut()]
    labels = {b.text for b in out.boxes if b.role == "axis-label"}
    assert {label for _, label, _, _ in material_charts.INDICATORS} <= labels
    assert {constants.MATERIAL_SHORT[m] for m in table["material"]} <= labels
    cells = [b.text for b in out.boxes if b.role == "mark"]
    assert formatting.NO_DATA not in " ".join(cells) and all(len(c) <= 6 for c in cells), cells


@pytest.mark.parametrize("width", PHONES)
def test_salience_heat_maps_fit_a_phone(built_engine: Engine, width: int) -> None:
    """Every column keeps its name and every cell its value on a phone, across materials and for each one.

    At 390 px slanted names overlapped, so Vega dropped every other material and stage, and one-decimal
    values such as "10.0" and "10.5" ran into each other in the across-materials view (issue 15).
    """
    from rmo_data.analysis import salience
    from rmo_data.charts import salience_charts
    from rmo_data.store import salience_reads

    cells = salience_reads.salience_table(built_engine, as_of=2026)
    across = salience.across_materials(cells)
    order = [constants.MATERIAL_SHORT[m] for m in dict.fromkeys(across["material"])]
    rows = salience_charts.heatmap_rows(across, constants.MATERIAL_SHORT)
    out = rendered(salience_charts.overview_heatmap(rows, order), width)
    assert_readable(out, f"salience across materials ({width} px)")
    assert not out.cut(), [b.text for b in out.cut()]
    assert set(order) <= {b.text for b in out.boxes if b.role == "axis-label"}
    assert len([b for b in out.boxes if b.role == "mark"]) == len(rows)
    stages = {constants.STAGE_SHORT[s] for s in constants.STAGE_SLUGS}
    for material in constants.MATERIAL_SLUGS:
        mine = salience_charts.heatmap_rows(cells[cells["material"] == material], constants.MATERIAL_SHORT)
        if mine.empty:
            continue
        out = rendered(salience_charts.material_heatmap(mine, constants.MATERIAL_LABELS[material]), width)
        assert_readable(out, f"salience of {material} ({width} px)")
        assert not out.cut(), [b.text for b in out.cut()]
        assert stages <= {b.text for b in out.boxes if b.role == "axis-label"}, material


@pytest.mark.parametrize("width", [*PHONES, *WIDTHS])
@pytest.mark.parametrize("material", ["aluminium", "nickel"])
def test_the_value_chain_map_is_readable_on_a_phone_and_a_laptop(built_engine: Engine, material: str,
                                                                 width: int) -> None:
    """On a phone the risks' full names left the six stage columns a 20 px strip, their headers over each other."""
    risks = queries.salient_risks(material, engine=built_engine)
    cube = queries.evidence_cube(materials=[material], engine=built_engine)
    out = rendered(material_charts.value_chain_chart(risks, cube), width)
    assert_readable(out, f"value chain map ({material}, {width} px)")
    assert out.plot_width >= 0.45 * width, f"the stages are squeezed to {out.plot_width:g} of {width} px"


@pytest.mark.parametrize("width", [*PHONES, *WIDTHS])
def test_the_robustness_labels_stay_inside_the_frame(built_engine: Engine, width: int) -> None:
    """On a phone the labels of the last-ranked materials ran past the frame ("top 3: 0" without its %)."""
    from rmo_data.analysis import prioritisation, scoring
    from rmo_data.charts import priority_charts
    from rmo_data.store.criteria import criteria_table

    data = criteria_table(built_engine)
    prio = prioritisation.prioritise(data, list(data.raw.index), dict(constants.WEIGHT_PRESETS["balanced"]))
    mc = scoring.monte_carlo(prio.normalised, dict(constants.WEIGHT_PRESETS["balanced"]), n=400,
                             missing=prio.missing)
    order = [constants.MATERIAL_LABELS[m] for m in prio.ranked.index]
    chart = priority_charts.robustness_chart(mc.assign(name=[constants.MATERIAL_LABELS[m] for m in mc.index]), order)
    out = rendered(chart, width)
    assert_readable(out, f"robustness chart ({width} px)")
    assert len([b for b in out.boxes if b.role == "mark" and b.text.startswith("top 3:")]) == len(order)



@pytest.mark.parametrize("width", [*PHONES, *WIDTHS])
def test_the_salience_leverage_matrix_is_readable(built_engine: Engine, width: int) -> None:
    """Its labels were placed for one width (1280 px): at 820–1460 px two sat under a point, on a
    phone a material's label lay on a quadrant's name and two quadrant names ran together."""
    from rmo_data.analysis import prioritisation
    from rmo_data.charts import priority_charts
    from rmo_data.store.criteria import criteria_table

    data = criteria_table(built_engine)
    prio = prioritisation.prioritise(data, list(data.raw.index), dict(constants.WEIGHT_PRESETS["balanced"]))
    chart = priority_charts.matrix_chart(prio.positions.rename_axis("material").reset_index())
    out = rendered(chart, width)
    assert_readable(out, f"salience × leverage ({width} px)")
    quadrant_names = {q.label for q in constants.QUADRANTS}
    labels = [b.text for b in out.boxes if b.role == "mark" and b.text not in quadrant_names]
    # Every point carries its name on the real store: on a phone Tantalum, at the top, had none.
    assert len(labels) == len(prio.positions), labels


@pytest.mark.parametrize("width", [*PHONES, *WIDTHS])
def test_the_organisation_matrix_names_each_type_in_full(built_engine: Engine, width: int) -> None:
    """Its ten types were told apart by colour alone, in a legend; now each group of rows opens with
    the type's name, drawn whole (no ellipsis) on a phone too, and its row label is left blank."""
    matrix = queries.organisation_material_matrix(engine=built_engine)
    out = rendered(material_charts.org_material_matrix(matrix), width)
    assert_readable(out, f"organisation matrix ({width} px)")
    types = {constants.ORGANISATION_TYPE_LABELS[t] for t in matrix["type"].unique()}
    headers = [b for b in out.boxes if b.role == "mark" and b.text in types]
    assert {b.text for b in headers} == types
    assert not [b.text for b in headers if b.cut]
    names = [b for b in out.boxes if b.role == "mark" and b.text not in types]
    assert len(names) == matrix["slug"].nunique()  # one name per organisation row, none a header's key
    assert not [b.text for b in out.boxes if b.text.startswith(material_charts.HEAD_MARK)]


@pytest.mark.parametrize("width", [*PHONES, *WIDTHS])
def test_the_evidence_heat_map_is_readable_on_a_phone_and_a_laptop(built_engine: Engine, width: int) -> None:
    """On a phone its twelve risk names were cut at 140 px and the slanted stage names ran into each
    other and out of the frame; now a phone reads the short names and upright stages."""
    from rmo_data.analysis import evidence_rollups

    cube = queries.evidence_cube(engine=built_engine)
    out = rendered(material_charts.evidence_heatmap(evidence_rollups.heat_counts(cube)), width)
    assert_readable(out, f"evidence heat map ({width} px)")
    assert not out.cut(), [b.text for b in out.cut()]
    assert {constants.STAGE_SHORT[s] for s in constants.STAGE_SLUGS} <= {b.text for b in out.boxes}


@pytest.mark.parametrize("width", [*PHONES, 560, 820])  # a phone, and the profile's left column
def test_the_production_chart_names_every_year(built_engine: Engine, width: int) -> None:
    """On a phone Vega dropped every other year ("2021e", "2023e", "2025e"): they now stand upright
    where they cannot sit level, and every year is named."""
    for material in ("aluminium", "nickel", "zinc"):
        rows = queries.production(material=material, stage="mining", engine=built_engine)
        primary = rows[rows["is_primary"].astype(bool)]
        chart = material_charts.production_chart(primary, str(primary["unit"].iloc[0]), "Production")
        out = rendered(chart, width)
        assert_readable(out, f"production chart ({material}, {width} px)")
        years = {str(y) for y in primary["year"].unique()}
        shown = {b.text.rstrip("e") for b in out.boxes if b.role == "axis-label"}
        assert years <= shown, (material, sorted(years - shown))
