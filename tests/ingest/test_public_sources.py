"""Tests of ``rmo_data.ingest.public_sources``: the loaders that read the public source files.

Where a test compares a loaded value with the source, it reads the raw file
itself with the ``csv`` module, so a parsing error in the loader cannot hide
behind a hard-coded expectation.
"""

from __future__ import annotations

import csv
import hashlib
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from rmo_data import constants
from rmo_data.ingest import indicator_sources, production_sources, public_sources
from rmo_data.store import schema

SRC = public_sources.SOURCES_DIR
YEARS = set(range(2021, 2026))


# --- fixtures -------------------------------------------------------------------

@pytest.fixture(scope="module")
def aliases() -> pd.DataFrame:
    return public_sources.load_aliases()


@pytest.fixture(scope="module")
def resolve(aliases: pd.DataFrame):
    return public_sources.make_country_resolver(aliases)


@pytest.fixture(scope="module")
def commodities() -> pd.DataFrame:
    return public_sources.load_commodities()


@pytest.fixture(scope="module")
def production(resolve) -> pd.DataFrame:
    return production_sources.load_production(resolve)


@pytest.fixture(scope="module")
def wgi(resolve) -> pd.DataFrame:
    return indicator_sources.load_wgi(resolve)


@pytest.fixture(scope="module")
def eu_crm() -> pd.DataFrame:
    return indicator_sources.load_eu_crm()


@pytest.fixture(scope="module")
def end_use() -> pd.DataFrame:
    return indicator_sources.load_us_end_use()


def raw_rows(relpath: str) -> list[dict[str, str]]:
    """Rows of a source CSV read with the csv module (BOM stripped)."""
    with (SRC / relpath).open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def num(text: str) -> float:
    return float(text.replace(",", ""))


def columns_of(table, skip=("id",)) -> list[str]:
    return [c.name for c in table.columns if c.name not in skip]


# --- files ------------------------------------------------------------------------

def test_manifest_matches_every_kept_file() -> None:
    listed = {}
    for line in (SRC / "MANIFEST_sha256.txt").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name.strip()] = digest
    on_disk = {p.relative_to(SRC).as_posix() for p in SRC.rglob("*") if p.is_file()}
    on_disk -= {"MANIFEST_sha256.txt", "PROVENANCE.md"}
    assert set(listed) == on_disk
    for name, digest in listed.items():
        assert hashlib.sha256((SRC / name).read_bytes()).hexdigest() == digest, name


def test_bgs_is_not_redistributed() -> None:
    assert not (SRC / "bgs_wms").exists()
    head = (SRC / "PROVENANCE.md").read_text(encoding="utf-8").split("\n---\n")[0]
    assert "What this project keeps" in head and "bgs_wms" in head


def test_etl_does_not_import_streamlit() -> None:
    code = "import sys, rmo_data.ingest.public_sources; assert 'streamlit' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=SRC.parents[1])


# --- helpers ----------------------------------------------------------------------

@pytest.mark.parametrize("raw, qty, flag", [
    ("1,570", 1570.0, None),
    ("676", 676.0, None),
    ("0.5", 0.5, None),
    ("—", 0.0, "—"),
    ("W", math.nan, "W"),
    ("NA", math.nan, "NA"),
    ("XX", math.nan, "XX"),
    (">1,000", math.nan, ">1,000"),
    ("<0.5", math.nan, "<0.5"),
])
def test_parse_usgs_value(raw: str, qty: float, flag: str | None) -> None:
    got_qty, got_flag = public_sources.parse_usgs_value(raw)
    assert got_flag == flag
    assert (math.isnan(got_qty) and math.isnan(qty)) or got_qty == qty


@pytest.mark.parametrize("raw", ["", "abc", "12 34"])
def test_parse_usgs_value_rejects_junk(raw: str) -> None:
    with pytest.raises(ValueError, match="empty value cell" if raw == "" else "unreadable value"):
        public_sources.parse_usgs_value(raw)


def test_clean_country_label_strips_footnotes_and_odd_spaces() -> None:
    assert public_sources.clean_country_label("World total (rounded)8") == "World total (rounded)"
    assert public_sources.clean_country_label("New Caledonia9") == "New Caledonia"
    assert public_sources.clean_country_label("United\xa0States ") == "United States"
    assert public_sources.clean_country_label("Côte d\u2019Ivoire") == "Côte d'Ivoire"


def test_resolver(resolve) -> None:
    for aggregate in ("World total", "World total (rounded)", "Other countries",
                      "Rest of world", "World total (rounded), excluding United States",
                      "World total (rounded)8", "Other"):
        assert resolve(aggregate) is None, aggregate
    assert public_sources.aggregate_kind("World total (rounded)8") == "world"
    assert public_sources.aggregate_kind("Rest of world") == "other"
    expected = {
        "Burma": "MMR", "Congo (Kinshasa)": "COD", "Korea, North": "PRK",
        "Korea, Republic of": "KOR", "Russia": "RUS", "Turkey": "TUR", "Vietnam": "VNM",
        "Iran": "IRN", "Laos": "LAO", "Bolivia": "BOL", "United\xa0States": "USA",
        "Côte d\u2019Ivoire": "CIV", "Taiwan": "TWN", "New Caledonia9": "NCL",
        "Kazakhstan, concentrate": "KAZ", "Kosovo": "XKX", "Türkiye": "TUR",
    }
    for name, code in expected.items():
        assert resolve(name) == code, name
    assert resolve("Atlantis") is None


def test_every_alias_points_at_a_known_country(aliases: pd.DataFrame) -> None:
    countries = public_sources.load_countries(aliases)
    assert set(aliases["iso3"]) <= set(countries["iso3"])
    bad = aliases.assign(iso3="QQQ")
    with pytest.raises(ValueError, match="QQQ"):
        public_sources.load_countries(bad)


# --- countries ----------------------------------------------------------------------

def test_countries(aliases: pd.DataFrame) -> None:
    countries = public_sources.load_countries(aliases)
    assert list(countries.columns) == columns_of(schema.country, skip=())
    assert countries["iso3"].is_unique
    assert len(countries) >= 250
    by_code = countries.set_index("iso3")
    assert by_code.loc["TWN", "name"] == "Taiwan"  # common name preferred
    assert by_code.loc["DEU", "iso_numeric"] == 276
    assert pd.isna(by_code.loc["XKX", "iso_numeric"])


# --- commodities ----------------------------------------------------------------------

def test_commodities_columns_and_one_primary(commodities: pd.DataFrame,
                                            production: pd.DataFrame) -> None:
    assert list(commodities.columns) == columns_of(schema.commodity, skip=())
    assert set(commodities["material"]) == set(constants.MATERIAL_SLUGS)
    for (mat, stage), _ in production.groupby(["material", "stage"]):
        rows = commodities[(commodities["material"] == mat) & (commodities["stage"] == stage)]
        assert rows["is_primary"].sum() == 1, (mat, stage)
    primary = set(commodities.loc[commodities["is_primary"], "slug"])
    assert {"iron_steel_ore_fe_content", "iron_steel_raw_steel", "aluminium_smelter",
            "magnesium_metal_smelter", "nickel_refined_iea", "graphite_refined_iea",
            "ree_refined_iea", "magnesium_magnesite_mine"} <= primary
    assert not primary & {"iron_steel_usable_ore", "iron_steel_pig_iron",
                          "aluminium_alumina_refinery", "magnesium_magnesite_mgo_mine"}
    assert set(production["commodity"]) == set(commodities["slug"])


def test_two_primaries_are_refused(tmp_path: Path) -> None:
    frame = pd.read_csv(public_sources.SEED_DIR / "commodities.csv", dtype=str, keep_default_na=False)
    frame.loc[frame["slug"] == "iron_steel_pig_iron", "is_primary"] = "true"
    frame.to_csv(tmp_path / "commodities.csv", index=False)
    with pytest.raises(ValueError, match="more than one primary"):
        public_sources.load_commodities(tmp_path)


# --- production ----------------------------------------------------------------------

def test_production_columns(production: pd.DataFrame) -> None:
    assert list(production.columns) == columns_of(schema.production)
    assert production["year"].dtype.kind == "i"
    assert production["quantity"].dtype.kind == "f"
    assert production["is_estimate"].dtype == bool
    assert set(production["country_kind"]) == {"country", "world", "other"}
    assert set(production["source_id"]) == {"usgs_mcs2023", "usgs_mcs2024", "usgs_mcs2026",
                                            "iea_cm_2025"}
    assert not production.duplicated(["commodity", "year", "country_name"]).any()


def _years_with_data(production: pd.DataFrame, commodity: str) -> set[int]:
    rows = production[(production["commodity"] == commodity)
                      & (production["country_kind"] == "country")
                      & production["quantity"].notna()]
    return set(rows["year"])


def test_mining_covers_2021_to_2025(production: pd.DataFrame,
                                    commodities: pd.DataFrame) -> None:
    primary_mining = commodities[commodities["is_primary"] & (commodities["stage"] == "mining")]
    assert set(primary_mining["material"]) == set(constants.MATERIAL_SLUGS)
    for row in primary_mining.itertuples():
        got = _years_with_data(production, row.slug)
        if row.material == "magnesium":
            # MCS2024 gives 2022-2023 as MgO content, a different stated basis,
            # so the primary (gross-weight) magnesite series lacks those years...
            assert got == YEARS - {2022, 2023}
        else:
            assert got == YEARS, row.slug
    # ...and they sit in their own series.
    assert _years_with_data(production, "magnesium_magnesite_mgo_mine") == {2022, 2023}


def test_processing_coverage(production: pd.DataFrame) -> None:
    processing = production[production["stage"] == "processing"]
    assert set(processing["material"]) == {"aluminium", "graphite", "iron_steel", "magnesium",
                                           "nickel", "ree"}
    for slug in ("aluminium_smelter", "aluminium_alumina_refinery", "iron_steel_raw_steel",
                 "iron_steel_pig_iron", "magnesium_metal_smelter"):
        assert _years_with_data(production, slug) == YEARS, slug
    for slug in ("nickel_refined_iea", "graphite_refined_iea", "ree_refined_iea"):
        assert _years_with_data(production, slug) == {2024}, slug


def test_units_single_and_as_declared(production: pd.DataFrame,
                                      commodities: pd.DataFrame) -> None:
    assert (production.groupby("commodity")["unit"].nunique() == 1).all()
    declared = commodities.set_index("slug")["unit"]
    assert (production["unit"] == production["commodity"].map(declared)).all()
    assert (production.loc[production["source_id"] == "iea_cm_2025", "unit"] == "kt").all()


def test_flags(production: pd.DataFrame) -> None:
    withheld = production[production["value_flag"] == "W"]
    assert len(withheld) > 0 and withheld["quantity"].isna().all()
    zero = production[production["value_flag"] == "—"]
    assert len(zero) > 0 and (zero["quantity"] == 0).all()
    plain = production[production["value_flag"].isna()]
    assert plain["quantity"].notna().all()
    # US bauxite is withheld in the MCS2026 file itself.
    raw = [r for r in raw_rows(production_sources.MCS2026_WORLD)
           if r["Country"] == "United States"
           and r["Statistics_detail"] == "Bauxite, mine production"]
    assert {r["Value"] for r in raw} == {"W"}
    us = production[(production["commodity"] == "aluminium_bauxite_mine")
                    & (production["iso3"] == "USA")]
    assert set(us["year"]) == YEARS and us["quantity"].isna().all()


def test_aggregates_have_no_iso3_and_countries_do(production: pd.DataFrame,
                                                  aliases: pd.DataFrame) -> None:
    aggregates = production[production["country_kind"] != "country"]
    assert aggregates["iso3"].isna().all()
    countries = production[production["country_kind"] == "country"]
    assert countries["iso3"].notna().all()
    assert set(countries["iso3"]) <= set(public_sources.load_countries(aliases)["iso3"])
    assert not countries.duplicated(["commodity", "year", "iso3"]).any()


def test_newest_edition_wins(production: pd.DataFrame) -> None:
    # 2022 is in MCS2023 (as an estimate) and in MCS2024 (final).
    old = {r["Country"]: r for r in raw_rows("usgs_mcs2023/mcs2023-feste_world.csv")
           if r["Type"].startswith("Raw steel")}
    new = {r["Country"]: r for r in raw_rows("usgs_mcs2024/mcs2024-feste_world.csv")
           if r["Type"].startswith("Raw steel")}
    old_2022, new_2022 = num(old["China"]["Prod_Mt_est_2022"]), num(new["China"]["Prod_mmt_2022"])
    assert old_2022 != new_2022  # otherwise the test proves nothing
    row = production[(production["commodity"] == "iron_steel_raw_steel")
                     & (production["iso3"] == "CHN") & (production["year"] == 2022)]
    assert len(row) == 1
    assert row["quantity"].iloc[0] == new_2022
    assert row["edition"].iloc[0] == "MCS2024"
    # Each commodity-year comes from one edition, and MCS2023 only gives 2021.
    assert (production.groupby(["commodity", "year"])["edition"].nunique() == 1).all()
    assert set(production.loc[production["edition"] == "MCS2023", "year"]) == {2021}
    assert set(production.loc[production["edition"] == "MCS2024", "year"]) == {2022, 2023}
    assert set(production.loc[production["edition"] == "MCS2026", "year"]) == {2024, 2025}


def test_mcs2026_world_total_comes_from_rounded_row(production: pd.DataFrame) -> None:
    raw = [r for r in raw_rows(production_sources.MCS2026_WORLD)
           if r["MCS chapter"] == "GRAPHITE (NATURAL)" and r["Country"] == "World total"
           and r["Year"] == "2024"]
    assert len(raw) == 1 and raw[0]["Statistics_detail"].endswith(": rounded")
    world = production[(production["commodity"] == "graphite_mine")
                       & (production["country_kind"] == "world") & (production["year"] == 2024)]
    assert world["quantity"].tolist() == [num(raw[0]["Value"])]
    # Rounded detail rows are not loaded twice: one row per country and year.
    usgs = production[production["source_id"].str.startswith("usgs")]
    assert (usgs[usgs["country_kind"] == "world"].groupby(["commodity", "year"]).size() == 1).all()


def test_usgs_parts_add_up_to_world_total(production: pd.DataFrame) -> None:
    usgs = production[production["source_id"].str.startswith("usgs")]
    parts = usgs[usgs["country_kind"] != "world"].groupby(["commodity", "year"])["quantity"].sum()
    world = usgs[usgs["country_kind"] == "world"].set_index(["commodity", "year"])["quantity"]
    ratio = (parts / world).dropna()
    assert len(ratio) == len(world)
    # World totals are rounded and some list fewer countries; 6 % catches a
    # dropped major producer or a unit slip (x1000) without failing on rounding.
    assert ratio.between(0.94, 1.06).all(), ratio[~ratio.between(0.94, 1.06)]


def test_estimates(production: pd.DataFrame) -> None:
    usgs = production[production["source_id"].str.startswith("usgs")]
    assert usgs.loc[usgs["year"].isin([2023, 2025]), "is_estimate"].all()
    brazil = usgs[(usgs["commodity"] == "aluminium_bauxite_mine") & (usgs["iso3"] == "BRA")
                  & (usgs["year"] == 2021)]
    assert brazil["is_estimate"].tolist() == [True]  # "Production in 2021 is also estimated."
    # MCS2024 magnesium metal: both columns are "est", but China 2022 is "Reported in 2022".
    china = usgs[(usgs["commodity"] == "magnesium_metal_smelter") & (usgs["iso3"] == "CHN")
                 & (usgs["year"] == 2022)]
    assert china["is_estimate"].tolist() == [False]


def test_iea_refining_rows(production: pd.DataFrame) -> None:
    iea = production[production["source_id"] == "iea_cm_2025"]
    assert set(iea["year"]) == {2024}
    assert set(iea["stage"]) == {"processing"}
    assert set(iea["commodity"]) == {"nickel_refined_iea", "graphite_refined_iea",
                                     "ree_refined_iea"}
    assert "world" not in set(iea["country_kind"])
    assert set(iea.loc[iea["country_kind"] == "other", "country_name"]) == {"Rest of world"}
    assert not iea["is_estimate"].any()
    raw = [r for r in raw_rows(production_sources.IEA_SUPPLY)
           if r["iea_mineral"] == "Graphite" and r["stage"] == "refining"
           and r["country"] == "China" and r["year"] == "2024"]
    china = iea[(iea["commodity"] == "graphite_refined_iea") & (iea["iso3"] == "CHN")]
    assert china["quantity"].tolist() == [float(raw[0]["value_kt"])]


def test_unknown_country_fails_loudly(tmp_path: Path, resolve) -> None:
    base = tmp_path / "sources"
    shutil.copytree(SRC, base)
    path = base / "usgs_mcs2024" / "mcs2024-zinc_world.csv"
    path.chmod(0o644)
    with path.open("a", encoding="utf-8", newline="") as fh:
        fh.write('MCS2024,Atlantis,"Mine production, zinc content of concentrates and '
                 'direct shipping ores",5,5,,,\r\n')
    with pytest.raises(ValueError, match="Atlantis"):
        production_sources.load_production(resolve, base=base)


# --- WGI --------------------------------------------------------------------------

def test_wgi(wgi: pd.DataFrame) -> None:
    assert list(wgi.columns) == columns_of(schema.governance_indicator, skip=())
    assert wgi["year"].min() == 2015 and wgi["year"].max() == 2023
    assert set(wgi["indicator"]) == {"va", "pv", "ge", "rq", "rl", "cc"}
    assert set(wgi["source_id"]) == {"wb_wgi_2024"}
    codes = set(wgi["iso3"])
    assert {"COD", "ROU", "AND", "TLS", "PSE", "XKX"} <= codes
    assert not codes & {"ZAR", "ROM", "ADO", "TMP", "WBG", "KSV", "ANT"}
    assert not wgi.duplicated(["iso3", "year", "indicator"]).any()
    # A mapped value equals the raw file's value for the World Bank code.
    raw = [r for r in raw_rows(indicator_sources.WGI_FILE)
           if r["code"] == "ZAR" and r["year"] == "2023" and r["indicator"] == "cc"]
    got = wgi[(wgi["iso3"] == "COD") & (wgi["year"] == 2023) & (wgi["indicator"] == "cc")]
    assert got["estimate"].tolist() == [float(raw[0]["estimate"])]
    assert got["estimate"].between(-2.6, 2.6).all()


# --- EU CRM -------------------------------------------------------------------------

def test_eu_crm(eu_crm: pd.DataFrame) -> None:
    assert list(eu_crm.columns) == columns_of(schema.eu_crm, skip=())
    assert set(eu_crm["material"]) == set(constants.MATERIAL_SLUGS)
    primary = eu_crm[eu_crm["is_primary"]]
    assert primary["material"].is_unique and set(primary["material"]) == set(constants.MATERIAL_SLUGS)
    assert not eu_crm.duplicated(["material", "eu_name"]).any()
    ree = eu_crm[eu_crm["material"] == "ree"].set_index("eu_name")["is_primary"]
    assert ree.to_dict() == {"LREE": True, "HREE": False}
    raw = {r["material_name"]: r for r in raw_rows(indicator_sources.EU_CRM_RESULTS)}
    by_name = eu_crm.set_index("eu_name")
    assert by_name.loc["Magnesium", "supply_risk"] == float(raw["Magnesium"]["supply_risk"])
    assert by_name.loc["Magnesium", "supply_risk"] == 4.1
    assert by_name.loc["Aluminium", "eol_rir_pct"] == float(raw["Aluminium"]["end_of_life"])
    assert by_name.loc["LREE", "supply_risk"] == float(raw["LREE"]["supply_risk"])
    for col in ("eol_rir_pct", "import_reliance_primary_pct", "import_reliance_refined_pct"):
        assert eu_crm[col].dropna().between(0, 100).all()
    assert set(eu_crm["bottleneck_stage"]) <= {"mining", "processing"}
    # Empty cells stay empty, never 0.
    assert pd.isna(by_name.loc["Natural graphite", "import_reliance_refined_pct"])


def test_eu_crm_refuses_percent_in_a_score(tmp_path: Path) -> None:
    base = tmp_path / "sources"
    (base / "eu_crm2023").mkdir(parents=True)
    text = (SRC / indicator_sources.EU_CRM_RESULTS).read_text(encoding="utf-8")
    text = text.replace("Magnesium,4.1,", "Magnesium,41%,")
    (base / indicator_sources.EU_CRM_RESULTS).write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="Magnesium"):
        indicator_sources.load_eu_crm(base=base)


# --- US end use ---------------------------------------------------------------------

def test_us_end_use(end_use: pd.DataFrame) -> None:
    assert list(end_use.columns) == columns_of(schema.end_use_share)
    assert set(end_use["scope"]) == {"US"} and set(end_use["year"]) == {2025}
    assert set(end_use["material"]) == {"aluminium", "iron_steel", "magnesium", "nickel"}
    sums = end_use[end_use["bound"] == "eq"].groupby("material")["share_pct"].sum()
    assert sums.to_dict() == {"aluminium": 100.0, "iron_steel": 100.0, "magnesium": 100.0}
    nickel = end_use[end_use["material"] == "nickel"]
    assert nickel[["share_pct", "bound"]].values.tolist() == [[85.0, "ge"]]
    auto = end_use[end_use["is_automotive"]].set_index("material")
    assert auto["sector"].to_dict() == {
        "aluminium": "Transportation", "iron_steel": "Automotive",
        "magnesium": "Castings (principally automotive)"}
    assert "principally for the automotive industry" in auto.loc["magnesium", "note"]


def test_us_end_use_quotes_are_verbatim(end_use: pd.DataFrame) -> None:
    text = {r["material"]: r["domestic_use_summary"] for r in raw_rows(indicator_sources.US_TEXT)}
    for row in end_use.itertuples():
        source_key = {v: k for k, v in indicator_sources.SOURCE_MATERIAL.items()}[row.material]
        quote = row.note.split('"')[1]
        for fragment in quote.split(" ... "):
            assert fragment in text[source_key], (row.material, fragment)
