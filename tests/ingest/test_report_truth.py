"""Data truth on a real built store: evidence confidence and passages, dated statements, facts, themes,
EU lists, countries the report does not give, and the seed checks that guard them."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from rmo_data import constants
from rmo_data.ingest.build import build
from rmo_data.ingest.seeds import SEED_DIR, SeedError
from rmo_data.store import queries, report_facts, schema


def _seed(name: str) -> list[dict[str, str]]:
    with (SEED_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _blank(value: str) -> str | None:
    return value or None


# --- risk evidence: confidence, passages, ratings, countries ------------------------------

def test_every_case_is_stored_with_its_confidence_reason_and_passage(built_engine: Engine) -> None:
    stored = queries.evidence(engine=built_engine).set_index("id")
    seeded = {r["id"]: r for r in _seed("risk_evidence.csv")}
    assert set(stored.index) == set(seeded)
    for case_id, row in seeded.items():
        got = stored.loc[case_id]
        assert got["confidence"] == row["confidence"] and got["confidence"] in constants.CONFIDENCE_SLUGS
        assert got["confidence_reason"] == row["confidence_reason"] and len(got["confidence_reason"]) > 20
        assert (None if pd.isna(got["passage"]) else got["passage"]) == _blank(row["passage"])
    assert set(stored["confidence"]) == set(constants.CONFIDENCE_SLUGS), "all three levels are in use"


def test_cases_that_name_no_harm_are_not_rated_as_if_they_did(built_engine: Engine) -> None:
    """An inference from context never reaches the severity of a reported harm (the known problems:
    a case rated 4 on a footnote about import rules, a case rated 3 that names no harm)."""
    rows = queries.evidence(engine=built_engine)
    inferred = rows[rows["confidence"] == "inferred"]
    assert not inferred.empty
    assert (inferred["severity"] <= 2).all(), inferred[["id", "severity"]].to_dict("records")
    named_no_harm = rows[rows["summary"].str.contains("does not say what the harm is")]
    assert not named_no_harm.empty and (named_no_harm["confidence"] == "inferred").all()


def test_a_passage_belongs_to_one_material_and_groups_several_cases(built_engine: Engine) -> None:
    rows = queries.evidence(engine=built_engine)
    shared = rows.dropna(subset=["passage"])
    assert (shared.groupby("passage")["material"].nunique() == 1).all()
    sizes = shared.groupby("passage").size()
    assert sizes.max() >= 6, "one sentence of the report became six zinc cases: they share a passage"


def test_grouped_duplicates_count_once_per_material(built_engine: Engine) -> None:
    """Zinc's six cases from one sentence are one case in every count (overview, totals, criterion)."""
    rows = queries.evidence(engine=built_engine)
    zinc = rows[rows["material"] == "zinc"]
    keys = zinc["passage"].fillna(zinc["id"])
    assert keys.nunique() < len(zinc)
    overview = queries.overview(engine=built_engine).set_index("material")
    assert overview.at["zinc", "evidence_count"] == keys.nunique()
    assert queries.evidence_totals(materials=["zinc"], engine=built_engine) == {
        "cases": keys.nunique(), "rows": len(zinc)}
    counted = queries.evidence_severity_counts(engine=built_engine)
    assert counted.loc[counted["material"] == "zinc", "n"].sum() == keys.nunique()


def test_countries_are_only_those_the_seed_states(built_engine: Engine) -> None:
    """Where the report names no country, the store holds none (not one read from a name)."""
    stored = queries.evidence(engine=built_engine).set_index("id")
    for row in _seed("risk_evidence.csv"):
        got = stored.at[row["id"], "country_name"]
        assert (None if pd.isna(got) else got) == _blank(row["country"]), row["id"]
        assert pd.isna(stored.at[row["id"], "iso3"]) == (not row["country"])
    # Sites the report names without a country (a city, a company) keep their name and no country.
    sites = stored[stored["material"] == "magnesium"]
    assert sites["country_name"].isna().sum() >= 5
    companies = queries.companies(engine=built_engine)
    seeded = {(r["material"], r["name"]): _blank(r["country"]) for r in _seed("companies.csv")}
    assert {(m, n): (None if pd.isna(c) else c)
            for m, n, c in zip(companies["material"], companies["name"], companies["country"], strict=True)} == seeded


# --- statements, facts, themes, EU lists ------------------------------------------------

def test_concentration_statements_carry_their_year_basis_and_country(built_engine: Engine) -> None:
    statements = queries.concentration_statements(engine=built_engine)
    assert statements["year"].notna().all()
    assert set(statements["year_basis"]) <= set(constants.YEAR_BASIS_SLUGS)
    sources = queries.sources(engine=built_engine).set_index("id")
    report_year = int(sources.at["rmo_report", "year"])
    reported = statements[statements["year_basis"] == "report"]
    assert not reported.empty and (reported["year"] == report_year).all()
    countries = statements[statements["level"] == "country"]
    assert countries["iso3"].notna().all()
    assert statements.loc[statements["level"] == "company", "iso3"].isna().all()


def test_figures_from_the_text_are_structured_and_sourced(built_engine: Engine) -> None:
    facts = report_facts.material_facts(engine=built_engine)
    assert len(facts) == len(_seed("material_facts.csv"))
    source_ids = set(queries.sources(engine=built_engine)["id"])
    assert set(facts["source_id"]) <= source_ids and facts["section"].notna().all()
    assert facts["year_basis"].notna().all() and facts["year"].notna().all()

    def one(material: str, unit_part: str) -> pd.Series:
        found = facts[(facts["material"] == material) & facts["unit"].str.contains(unit_part, regex=False)]
        assert len(found) == 1, (material, unit_part)
        return found.iloc[0]

    steel = one("iron_steel", "global emissions")
    assert (steel["value_low"], steel["value_high"]) == (7, 9)
    nickel = one("nickel", "63 metals")
    assert nickel["value_low"] == 8 and nickel["year"] == 2009 and nickel["year_basis"] == "stated"
    assert one("iron_steel", "kg per vehicle")["value_low"] == 900
    manganese = one("manganese", "kg per vehicle")
    assert (manganese["value_low"], manganese["value_high"]) == (4, 8)
    assert facts["material"].isna().sum() == 1, "the McKinsey projection is cross-material"


def test_report_themes_and_the_end_user_group(built_engine: Engine) -> None:
    themes = report_facts.report_themes(engine=built_engine)
    summary = themes[themes["kind"] == "summary"]
    assert summary["title"].tolist()[0] == "Prioritise" and len(summary) == 5
    assert (themes["kind"] == "principle").any()
    assert themes["sort_order"].is_monotonic_increasing
    cards = queries.leverages(targets=["consumers"], engine=built_engine)
    assert len(cards) == 1 and "End-users and consumers" in cards.iloc[0]["section"]
    assert constants.TARGET_LABELS["consumers"] == "End users & consumers"


def test_regulatory_listings_hold_only_the_checked_entries(built_engine: Engine) -> None:
    listings = report_facts.regulatory_listings(engine=built_engine)
    battery = set(listings.loc[listings["regulation"] == "eu_battery_dd", "material"])
    strategic = set(listings.loc[listings["regulation"] == "eu_crma_strategic", "material"])
    assert battery == {"graphite", "nickel"}
    assert strategic == {"aluminium", "graphite", "magnesium", "manganese", "nickel", "ree"}
    assert not strategic & {"iron_steel", "molybdenum", "tantalum", "zinc"}
    sources = queries.sources(engine=built_engine).set_index("id")
    for source_id in set(listings["source_id"]):
        row = sources.loc[source_id]
        assert row["kind"] == "regulation" and row["year"] in (2023, 2024)
        assert row["url"].startswith("https://eur-lex.europa.eu/") and row["licence"]
    usage = queries.source_usage(engine=built_engine)
    assert set(usage.loc[usage["table"] == "regulatory_listing", "source_id"]) == set(listings["source_id"])


def test_sources_table_lists_every_source_the_new_rows_cite(built_engine: Engine) -> None:
    cited = set()
    with built_engine.connect() as conn:
        for table in (schema.material_fact, schema.report_theme, schema.regulatory_listing):
            cited |= set(conn.execute(select(table.c.source_id)).scalars())
    assert cited <= set(queries.sources(engine=built_engine)["id"])


# --- seed checks ---------------------------------------------------------------------------

def _edited_seeds(tmp_path: Path, file: str, edits: dict[str, str], row: int = 0) -> Path:
    target = tmp_path / "seed"
    shutil.copytree(SEED_DIR, target)
    path = target / file
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[row].update(edits)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return target


@pytest.mark.parametrize(("file", "edits", "column", "expected"), [
    ("risk_evidence.csv", {"confidence": "certain"}, "confidence", "unknown confidence 'certain'"),
    ("risk_evidence.csv", {"confidence": ""}, None, "confidence_reason is set but confidence is empty"),
    ("risk_evidence.csv", {"confidence": "", "confidence_reason": ""}, "confidence", "confidence is empty"),
    ("risk_evidence.csv", {"confidence_reason": ""}, None, "confidence_reason is empty"),
    ("risk_evidence.csv", {"passage": "zinc-acid-drainage"}, "passage", "a passage belongs to one material"),
    ("risk_evidence.csv", {"passage": "two words"}, "passage", "a passage is a slug"),
    ("concentration_statements.csv", {"year_basis": ""}, None, "year is set but year_basis is empty"),
    ("concentration_statements.csv", {"year_basis": "guess"}, "year_basis", "unknown year basis 'guess'"),
    ("material_facts.csv", {"value_high": "1"}, None, "value_high is below value_low"),
    ("regulatory_listings.csv", {"regulation": "eu_wishlist"}, "regulation", "unknown regulation"),
    ("report_themes.csv", {"kind": "slogan"}, "kind", "unknown theme kind 'slogan'"),
])
def test_a_broken_truth_column_stops_the_build(tmp_path: Path, file: str, edits: dict[str, str],
                                                column: str | None, expected: str) -> None:
    seeds = _edited_seeds(tmp_path, file, edits)
    with pytest.raises(SeedError) as info:
        build(f"sqlite:///{tmp_path / 'x.sqlite'}", seed_dir=seeds)
    message = str(info.value)
    assert file in message and expected in message
    if column:
        assert f"column '{column}'" in message
    assert not (tmp_path / "x.sqlite").exists()
