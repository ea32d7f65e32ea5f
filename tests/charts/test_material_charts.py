"""Chart builders inspected as data: what they draw, how it is encoded, what a click selects."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
from sqlalchemy import Engine

from rmo_data.charts import material_charts
from rmo_data import constants
from rmo_data.store import queries


def _spec(chart) -> dict:  # noqa: ANN001
    return chart.to_dict()


def _values(spec: dict, data: dict) -> list[dict]:
    """Inline values of a data reference, resolving Altair's top-level ``datasets``."""
    if "values" in data:
        return data["values"]
    return spec["datasets"][data["name"]]


def _params(spec: dict) -> set[str]:
    found = {p["name"] for p in spec.get("params", [])}
    for layer in spec.get("layer", []) + ([spec["spec"]] if "spec" in spec else []):
        found |= _params(layer)
    return found


def test_overview_heat_table_marks_missing_as_no_data(built_engine: Engine) -> None:
    table = queries.overview(engine=built_engine)
    chart = material_charts.overview_heat_table(table)
    data = chart.data
    assert len(data) == len(table) * len(material_charts.INDICATORS)
    missing = data[data["value"].isna()]
    assert (missing["tooltip"] == constants.MISSING).all()
    # The one wording, on two lines so it fits a cell.
    assert (missing["text"].str.replace("\n", " ") == constants.MISSING).all()
    assert missing["relative"].notna().all(), "null colour fields make Vega-Lite drop the cell"
    auto_missing = table["auto_share_pct"].isna().sum()
    assert (missing["indicator"] == constants.CRITERION_SHORT["auto_share"]).sum() == auto_missing
    assert "pick" in _params(_spec(chart))


def test_overview_scatter_leaves_out_materials_without_data(built_engine: Engine) -> None:
    table = queries.overview(engine=built_engine)
    chart = material_charts.overview_scatter(table, "processing")
    placed = set(chart.data["material"])
    expected = set(table.dropna(subset=["processing_top1_share"])["material"])
    assert placed == expected
    spec = _spec(chart)
    assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == [0, 100]
    assert "(% of world)" in spec["layer"][0]["encoding"]["x"]["title"]


def test_overview_scatter_legends_print_whole_numbers(built_engine: Engine) -> None:
    """Rendered by Vega itself (vl-convert): no legend or axis label reads like "16.000000"."""
    import re

    import vl_convert as vlc

    svg = vlc.vegalite_to_svg(_spec(material_charts.overview_scatter(queries.overview(engine=built_engine))))
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "Salient-risk categories" in texts, "the size legend is drawn"
    assert not [t for t in texts if re.fullmatch(r"-?\d+\.\d{3,}", t.strip())], texts


def test_top_countries_folds_the_rest_and_drops_world() -> None:
    rows = pd.DataFrame({
        "country_name": ["World total", "A", "B", "C", "Other countries", "A", "B", "C"],
        "country_kind": ["world", "country", "country", "country", "other", "country", "country", "country"],
        "year": [2024, 2024, 2024, 2024, 2024, 2023, 2023, 2023],
        "quantity": [100.0, 50.0, 30.0, 5.0, 15.0, 40.0, 35.0, None],
        "is_estimate": [False] * 8,
    })
    out = material_charts.top_countries(rows, top_n=2)
    got = {(r.year, r.group): r.quantity for r in out.itertuples()}
    assert got[(2024, "A")] == 50 and got[(2024, "B")] == 30
    assert got[(2024, "All other")] == 20  # C 5 + other countries 15
    assert math.isnan(got[(2023, "All other")])  # C withheld in 2023: missing, not zero
    assert "World total" not in set(out["group"])


def test_production_chart_units_and_selection(built_engine: Engine) -> None:
    rows = queries.production("nickel", "mining", engine=built_engine)
    primary = rows[rows["is_primary"].astype(bool)]
    unit = primary["unit"].iloc[0]
    spec = _spec(material_charts.production_chart(primary, unit, "Nickel mine"))
    assert spec["encoding"]["y"]["title"] == f"Production ({unit})"
    assert "country" in _params(spec)


def test_evidence_heatmap_counts_match_store(built_engine: Engine) -> None:
    counts = queries.evidence_counts(engine=built_engine)
    chart = material_charts.evidence_heatmap(counts)
    rows = queries.evidence(engine=built_engine)
    # Each cell counts the report passages among its cases once (a case sharing none is its own).
    keyed = rows.assign(key=rows["passage"].fillna(rows["id"]))
    per_cell = keyed.groupby(["material", "stage", "category"])["key"].nunique()
    assert chart.data["n"].sum() == per_cell.sum() < len(rows)
    assert set(chart.data["category_name"]) <= set(constants.RISK_CATEGORY_LABELS.values())
    assert "cell" in _params(_spec(chart))


def test_evidence_map_is_offline_and_keyed_by_iso_numeric() -> None:
    by_country = pd.DataFrame({"iso_numeric": [36, 68], "country_name": ["Australia", "Bolivia"], "n": [3, 1]})
    spec = _spec(material_charts.evidence_map(by_country))
    text = str(spec)
    assert "http" not in text.replace("https://vega.github.io/schema", "")  # no remote geometry
    lookup = spec["layer"][1]["transform"][0]
    values = {row["id"] for row in _values(spec, lookup["from"]["data"])}
    assert values == {"036", "068"}
    topo_ids = {g.get("id") for g in material_charts.world_topology()["objects"]["countries"]["geometries"]}
    assert values <= topo_ids


def test_category_chart_uses_the_shared_colours(built_engine: Engine) -> None:
    levs = queries.leverages(engine=built_engine)
    spec = _spec(material_charts.category_counts_chart(levs))
    scale = spec["encoding"]["color"]["scale"]
    assert scale["range"] == [c.colour for c in constants.LEVERAGE_CATEGORIES]
    assert scale["domain"] == [c.label for c in constants.LEVERAGE_CATEGORIES]


def test_hhi_trend_has_reference_lines() -> None:
    trend = pd.DataFrame({"year": [2021, 2022], "hhi": [3000.0, 3200.0], "top1_country": ["X", "X"],
                          "top1_share": [50.0, 52.0]})
    spec = _spec(material_charts.hhi_trend_chart(trend, "t"))
    rules = _values(spec, spec["layer"][0].get("data", spec.get("data")))
    assert [r["hhi"] for r in rules] == [1500, 2500]
    # Up to a little above the highest value (3,200 × 1.15, to the next thousand), not to 10,000.
    assert spec["layer"][2]["encoding"]["y"]["scale"]["domain"] == [0, 4000]
    high = trend.assign(hhi=[9000.0, 9500.0])
    assert _spec(material_charts.hhi_trend_chart(high, "t"))["layer"][2]["encoding"]["y"]["scale"]["domain"] == [0, 10_000]


def test_hhi_trend_marks_estimated_years_as_the_production_chart_does() -> None:
    """The production chart wrote "2025e" and the trend beside it "2025" for the same estimate; both
    now mark a year any of whose country figures is an estimate."""
    trend = pd.DataFrame({"year": [2024, 2025], "hhi": [3000.0, 3200.0], "top1_country": ["X", "X"],
                          "top1_share": [50.0, 52.0], "is_estimate": [False, True]})
    spec = _spec(material_charts.hhi_trend_chart(trend, "t"))
    line = spec["layer"][2]
    assert [r["year_label"] for r in _values(spec, line.get("data", spec.get("data")))] == ["2024", "2025e"]
    assert line["encoding"]["x"]["field"] == "year_label"
    assert line["encoding"]["x"]["title"] == material_charts.YEAR_ESTIMATE_TITLE


def test_end_use_chart_with_named_rows_is_the_same_chart_for_every_material(built_engine: Engine) -> None:
    """The app draws one spec and adds each material's rows by name; the pack keeps them inline."""
    named = _spec(material_charts.end_use_chart(None))  # validated
    assert named["data"] == {"name": material_charts.END_USE} and "datasets" not in named
    shares = queries.end_use_shares("nickel", engine=built_engine)
    inline = _spec(material_charts.end_use_chart(shares))
    rows = _values(inline, inline["data"])
    expected = material_charts.end_use_data(shares)
    assert [r["panel"] for r in rows] == expected["panel"].tolist()
    assert [r["label"] for r in rows] == expected["label"].tolist()
    without_data = {k: v for k, v in inline.items() if k not in {"data", "datasets"}}
    assert without_data == {k: v for k, v in named.items() if k != "data"}


def test_end_use_chart_builds_for_every_material_with_shares(built_engine: Engine) -> None:
    with_shares = [s for s in constants.MATERIAL_SLUGS if not queries.end_use_shares(s, engine=built_engine).empty]
    assert len(with_shares) >= 6  # the report and USGS give figures for at least six materials
    for slug in with_shares:
        shares = queries.end_use_shares(slug, engine=built_engine)
        spec = _spec(material_charts.end_use_chart(shares))
        assert spec["layer"][0]["encoding"]["x"]["title"] == "Share (%)", slug
        assert spec["width"] == "container", slug  # one view: it takes the page's width
        rows = _values(spec, spec["data"])
        heads = [row["name_label"] for row in rows if row["is_header"]]
        assert len(heads) == shares.groupby(["basis", "scope", "year"], dropna=False).ngroups, slug
        assert {row["panel"] for row in rows} == set(heads), slug
        # Each basis's name, then its sectors from the largest share down, in the chart's order.
        ordered = sorted(rows, key=lambda r: r["row"])
        for head in heads:
            block = [r for r in ordered if r["panel"] == head]
            assert block[0]["is_header"] and not any(r["is_header"] for r in block[1:]), slug
            shares_in = [r["share_pct"] for r in block[1:]]
            assert shares_in == sorted(shares_in, reverse=True), slug
    # A static image (the pack's) has a fixed width.
    assert _spec(material_charts.end_use_chart(shares, width=300))["width"] == 300


def test_a_one_year_series_is_summarised_once() -> None:
    """A series of one year (IEA's refining figures) said "2024: 8,353; 2024: 8,353" and "Years 2024 to 2024"."""
    from rmo_data.charts import summaries

    trend = pd.DataFrame({"year": [2024], "hhi": [8353.0]})
    assert summaries.hhi_trend(trend).startswith("2024: 8,353, highly concentrated")
    rows = pd.DataFrame({"year": [2024, 2024], "group": ["China", "All other"], "quantity": [74.0, 7.0],
                         "year_label": ["2024", "2024"]})
    assert summaries.production(rows, "kt").startswith("The year 2024 only. Largest producer in 2024: China")
    assert summaries.hhi_trend(pd.DataFrame({"year": [2023, 2024], "hhi": [1000.0, 1600.0]})).startswith(
        "2023: 1,000; 2024: 1,600, moderately")


def test_production_and_concentration_charts_mark_the_same_years(built_engine: Engine) -> None:
    """Side by side on the Material profile, nickel's production chart read "2022" and its
    concentration trend "2022e" for the same figures (a majority rule beside an any rule)."""
    from rmo_data.store import concentration

    compared = 0
    for material in constants.MATERIAL_SLUGS:
        rows = queries.production(material=material, stage="mining", engine=built_engine)
        trend = concentration.hhi_trend(material=material, stage="mining", engine=built_engine)
        if rows.empty or trend.empty:
            continue
        primary = rows[rows["is_primary"].astype(bool)]
        bars = {r["year"]: r["year_label"] for r in _values_of(material_charts.production_chart(primary, "t", "t"))}
        line = {r["year"]: r["year_label"] for r in _values_of(material_charts.hhi_trend_chart(trend, "t"))
                if "year_label" in r}
        common = set(bars) & set(line)
        assert common and all(bars[y] == line[y] for y in common), (material, bars, line)
        compared += 1
    assert compared >= 5


def _values_of(chart: alt.TopLevelMixin) -> list[dict]:
    spec = chart.to_dict()
    return [row for rows in spec.get("datasets", {}).values() for row in rows]
