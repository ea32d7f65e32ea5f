"""The aggregate queries and chart shortcuts added for speed give what the slow way gave.

Each grouped or SQL-side computation is compared on the real store with the
per-material or row-by-row computation it replaces, so a speed-up can never
change a figure.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from sqlalchemy import Engine

from rmo_data import constants
from rmo_data.charts import material_charts, style
from rmo_data.analysis import evidence_rollups, metrics
from rmo_data.store import concentration, queries

FILTERS = [
    {},
    {"materials": ["zinc", "nickel"]},
    {"stages": ["mining"], "min_severity": 4},
    {"categories": ["community_health", "waste_tailings"], "text": "mine"},
    {"iso3": ["CHN"]},
    {"materials": ["zinc"], "text": "zzz-no-such-case"},
]


def _old_concentration_overview(engine: Engine) -> pd.DataFrame:
    """The per-material loop concentration_overview used before (two queries per material and stage)."""
    rows = []
    for slug in queries.materials(engine=engine)["slug"]:
        for stage in ("mining", "processing"):
            conc = concentration.concentration(slug, stage, engine=engine)
            gov = concentration.governance_concentration(slug, stage, engine=engine)
            rows.append({**{k: v for k, v in conc.items() if k != "withheld"},
                         "withheld": ", ".join(conc["withheld"]),
                         "hhi_wgi": gov["hhi_wgi"], "wgi_year": gov["wgi_year"]})
    return pd.DataFrame(rows)


def test_grouped_concentrations_equal_the_per_material_ones(built_engine: Engine) -> None:
    pd.testing.assert_frame_equal(concentration.concentration_overview(engine=built_engine),
                                  _old_concentration_overview(built_engine), check_exact=True)


def test_hhi_trend_equals_a_concentration_per_year(built_engine: Engine) -> None:
    checked = 0
    for slug in queries.materials(engine=built_engine)["slug"]:
        for stage in ("mining", "processing"):
            trend = concentration.hhi_trend(slug, stage, engine=built_engine)
            for row in trend.itertuples():
                conc = concentration.concentration(slug, stage, int(row.year), built_engine)
                assert (row.hhi, row.top1_country, row.top1_share, row.source) == (
                    conc["hhi"], conc["top1_country"], conc["top1_share"], conc["source_title"])
                checked += 1
    assert checked > 20


def _keyed(rows: pd.DataFrame) -> pd.DataFrame:
    """Evidence rows with the case each stands for: its passage, or itself when it shares none."""
    return rows.assign(key=rows["passage"].where(rows["passage"].notna(), rows["id"]))


def _once(rows: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Cases per group counted from the rows themselves: the distinct passages of each group."""
    return (_keyed(rows).groupby(by, dropna=False, as_index=False).agg(n=("key", "nunique"))
            .astype({"n": "int64"}))


def test_overview_counts_equal_counting_the_rows(built_engine: Engine) -> None:
    table = queries.overview(engine=built_engine).set_index("material")
    ev = _keyed(queries.evidence(engine=built_engine))
    # One case per passage, at the passage's highest severity.
    cases = ev.groupby(["material", "key"], as_index=False)["severity"].max()
    stats = cases.groupby("material").agg(evidence_count=("key", "count"), severity_mean=("severity", "mean"),
                                          severity_max=("severity", "max"))
    assert (stats["evidence_count"] < ev.groupby("material")["id"].count()).any(), \
        "some material has cases that share a passage, so counting once changes a count"
    for column in stats.columns:
        pd.testing.assert_series_equal(table.loc[stats.index, column], stats[column], check_names=False)
    risks = queries.salient_risks(engine=built_engine).dropna(subset=["material"])
    breadth = risks.groupby("material")["category"].nunique()
    pd.testing.assert_series_equal(table.loc[breadth.index, "risk_breadth"], breadth, check_names=False)


@pytest.mark.parametrize("filters", FILTERS)
def test_evidence_aggregates_equal_the_rows(built_engine: Engine, filters: dict) -> None:
    rows = queries.evidence(**filters, engine=built_engine)
    cube = queries.evidence_cube(engine=built_engine, **filters)
    places = queries.evidence_places(engine=built_engine, **filters)
    keyed = _keyed(rows)
    # A passage is severe when its most severe case is; an unplaced case is one with no ISO3 code.
    passage_top = keyed.groupby("key")["severity"].max()
    assert queries.evidence_summary(engine=built_engine, **filters) == {
        "cases": keyed["key"].nunique(), "rows": len(rows), "materials": rows["material"].nunique(),
        "countries": rows["country_name"].nunique(), "severe": int((passage_top >= 4).sum()),
        "unplaced": int(keyed.loc[keyed["iso3"].isna(), "key"].nunique())}
    totals = queries.evidence_totals(engine=built_engine, **filters)
    assert totals == {"cases": keyed["key"].nunique(), "rows": len(rows)}
    if rows.empty:
        assert cube.empty and places.empty
        return
    expected = (rows.groupby(["material", "stage", "category", "severity", "passage"], dropna=False,
                             as_index=False).agg(n=("id", "count"))
                .sort_values(["material", "stage", "category", "severity", "passage"], na_position="first")
                .reset_index(drop=True))
    pd.testing.assert_frame_equal(cube, expected, check_dtype=False)
    counts = queries.evidence_counts(engine=built_engine, **filters)
    cells = ["material", "stage", "category"]
    expected = _once(rows, cells).merge(
        rows.groupby(cells, as_index=False).agg(max_severity=("severity", "max"), rows=("id", "count")), on=cells)
    pd.testing.assert_frame_equal(counts, expected, check_dtype=False)
    by_country = _once(rows.dropna(subset=["iso3"]), ["iso3", "country_name"])
    pd.testing.assert_frame_equal(places.dropna(subset=["iso3", "country_name"]).reset_index(drop=True),
                                  by_country, check_dtype=False)
    prov = queries.evidence_provenance(engine=built_engine, **filters)
    assert prov["n"].sum() == _once(rows, ["source_title", "year"])["n"].sum()
    assert set(prov["source_title"]) == set(rows["source_title"])
    # The source line reads counts per year as it reads one year per case (a passage once).
    from components.provenance import source_line

    per_case = keyed.drop_duplicates(["source_title", "year", "key"])["year"]
    assert source_line(["s"], prov[["year", "n"]]) == source_line(["s"], per_case) \
        == source_line(["s"], list(per_case))


def test_evidence_pages_add_up_to_every_case(built_engine: Engine) -> None:
    every = queries.evidence(engine=built_engine)
    pages = [queries.evidence(limit=25, offset=start, engine=built_engine) for start in range(0, len(every), 25)]
    joined = pd.concat(pages, ignore_index=True)

    def plain(frame: pd.DataFrame) -> pd.DataFrame:
        # A page whose years (or links) are all unstated holds None in an object column,
        # the whole frame NaN in a typed one: the same values.
        return frame.astype(object).where(frame.notna(), None)

    pd.testing.assert_frame_equal(plain(joined), plain(every))


def test_coverage_gaps_list_every_material_of_the_store(built_engine: Engine) -> None:
    gaps = queries.coverage_gaps(engine=built_engine)
    assert list(dict.fromkeys(gaps["material"])) == queries.materials(engine=built_engine)["slug"].tolist()


def _json(chart) -> str:  # noqa: ANN001
    return json.dumps(chart.to_dict(), sort_keys=True)


def test_charts_from_counts_equal_charts_from_rows(built_engine: Engine) -> None:
    rows = queries.evidence(materials=["nickel"], engine=built_engine)
    counts = queries.evidence_cube(materials=["nickel"], engine=built_engine)
    risks = queries.salient_risks("nickel", engine=built_engine)
    assert _json(material_charts.value_chain_chart(risks, counts)) == _json(material_charts.value_chain_chart(risks, rows))
    assert rows["passage"].notna().any(), "nickel has cases that share a passage: the chart counts them once"
    every = _keyed(queries.evidence(engine=built_engine))
    cube = queries.evidence_cube(engine=built_engine)
    by_severity = evidence_rollups.severity_counts(cube)
    # From the rows: one case per passage, at its highest severity.
    cases = every.groupby(["material", "key"], as_index=False)["severity"].max().rename(columns={"key": "id"})
    assert _json(material_charts.severity_bars(by_severity)) == _json(material_charts.severity_bars(cases))


def test_map_with_named_geometry_draws_the_same_map() -> None:
    by_country = pd.DataFrame({"iso_numeric": [36, 68], "country_name": ["Australia", "Bolivia"], "n": [3, 1]})
    named = material_charts.evidence_map(by_country, named_geometry=True).to_dict()  # validated
    inline = material_charts.evidence_map(by_country).to_dict()
    geometry = {"name": material_charts.WORLD_DATASET, "format": {"feature": "countries", "type": "topojson"}}
    assert named["data"] == geometry
    assert inline["data"] == {"values": material_charts.world_topology(), "format": geometry["format"]}
    def rest(spec: dict) -> str:  # all but the geometry; Altair numbers its views per chart built
        text = json.dumps({k: v for k, v in spec.items() if k not in {"data", "datasets"}}, sort_keys=True)
        return re.sub(r"view_?[0-9a-f]*_\d+", "view", text)

    assert rest(named) == rest(inline)
    assert material_charts.world_datasets() == {material_charts.WORLD_DATASET: material_charts.world_topology()}


def test_rendered_spec_is_what_streamlit_would_send(built_engine: Engine) -> None:
    """components.render converts like st.altair_chart (minus re-validation, which the tests do)."""
    from components import render

    table = queries.overview(engine=built_engine)
    chart = style.configure(material_charts.overview_heat_table(table))
    chart.to_dict()  # valid
    assert render._to_spec(render._Unvalidated(chart)) == render._to_spec(chart)
    risks = queries.salient_risks("nickel", engine=built_engine)
    hashable = render._hashable(risks)
    assert list(hashable["stages"]) == [tuple(s) for s in risks["stages"]]
    assert render._hashable(table) is table  # nothing to convert, no copy


@pytest.mark.parametrize("filters", FILTERS)
def test_places_and_sources_from_one_pass_equal_their_own_queries(built_engine: Engine, filters: dict) -> None:
    where = queries.evidence_where(engine=built_engine, **filters)
    places = queries.evidence_places(engine=built_engine, **filters)
    prov = queries.evidence_provenance(engine=built_engine, **filters)
    if places.empty:
        assert where.empty and queries.places_from(where).empty and queries.provenance_from(where).empty
        return
    pd.testing.assert_frame_equal(queries.places_from(where), places, check_dtype=False)
    # Years all unstated come back as None from SQL and NaN from pandas: the same "not stated".
    pd.testing.assert_frame_equal(queries.provenance_from(where).astype({"year": float}),
                                  prov.astype({"year": float}), check_dtype=False)


@pytest.mark.parametrize("filters", [f for f in FILTERS if not ({"text", "iso3"} & set(f))]
                         + [{"materials": ["zinc"], "stages": ["mining", "processing"], "min_severity": 3}])
def test_cube_cut_from_the_cached_cube_equals_the_query(built_url: str, built_engine: Engine,
                                                        monkeypatch: pytest.MonkeyPatch, filters: dict) -> None:
    from components import cached

    monkeypatch.setenv("RMO_DATABASE_URL", built_url)
    cached.clear()
    pd.testing.assert_frame_equal(cached.evidence_cube(**filters),
                                  queries.evidence_cube(engine=built_engine, **filters))


@pytest.mark.parametrize("filters", [{}, {"materials": ["nickel", "zinc"]}, {"types": ["msi", "industry_association"]},
                                     {"materials": ["graphite"], "text": "a"}, {"text": "zzz-nothing"}])
def test_organisation_matrix_filtered_in_sql_equals_the_pairs_of_the_listed_organisations(
        built_engine: Engine, filters: dict) -> None:
    every = queries.organisation_material_matrix(engine=built_engine)
    listed = queries.organisations(engine=built_engine, **filters)
    keep = every["slug"].isin(listed["slug"])
    if filters.get("materials"):
        keep &= every["material"].isin(filters["materials"])
    expected = every[keep].sort_values(["slug", "material"]).reset_index(drop=True)
    got = queries.organisation_material_matrix(engine=built_engine, **filters)
    pd.testing.assert_frame_equal(got, expected, check_dtype=not got.empty)
    assert got.empty == (filters.get("text") == "zzz-nothing"), "each other case has pairs to compare"


def test_wgi_scores_equal_the_per_country_pandas_computation(built_engine: Engine) -> None:
    from sqlalchemy import select

    from rmo_data.store import schema

    g = schema.governance_indicator
    for year in (2020, 2024):
        scores, wgi_year = concentration.wgi_scores(year, built_engine)
        with built_engine.connect() as conn:
            frame = pd.DataFrame(conn.execute(select(g.c.iso3, g.c.indicator, g.c.estimate)
                                              .where(g.c.year == wgi_year)).mappings().all())
        expected = {str(iso3): metrics.wgi_risk_score(dict(zip(group["indicator"], group["estimate"],
                                                               strict=True)).get(i)
                                                      for i in metrics.WGI_INDICATORS)
                    for iso3, group in frame.groupby("iso3")}
        assert scores == expected


@pytest.mark.parametrize("filters", [{}, {"scopes": ["nickel"]}, {"scopes": [constants.CROSS_MATERIAL]},
                                     {"scopes": ["nickel", constants.CROSS_MATERIAL]}, {"text": "audit"},
                                     {"risks": ["labour_rights"], "actors": ["oem"]}])
def test_leverage_card_counts_count_the_cards_the_page_lists(built_engine: Engine, filters: dict) -> None:
    """The browsing pills' counts come from SQL, and say what counting the listed cards says."""
    for by, column in (("category", "category"), ("scope", "material")):
        widened = {**filters, {"category": "categories", "scope": "scopes"}[by]: []}
        cards = queries.leverage_cards(engine=built_engine, **widened)
        listed = cards[column].map(lambda v: v if isinstance(v, str) else constants.CROSS_MATERIAL).value_counts()
        assert queries.leverage_card_counts(by, engine=built_engine, **widened) == {
            k: int(v) for k, v in listed.items()}
        assert sum(listed) == len(cards) and len(cards) > 0
