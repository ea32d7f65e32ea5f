"""Read the public source files in ``rmo_data/sources/`` into tidy DataFrames.

Every public function here is pure: it reads files and returns a
``pandas.DataFrame`` whose columns match one table of :mod:`rmo_data.store.schema`
exactly, without touching a database.  ``rmo_data.ingest.build`` calls them and
writes the rows.  The module never imports streamlit.

Sources and what they feed (see ``sources/PROVENANCE.md``):

* USGS Mineral Commodity Summaries 2023, 2024 and 2026 world tables
  -> ``production`` (country series 2021-2025, mining and processing);
* IEA Critical Minerals Data Explorer 2025 -> ``production`` (refining 2024
  for nickel, battery-grade graphite and magnet rare earths);
* World Bank WGI 2024 update -> ``governance_indicator``;
* EU CRM assessment 2023 -> ``eu_crm``;
* USGS MCS 2026 chapter text -> ``end_use_share`` (US shares);
* pycountry plus ``seed/country_aliases.csv`` -> ``country``.

Every loader takes ``base`` (the sources folder, or the seed folder for seed
files) so tests can point it at other files.  Problems in the inputs raise
``ValueError`` with a message that names the file and the offending labels.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Final

import pandas as pd
import pycountry

from rmo_data import constants

SOURCES_DIR: Final[Path] = Path(__file__).resolve().parents[1] / "sources"
SEED_DIR: Final[Path] = Path(__file__).resolve().parents[1] / "seed"

# --- file locations (relative to SOURCES_DIR) -------------------------------

MCS2026_WORLD: Final[str] = "usgs_mcs2026/mcs2026_world_10materials_utf8.csv"
MCS2024_DIR: Final[str] = "usgs_mcs2024"
MCS2023_DIR: Final[str] = "usgs_mcs2023"
IEA_SUPPLY: Final[str] = "iea_critical_minerals/iea_supply_mining_refining_by_country.csv"
WGI_FILE: Final[str] = "worldbank_wgi/wgi_2024update_2015_2023_estimate.csv"
EU_CRM_RESULTS: Final[str] = "eu_crm2023/eureport_results.csv"
US_END_USE: Final[str] = "usgs_mcs2026_text/end_use_shares_us_from_mcs2026_text.csv"
US_TEXT: Final[str] = "usgs_mcs2026_text/mcs2026_domestic_use_and_recycling_text.csv"

# --- output column orders (must equal the schema tables) ---------------------

COUNTRY_COLUMNS: Final[list[str]] = ["iso3", "name", "iso_numeric"]
COMMODITY_COLUMNS: Final[list[str]] = ["slug", "material", "stage", "name", "unit",
                                       "is_primary", "note"]
PRODUCTION_COLUMNS: Final[list[str]] = [
    "commodity", "material", "stage", "country_name", "iso3", "country_kind", "year",
    "quantity", "unit", "value_flag", "is_estimate", "edition", "source_id",
]
WGI_COLUMNS: Final[list[str]] = ["iso3", "year", "indicator", "country_name", "estimate",
                                 "source_id"]
EU_CRM_COLUMNS: Final[list[str]] = [
    "material", "eu_name", "supply_risk", "economic_importance", "eol_rir_pct",
    "import_reliance_primary_pct", "import_reliance_refined_pct", "bottleneck_stage",
    "is_primary", "source_id",
]
END_USE_COLUMNS: Final[list[str]] = [
    "material", "sector", "share_pct", "bound", "is_automotive", "basis", "scope", "year",
    "note", "source_id", "section",
]

# Material keys used by the source files -> our material slugs.
SOURCE_MATERIAL: Final[dict[str, str]] = {
    "bauxite_aluminium": "aluminium",
    "natural_graphite": "graphite",
    "iron_steel": "iron_steel",
    "magnesium": "magnesium",
    "manganese": "manganese",
    "molybdenum": "molybdenum",
    "nickel": "nickel",
    "ree": "ree",
    "tantalum": "tantalum",
    "zinc": "zinc",
}

# Entities that are not in ISO 3166-1 but appear in the sources.
EXTRA_COUNTRIES: Final[tuple[tuple[str, str, int | None], ...]] = (
    ("XKX", "Kosovo", None),  # user-assigned code used by the EU and the World Bank
)

# World Bank codes in WGI that differ from ISO 3166-1 alpha-3.
WGI_CODE_FIXES: Final[dict[str, str]] = {
    "ADO": "AND", "ROM": "ROU", "ZAR": "COD", "TMP": "TLS", "WBG": "PSE", "KSV": "XKX",
}
# WGI entities with no current ISO code; dropped (documented in load_wgi).
WGI_DROPPED_CODES: Final[frozenset[str]] = frozenset({"ANT"})  # Netherlands Antilles (former)
WGI_MIN_YEAR: Final[int] = 2015
WGI_INDICATORS: Final[frozenset[str]] = frozenset({"va", "pv", "ge", "rq", "rl", "cc"})

# Labels of aggregate rows.  Keys are normalised labels (see _norm_key).
_WORLD_PREFIX: Final[str] = "world total"
_OTHER_LABELS: Final[frozenset[str]] = frozenset(
    {"other countries", "other", "rest of world", "rest of the world"})

# Which years each USGS edition contributes.  MCS2023's 2022 estimate is
# dropped because MCS2024 publishes final 2022 figures; no MCS2025 country
# files were available, so 2023 exists only as MCS2024's estimate.
EDITION_YEARS: Final[dict[str, frozenset[int]]] = {
    "MCS2023": frozenset({2021}),
    "MCS2024": frozenset({2022, 2023}),
    "MCS2026": frozenset({2024, 2025}),
}
# Newer editions win; IEA is its own series so its rank never competes.
EDITION_RANK: Final[dict[str, int]] = {"MCS2023": 2023, "MCS2024": 2024, "MCS2026": 2026,
                                       "IEA CMDE 2025": 2025}
EDITION_SOURCE: Final[dict[str, str]] = {"MCS2023": "usgs_mcs2023", "MCS2024": "usgs_mcs2024",
                                         "MCS2026": "usgs_mcs2026",
                                         "IEA CMDE 2025": "iea_cm_2025"}

# Unit labels and codes used by the sources -> size in metric tons.  "dry"
# is a basis (moisture-free), not a size, so it does not change the factor.
_UNIT_SCALE: Final[dict[str, float]] = {
    "t": 1.0, "metric tons": 1.0, "metric dry tons": 1.0,
    "kt": 1e3, "thousand metric tons": 1e3, "thousand metric dry tons": 1e3,
    "mt": 1e6, "mmt": 1e6, "million metric tons": 1e6,
}

# USGS MCS2023/2024 per-commodity files: (file code, regex on Type, commodity slug).
_MCS_OLD_SERIES: Final[tuple[tuple[str, str, str], ...]] = (
    ("alumi", r"^smelter production, aluminum", "aluminium_smelter"),
    ("bauxi", r"^refinery production, alumina", "aluminium_alumina_refinery"),
    ("bauxi", r"^mine production, bauxite", "aluminium_bauxite_mine"),
    ("feore", r"usable ore", "iron_steel_usable_ore"),
    ("feore", r"iron content", "iron_steel_ore_fe_content"),
    ("feste", r"^pig iron", "iron_steel_pig_iron"),
    ("feste", r"^raw steel", "iron_steel_raw_steel"),
    ("graph", r"^mine production, graphite", "graphite_mine"),
    ("manga", r"^mine production, manganese content", "manganese_mine"),
    ("mgcomp", r"gross weight of magnesite", "magnesium_magnesite_mine"),
    ("mgcomp", r"contained magnesium oxide \(mgo\)", "magnesium_magnesite_mgo_mine"),
    ("mgmet", r"^magnesium smelter production", "magnesium_metal_smelter"),
    ("molyb", r"^mine production, contained molybdenum", "molybdenum_mine"),
    ("nicke", r"^mine production - nickel", "nickel_mine"),
    ("raree", r"^rare earths, mine production", "ree_mine"),
    ("tanta", r"^mine production, tantalum content", "tantalum_mine"),
    ("zinc", r"^mine production, zinc content", "zinc_mine"),
)

# USGS MCS2026 (chapter, Statistics_detail without ": rounded") -> commodity slug.
_MCS2026_SERIES: Final[dict[tuple[str, str], str]] = {
    ("BAUXITE AND ALUMINA", "Bauxite, mine production"): "aluminium_bauxite_mine",
    ("BAUXITE AND ALUMINA", "Alumina, refinery production"): "aluminium_alumina_refinery",
    ("ALUMINUM", "Smelter production"): "aluminium_smelter",
    ("GRAPHITE (NATURAL)", "Mine production"): "graphite_mine",
    ("IRON ORE", "Mine production: Iron content"): "iron_steel_ore_fe_content",
    ("IRON ORE", "Mine production: Usable ore"): "iron_steel_usable_ore",
    ("IRON AND STEEL", "Pig iron"): "iron_steel_pig_iron",
    ("IRON AND STEEL", "Raw steel"): "iron_steel_raw_steel",
    ("MAGNESIUM COMPOUNDS", "Mine production"): "magnesium_magnesite_mine",
    ("MAGNESIUM METAL", "Smelter production"): "magnesium_metal_smelter",
    ("MANGANESE", "Mine production"): "manganese_mine",
    ("MOLYBDENUM", "Mine production"): "molybdenum_mine",
    ("NICKEL", "Mine production"): "nickel_mine",
    ("RARE EARTHS", "Mine production"): "ree_mine",
    ("TANTALUM", "Mine production"): "tantalum_mine",
    ("ZINC", "Mine production"): "zinc_mine",
}
_ROUNDED_SUFFIX: Final[re.Pattern[str]] = re.compile(r"\s*[:,]\s*rounded\s*$", re.IGNORECASE)

# IEA minerals -> our refining commodity.  IEA mining rows are not loaded:
# USGS covers mining by country for every material.
_IEA_REFINING: Final[dict[str, str]] = {
    "Nickel": "nickel_refined_iea",
    "Graphite": "graphite_refined_iea",
    "Rare Earth Elements": "ree_refined_iea",
}
IEA_YEAR: Final[int] = 2024

# Non-numeric tokens USGS publishes in value cells.
_ZERO_TOKENS: Final[frozenset[str]] = frozenset({"—", "–", "-", "--"})
_NULL_TOKENS: Final[frozenset[str]] = frozenset({"W", "NA", "XX", "E", "S", "SMALL"})
_NUMBER: Final[re.Pattern[str]] = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")

# EU CRM names -> (material slug, is_primary).  Steel is not assessed by the
# EU; iron ore stands for the ferrous chain.  Magnesite is the ore of
# magnesium's mining stage, so it is kept next to Magnesium as non-primary.
EU_CRM_MAP: Final[dict[str, tuple[str, bool]]] = {
    "Aluminium": ("aluminium", True),
    "Bauxite": ("aluminium", False),
    "Natural graphite": ("graphite", True),
    "Iron ore": ("iron_steel", True),
    "Magnesium": ("magnesium", True),
    "Magnesite": ("magnesium", False),
    "Manganese": ("manganese", True),
    "Molybdenum": ("molybdenum", True),
    "Nickel": ("nickel", True),
    "LREE": ("ree", True),
    "HREE": ("ree", False),
    "Tantalum": ("tantalum", True),
    "Zinc": ("zinc", True),
}
_EU_STAGE: Final[dict[str, str]] = {"extraction": "mining", "processing": "processing"}

# US end-use shares: what each material's share is a share of.
_END_USE_BASIS: Final[dict[str, str]] = {
    "aluminium": "US domestic consumption of aluminium",
    "iron_steel": "US steel net shipments by market classification",
    "magnesium": "US primary magnesium consumption",
    "nickel": "US domestic consumption of nickel",
}
_AUTOMOTIVE_SECTORS: Final[dict[str, str]] = {
    "aluminium": "transportation",
    "iron_steel": "automotive",
    "magnesium": "castings (principally automotive)",
}
_END_USE_EXTRA_NOTE: Final[dict[tuple[str, str], str]] = {
    ("aluminium", "transportation"):
        "Transportation covers all transport applications, not only cars and light vehicles.",
    ("magnesium", "castings (principally automotive)"):
        "USGS says castings are principally for the automotive industry, so this share is "
        "treated as automotive; it is an upper bound for automotive use of primary magnesium.",
    ("nickel", "stainless and alloy steel and nickel-containing alloys (lower bound)"):
        "A lower bound ('more than 85%'), not part of a split adding to 100%.",
}


# --- small helpers -------------------------------------------------------------

def _fold(text: str) -> str:
    """Normalise a label for display: NFKC, straight quotes, single spaces."""
    text = unicodedata.normalize("NFKC", str(text))  # turns no-break spaces into spaces
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\ufeff", "")
    return re.sub(r"\s+", " ", text).strip()


def _norm_key(text: str) -> str:
    """Normalise a label for exact matching: folded, accents removed, casefolded."""
    decomposed = unicodedata.normalize("NFKD", _fold(text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def clean_country_label(label: str) -> str:
    """Return a source country label without footnote markers or odd spacing.

    Parameters
    ----------
    label : str
        Country label as published, e.g. ``"New Caledonia9"`` or
        ``"United\\xa0States"``.

    Returns
    -------
    str
        The label with no-break spaces, curly quotes and trailing footnote
        numbers removed, e.g. ``"New Caledonia"``.
    """
    text = _fold(label)
    # USGS footnote numbers are glued to the end of a label ("World total (rounded)8").
    return re.sub(r"(?<=[A-Za-z)])\d{1,2}$", "", text).strip()


def aggregate_kind(label: str) -> str | None:
    """Say whether a country label is an aggregate row.

    Parameters
    ----------
    label : str
        A country label from a production source.

    Returns
    -------
    str or None
        ``"world"`` for world totals (any "World total ..." label),
        ``"other"`` for "Other countries", "Other" and "Rest of world",
        ``None`` for anything else.
    """
    key = _norm_key(clean_country_label(label))
    if key.startswith(_WORLD_PREFIX):
        return "world"
    if key in _OTHER_LABELS:
        return "other"
    return None


def parse_usgs_value(raw: object) -> tuple[float, str | None]:
    """Parse one USGS value cell into a quantity and a flag.

    Parameters
    ----------
    raw : object
        The published cell, e.g. ``"1,570"``, ``"W"``, ``"—"`` or ``">1,000"``.

    Returns
    -------
    tuple of (float, str or None)
        ``(quantity, value_flag)``.  Plain numbers give ``(number, None)``;
        a dash means zero and gives ``(0.0, "—")``; withheld, not available,
        not applicable and similar tokens give ``(nan, token)``; bounds such
        as ``">1,000"`` give ``(nan, ">1,000")`` because a bound is not a value.

    Raises
    ------
    ValueError
        If the cell is empty or cannot be read.
    """
    if raw is None or (isinstance(raw, float) and pd.isna(raw)):
        raise ValueError("empty value cell")
    text = _fold(str(raw))
    if text == "":
        raise ValueError("empty value cell")
    if _NUMBER.match(text):
        return float(text.replace(",", "")), None
    if text in _ZERO_TOKENS:
        return 0.0, "—"
    if text.upper() in _NULL_TOKENS:
        return float("nan"), text
    if text[0] in "<>≤≥" and _NUMBER.match(text[1:].strip()):
        return float("nan"), text
    raise ValueError(f"unreadable value {text!r}")


def _unit_scale(unit: str) -> float:
    key = _fold(unit).lower()
    if key not in _UNIT_SCALE:
        raise ValueError(f"unknown unit {unit!r}")
    return _UNIT_SCALE[key]


# --- countries -------------------------------------------------------------------

def load_aliases(base: Path = SEED_DIR) -> pd.DataFrame:
    """Read ``country_aliases.csv``.

    Parameters
    ----------
    base : Path, optional
        Folder holding ``country_aliases.csv`` (default: the seed folder).

    Returns
    -------
    pandas.DataFrame
        Columns ``name`` and ``iso3``.
    """
    frame = pd.read_csv(base / "country_aliases.csv", dtype=str, keep_default_na=False)
    return frame[["name", "iso3"]].apply(lambda col: col.str.strip())


def load_countries(aliases: pd.DataFrame | None = None) -> pd.DataFrame:
    """Build the country table from ISO 3166-1 (pycountry) plus a few extra entities.

    Parameters
    ----------
    aliases : pandas.DataFrame, optional
        The alias table (columns ``name``, ``iso3``).  When given, every
        alias must point at a code in the returned table.

    Returns
    -------
    pandas.DataFrame
        Columns ``iso3``, ``name`` (pycountry's common name where it has one,
        e.g. "Taiwan", else its name) and ``iso_numeric`` (nullable integer;
        empty for Kosovo ``XKX``, which has no ISO numeric code).

    Raises
    ------
    ValueError
        If an alias points at an unknown code.
    """
    rows = [
        {"iso3": c.alpha_3, "name": getattr(c, "common_name", None) or c.name,
         "iso_numeric": int(c.numeric)}
        for c in pycountry.countries
    ]
    rows += [{"iso3": code, "name": name, "iso_numeric": num}
             for code, name, num in EXTRA_COUNTRIES]
    frame = pd.DataFrame(rows, columns=COUNTRY_COLUMNS)
    frame["iso_numeric"] = frame["iso_numeric"].astype("Int64")
    frame = frame.sort_values("iso3", ignore_index=True)
    if frame["iso3"].duplicated().any():
        raise ValueError("duplicate ISO3 codes in the country list")
    if aliases is not None:
        unknown = sorted(set(aliases["iso3"].str.strip()) - set(frame["iso3"]))
        if unknown:
            raise ValueError(f"country_aliases.csv uses unknown ISO3 code(s): {', '.join(unknown)}")
    return frame


def make_country_resolver(aliases: pd.DataFrame) -> Callable[[str], str | None]:
    """Make a function that turns a country name into an ISO3 code.

    Lookup order: the alias table, then exact (accent- and case-insensitive)
    matches on pycountry's name, official name and common name.  There is no
    fuzzy matching, so a new spelling fails loudly instead of matching the
    wrong country.

    Parameters
    ----------
    aliases : pandas.DataFrame
        Columns ``name`` and ``iso3`` (``seed/country_aliases.csv``).

    Returns
    -------
    callable
        ``resolve(name) -> str | None``.  Returns ``None`` for aggregates
        ("World total", "World total (rounded)", "Other countries",
        "Rest of world", ...) and for names it does not know.

    Raises
    ------
    ValueError
        If one alias name is given two different codes.
    """
    table: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(c, attr, None)
            if value:
                table.setdefault(_norm_key(value), c.alpha_3)
    for code, name, _ in EXTRA_COUNTRIES:
        table.setdefault(_norm_key(name), code)

    alias_table: dict[str, str] = {}
    for name, iso3 in zip(aliases["name"], aliases["iso3"]):
        key, code = _norm_key(clean_country_label(name)), str(iso3).strip()
        if alias_table.get(key, code) != code:
            raise ValueError(f"alias {name!r} is mapped to two codes: {alias_table[key]}, {code}")
        alias_table[key] = code

    def resolve(name: str) -> str | None:
        if name is None or (isinstance(name, float) and pd.isna(name)):
            return None
        if aggregate_kind(name) is not None:
            return None
        key = _norm_key(clean_country_label(name))
        return alias_table.get(key) or table.get(key)

    return resolve


# --- commodities -------------------------------------------------------------------

def load_commodities(base: Path = SEED_DIR) -> pd.DataFrame:
    """Read ``commodities.csv``: the production series the app knows.

    Parameters
    ----------
    base : Path, optional
        Folder holding ``commodities.csv`` (default: the seed folder).

    Returns
    -------
    pandas.DataFrame
        Columns ``slug, material, stage, name, unit, is_primary, note``;
        ``is_primary`` is boolean.

    Raises
    ------
    ValueError
        On unknown materials or stages, duplicate slugs, or a material and
        stage with more than one primary series.
    """
    frame = pd.read_csv(base / "commodities.csv", dtype=str, keep_default_na=False)
    frame = frame.apply(lambda col: col.str.strip())
    frame["is_primary"] = frame["is_primary"].str.lower().map(
        {"true": True, "false": False, "": False})
    if frame["is_primary"].isna().any():
        raise ValueError("commodities.csv: is_primary must be true or false")
    frame["is_primary"] = frame["is_primary"].astype(bool)
    frame["note"] = frame["note"].replace("", None)
    bad = sorted(set(frame["material"]) - set(constants.MATERIAL_SLUGS))
    bad += sorted(set(frame["stage"]) - set(constants.STAGE_SLUGS))
    if bad:
        raise ValueError(f"commodities.csv: unknown material or stage {bad}")
    if frame["slug"].duplicated().any():
        raise ValueError(f"commodities.csv: duplicate slugs "
                         f"{sorted(frame.loc[frame['slug'].duplicated(), 'slug'])}")
    primaries = frame[frame["is_primary"]].groupby(["material", "stage"]).size()
    if (primaries > 1).any():
        raise ValueError(f"commodities.csv: more than one primary series for "
                         f"{list(primaries[primaries > 1].index)}")
    return frame[COMMODITY_COLUMNS].reset_index(drop=True)


# --- production ----------------------------------------------------------------------

def _read_mcs2026(base: Path) -> pd.DataFrame:
    """Raw rows of the MCS2026 world tables: one row per value, our slugs attached."""
    path = base / MCS2026_WORLD
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    raw = raw[raw["Statistics"].eq("Production")].copy()
    raw["detail"] = raw["Statistics_detail"].str.replace(_ROUNDED_SUFFIX, "", regex=True)
    raw["rounded"] = raw["Statistics_detail"].str.contains(_ROUNDED_SUFFIX)
    raw["commodity"] = [_MCS2026_SERIES.get((ch, d)) for ch, d in
                        zip(raw["MCS chapter"], raw["detail"])]
    unmapped = raw.loc[raw["commodity"].isna(), ["MCS chapter", "detail"]].drop_duplicates()
    if len(unmapped):
        raise ValueError(f"{path.name}: production series with no commodity: "
                         f"{unmapped.to_records(index=False).tolist()}")
    raw["country_name"] = raw["Country"].map(clean_country_label)
    raw["kind"] = raw["country_name"].map(aggregate_kind)

    # ": rounded" rows repeat the detail rows with rounding; only their world
    # total is new (MCS2026 publishes the world total only as a rounded row).
    plain_world = set(zip(raw.loc[~raw["rounded"] & raw["kind"].eq("world"), "commodity"],
                          raw.loc[~raw["rounded"] & raw["kind"].eq("world"), "Year"]))
    no_plain_world = pd.Series(
        [(c, y) not in plain_world for c, y in zip(raw["commodity"], raw["Year"])],
        index=raw.index)
    keep = ~raw["rounded"] | (raw["kind"].eq("world") & no_plain_world)
    raw = raw[keep]

    rows = []
    for r in raw.itertuples(index=False):
        year = int(r.Year)
        try:
            qty, flag = parse_usgs_value(r.Value)
        except ValueError as exc:
            raise ValueError(f"{path.name}: {r.commodity} {r.country_name} {year}: {exc}") from exc
        notes = _fold(r.Notes)
        rows.append({
            "commodity": r.commodity, "country_name": r.country_name, "year": year,
            "quantity": qty, "value_flag": flag, "source_unit": r.Unit,
            # The whole last year of an edition is an estimate; earlier values
            # are estimates only where USGS says so.
            "is_estimate": year == 2025 or "estimated" in notes.lower(),
            "edition": "MCS2026",
        })
    return pd.DataFrame(rows)


_PROD_COL: Final[re.Pattern[str]] = re.compile(
    r"^Prod_(?P<unit>[A-Za-z]+)_(?P<est>est_)?(?P<year>\d{4})$")


def _first_year_estimated(note: str, year: int) -> bool | None:
    """Read 'also estimated' / 'reported' notes of MCS2023-2024 for the first year."""
    low = note.lower()
    if re.search(rf"reported in {year}", low):
        return False
    if "estimated" in low:
        return True
    return None


def _read_mcs_old(base: Path, folder: str, edition: str) -> pd.DataFrame:
    """Raw rows of the MCS2023 or MCS2024 per-commodity world files."""
    rows = []
    files = sorted((base / folder).glob("*_world.csv"))
    if not files:
        raise ValueError(f"no *_world.csv files in {base / folder}")
    for path in files:
        code = re.sub(r"^mcs\d{4}-|_world\.csv$", "", path.name)
        series = [(rx, slug) for c, rx, slug in _MCS_OLD_SERIES if c == code]
        if not series:
            raise ValueError(f"{path.name}: unknown commodity file code {code!r}")
        # utf-8-sig drops the BOM; the files also carry trailing empty columns
        # and rows, which are dropped here.
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        frame = frame.loc[:, ~frame.columns.str.startswith("Unnamed")]
        frame = frame[frame.apply(lambda r: any(v.strip() for v in r), axis=1)]
        prod_cols = [c for c in frame.columns if _PROD_COL.match(c)]
        note_col = next((c for c in frame.columns if c.lower().startswith("prod_note")), None)
        if len(prod_cols) != 2:
            raise ValueError(f"{path.name}: expected two production columns, got {prod_cols}")
        first_year = min(int(_PROD_COL.match(c)["year"]) for c in prod_cols)
        for _, r in frame.iterrows():
            type_text = _fold(r["Type"]).lower()
            slugs = [slug for rx, slug in series if re.search(rx, type_text)]
            if len(slugs) != 1:
                raise ValueError(f"{path.name}: cannot tell the series of Type {r['Type']!r}")
            name = clean_country_label(r["Country"])
            note = _fold(r[note_col]) if note_col else ""
            for col in prod_cols:
                m = _PROD_COL.match(col)
                year = int(m["year"])
                try:
                    qty, flag = parse_usgs_value(r[col])
                except ValueError as exc:
                    raise ValueError(f"{path.name}: {name} {year}: {exc}") from exc
                is_est = m["est"] is not None
                if year == first_year:
                    override = _first_year_estimated(note, year)
                    is_est = is_est if override is None else override
                rows.append({
                    "commodity": slugs[0], "country_name": name, "year": year,
                    "quantity": qty, "value_flag": flag, "source_unit": m["unit"],
                    "is_estimate": is_est, "edition": edition,
                })
    return pd.DataFrame(rows)


def _read_iea_refining(base: Path) -> pd.DataFrame:
    """IEA refining by country, 2024 historical only."""
    path = base / IEA_SUPPLY
    raw = pd.read_csv(path)
    raw = raw[raw["stage"].eq("refining") & raw["case"].eq("historical")
              & raw["year"].eq(IEA_YEAR) & raw["iea_mineral"].isin(list(_IEA_REFINING))]
    # The file's "World total" is the converter's 'total' field; for nickel it
    # disagrees with the sum of the listed rows (it is 113.1 kt short, exactly
    # Canada's value), so it is not loaded.  Shares use the sum of the rows.
    raw = raw[~raw["country"].map(aggregate_kind).eq("world")]
    return pd.DataFrame({
        "commodity": raw["iea_mineral"].map(_IEA_REFINING),
        "country_name": raw["country"].map(clean_country_label),
        "year": raw["year"].astype(int),
        "quantity": raw["value_kt"].astype(float),
        "value_flag": None,
        "source_unit": "kt",
        "is_estimate": False,
        "edition": "IEA CMDE 2025",
    })


def load_production(
    resolve_iso3: Callable[[str], str | None],
    base: Path = SOURCES_DIR,
    commodities: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Load production by country from USGS MCS (2021-2025) and IEA (refining 2024).

    USGS editions contribute: MCS2023 -> 2021, MCS2024 -> 2022 and 2023e,
    MCS2026 -> 2024 and 2025e; where editions overlap the newest wins for the
    whole commodity-year.  IEA contributes refining in 2024 for nickel,
    battery-grade graphite and magnet rare earths (its mining rows and
    projections are not loaded, nor its world total, see the commodity note).

    Parameters
    ----------
    resolve_iso3 : callable
        ``name -> ISO3 or None``, usually from :func:`make_country_resolver`.
    base : Path, optional
        The sources folder.
    commodities : pandas.DataFrame, optional
        The commodity table; read from the seed folder when omitted.  Its
        ``unit`` is the one unit of each series; values are converted to it.

    Returns
    -------
    pandas.DataFrame
        Columns ``commodity, material, stage, country_name, iso3, country_kind,
        year, quantity, unit, value_flag, is_estimate, edition, source_id``.
        ``country_kind`` is ``country``, ``world`` or ``other``; aggregates
        have no ``iso3``.  ``quantity`` is NaN for withheld (W), not available
        (NA) and bound values (``value_flag`` keeps the published token), and
        0 for a published dash (``value_flag`` "—").

    Raises
    ------
    ValueError
        If a country label is neither an aggregate nor resolvable (the message
        lists them all so the alias table can be fixed), if a series is not in
        the commodity table, or if a unit cannot be converted.
    """
    if commodities is None:
        commodities = load_commodities()
    frames = [
        _read_mcs_old(base, MCS2023_DIR, "MCS2023"),
        _read_mcs_old(base, MCS2024_DIR, "MCS2024"),
        _read_mcs2026(base),
    ]
    usgs = pd.concat(frames, ignore_index=True)
    usgs = usgs[[y in EDITION_YEARS[e] for e, y in zip(usgs["edition"], usgs["year"])]]
    data = pd.concat([usgs, _read_iea_refining(base)], ignore_index=True)

    # Newest edition wins for a whole commodity-year, so one year never mixes
    # country rows of one edition with a world total of another.
    data["rank"] = data["edition"].map(EDITION_RANK)
    newest = data.groupby(["commodity", "year"])["rank"].transform("max")
    data = data[data["rank"].eq(newest)].drop(columns="rank")

    com = commodities.set_index("slug")
    unknown = sorted(set(data["commodity"]) - set(com.index))
    if unknown:
        raise ValueError(f"production series missing from commodities.csv: {unknown}")
    data["material"] = data["commodity"].map(com["material"])
    data["stage"] = data["commodity"].map(com["stage"])
    data["unit"] = data["commodity"].map(com["unit"])

    # One unit per series: convert by the size of the published unit.
    factors = {(s, u): _unit_scale(s) / _unit_scale(u)
               for s, u in set(zip(data["source_unit"], data["unit"]))}
    data["quantity"] = [q * factors[(s, u)] for q, s, u in
                        zip(data["quantity"], data["source_unit"], data["unit"])]
    data = data.drop(columns="source_unit")

    data["country_kind"] = data["country_name"].map(aggregate_kind).fillna("country")
    data["iso3"] = [resolve_iso3(n) if k == "country" else None
                    for n, k in zip(data["country_name"], data["country_kind"])]
    unresolved = sorted(set(data.loc[data["country_kind"].eq("country")
                                     & data["iso3"].isna(), "country_name"]))
    if unresolved:
        raise ValueError("production sources: country names with no ISO3 code "
                         f"(add them to country_aliases.csv): {unresolved}")

    data["source_id"] = data["edition"].map(EDITION_SOURCE)
    data["year"] = data["year"].astype(int)
    data["quantity"] = data["quantity"].astype(float)
    data["is_estimate"] = data["is_estimate"].astype(bool)
    data["value_flag"] = data["value_flag"].astype(object).where(data["value_flag"].notna(), None)

    key_cols = ["commodity", "year", "country_name"]
    dupes = data.duplicated(key_cols, keep=False)
    if dupes.any():
        raise ValueError(f"duplicate production rows: "
                         f"{data.loc[dupes, key_cols].values.tolist()}")
    # Two labels of one country in one series ("Kazakhstan" and "Kazakhstan,
    # concentrate") would count it twice in shares.
    twice = data["country_kind"].eq("country") & data.duplicated(
        ["commodity", "year", "iso3"], keep=False)
    if twice.any():
        raise ValueError(f"one country listed twice in a series: "
                         f"{data.loc[twice, key_cols].values.tolist()}")
    if data.groupby("commodity")["unit"].nunique().max() != 1:
        raise ValueError("a commodity has more than one unit")
    kind_order = data["country_kind"].map({"country": 0, "other": 1, "world": 2})
    data = (data.assign(_k=kind_order)
                .sort_values(["material", "stage", "commodity", "year", "_k", "country_name"])
                .drop(columns="_k"))
    return data[PRODUCTION_COLUMNS].reset_index(drop=True)


# --- governance ----------------------------------------------------------------------

def load_wgi(
    resolve_iso3: Callable[[str], str | None] | None = None,
    base: Path = SOURCES_DIR,
) -> pd.DataFrame:
    """Load the Worldwide Governance Indicators estimates, 2015 onwards.

    World Bank codes that differ from ISO (ADO, ROM, ZAR, TMP, WBG, KSV) are
    mapped to ISO3 (Kosovo to ``XKX``).  The former Netherlands Antilles
    (``ANT``), which has no current ISO code, is dropped.

    Parameters
    ----------
    resolve_iso3 : callable, optional
        When given, every WGI country name must resolve to the same code as
        its WGI code; this keeps ``country_aliases.csv`` complete for WGI names.
    base : Path, optional
        The sources folder.

    Returns
    -------
    pandas.DataFrame
        Columns ``iso3, year, indicator, country_name, estimate, source_id``
        (``source_id`` is ``wb_wgi_2024``); ``estimate`` is NaN where WGI has
        no estimate.

    Raises
    ------
    ValueError
        On unknown codes or indicators, or names that resolve to another code.
    """
    path = base / WGI_FILE
    raw = pd.read_csv(path, dtype={"code": str, "countryname": str, "indicator": str})
    raw = raw[raw["year"].ge(WGI_MIN_YEAR) & ~raw["code"].isin(WGI_DROPPED_CODES)].copy()
    raw["iso3"] = raw["code"].replace(WGI_CODE_FIXES)
    known = {c.alpha_3 for c in pycountry.countries} | {c[0] for c in EXTRA_COUNTRIES}
    bad_codes = sorted(set(raw["iso3"]) - known)
    if bad_codes:
        raise ValueError(f"{path.name}: codes with no ISO3 match: {bad_codes}")
    bad_ind = sorted(set(raw["indicator"]) - WGI_INDICATORS)
    if bad_ind:
        raise ValueError(f"{path.name}: unknown indicators {bad_ind}")
    if resolve_iso3 is not None:
        pairs = raw[["countryname", "iso3"]].drop_duplicates()
        wrong = [(n, c, resolve_iso3(n)) for n, c in pairs.itertuples(index=False)
                 if resolve_iso3(n) != c]
        if wrong:
            raise ValueError(f"{path.name}: names that do not resolve to their WGI code "
                             f"(name, WGI code, resolved): {wrong}")
    out = pd.DataFrame({
        "iso3": raw["iso3"], "year": raw["year"].astype(int),
        "indicator": raw["indicator"], "country_name": raw["countryname"].map(_fold),
        "estimate": raw["estimate"].astype(float), "source_id": "wb_wgi_2024",
    })
    if out.duplicated(["iso3", "year", "indicator"]).any():
        raise ValueError(f"{path.name}: duplicate iso3/year/indicator rows")
    return out.sort_values(["iso3", "year", "indicator"])[WGI_COLUMNS].reset_index(drop=True)


# --- EU CRM ----------------------------------------------------------------------

def _parse_number(text: str, *, percent: bool, where: str) -> float:
    """Read a number cell; empty gives NaN.  Percent cells may end in '%'.

    A '%' in a non-percent cell (the transcribed "281%" for an LREE supply
    risk, for example) is a transcription error, so it raises rather than
    guessing a value.
    """
    value = _fold(text)
    if value == "":
        return float("nan")
    if value.endswith("%"):
        if not percent:
            raise ValueError(f"{where}: percent sign in a non-percent cell {text!r}")
        value = value[:-1].strip()
    try:
        number = float(value.replace(",", ""))
    except ValueError as exc:
        raise ValueError(f"{where}: not a number {text!r}") from exc
    if percent and not 0 <= number <= 100:
        raise ValueError(f"{where}: percentage out of range {text!r}")
    return number


def load_eu_crm(base: Path = SOURCES_DIR) -> pd.DataFrame:
    """Load the EU CRM 2023 criticality results for our materials.

    Parameters
    ----------
    base : Path, optional
        The sources folder.

    Returns
    -------
    pandas.DataFrame
        Columns ``material, eu_name, supply_risk, economic_importance,
        eol_rir_pct, import_reliance_primary_pct, import_reliance_refined_pct,
        bottleneck_stage, is_primary, source_id``.  ``bottleneck_stage`` is the
        stage the EU used for supply risk, as our stage slug (``mining`` for
        "Extraction", ``processing`` for "Processing").  LREE is the primary
        REE row and HREE a secondary one; Magnesite sits next to Magnesium as a
        secondary row.  Missing cells stay NaN.

    Raises
    ------
    ValueError
        If a mapped material is missing, listed twice with different values,
        or has an unreadable cell.
    """
    path = base / EU_CRM_RESULTS
    with path.open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    out: dict[str, dict[str, object]] = {}
    for r in rows:
        name = _fold(r["material_name"])
        if name not in EU_CRM_MAP:
            continue
        slug, primary = EU_CRM_MAP[name]
        where = f"{path.name}, {name}"
        stage = _fold(r["eu_used_stage"]).lower()
        record = {
            "material": slug, "eu_name": name,
            "supply_risk": _parse_number(r["supply_risk"], percent=False, where=where),
            "economic_importance": _parse_number(r["economic_importance"], percent=False,
                                                 where=where),
            "eol_rir_pct": _parse_number(r["end_of_life"], percent=True, where=where),
            "import_reliance_primary_pct": _parse_number(r["import_reliance_primary"],
                                                         percent=True, where=where),
            "import_reliance_refined_pct": _parse_number(r["import_reliance_refined"],
                                                         percent=True, where=where),
            "bottleneck_stage": _EU_STAGE.get(stage),
            "is_primary": primary, "source_id": "eu_crm_2023",
        }
        if stage and record["bottleneck_stage"] is None:
            raise ValueError(f"{where}: unknown stage {r['eu_used_stage']!r}")
        if name in out and out[name] != record:
            raise ValueError(f"{where}: listed twice with different values")
        out[name] = record
    # Bauxite is optional (the 2023 results list it inside Aluminium).
    missing = sorted(set(EU_CRM_MAP) - set(out) - {"Bauxite"})
    if missing:
        raise ValueError(f"{path.name}: materials not found: {missing}")
    frame = pd.DataFrame(list(out.values()), columns=EU_CRM_COLUMNS)
    order = {s: i for i, s in enumerate(constants.MATERIAL_SLUGS)}
    frame = frame.sort_values(["material", "is_primary", "eu_name"],
                              key=lambda s: s.map(order) if s.name == "material"
                              else (~s if s.name == "is_primary" else s))
    return frame.reset_index(drop=True)


# --- US end-use shares ------------------------------------------------------------

def _chapter_title(chapter: str) -> str:
    small = {"and", "of", "the"}
    words = _fold(chapter).lower().split()
    return " ".join(w if (i and w in small) else w.capitalize() for i, w in enumerate(words))


def load_us_end_use(base: Path = SOURCES_DIR) -> pd.DataFrame:
    """Load the US end-use shares stated in the MCS 2026 chapter text.

    Parameters
    ----------
    base : Path, optional
        The sources folder.

    Returns
    -------
    pandas.DataFrame
        Columns ``material, sector, share_pct, bound, is_automotive, basis,
        scope, year, note, source_id, section``.  ``scope`` is ``US`` and
        ``year`` 2025; ``bound`` is ``ge`` for the nickel "more than 85%"
        figure and ``eq`` otherwise; ``is_automotive`` marks aluminium
        transportation, steel automotive and magnesium castings (principally
        automotive).  ``note`` keeps the USGS wording verbatim (public domain).

    Raises
    ------
    ValueError
        On unknown materials, shares outside 0-100 or quotes without the share.
    """
    shares = pd.read_csv(base / US_END_USE, dtype=str, keep_default_na=False)
    text = pd.read_csv(base / US_TEXT, dtype=str, keep_default_na=False)
    chapters = dict(zip(text["material"], text["usgs_chapter"]))
    rows = []
    for r in shares.itertuples(index=False):
        if r.material not in SOURCE_MATERIAL:
            raise ValueError(f"{US_END_USE}: unknown material {r.material!r}")
        material = SOURCE_MATERIAL[r.material]
        share = float(r.share_pct)
        if not 0 <= share <= 100:
            raise ValueError(f"{US_END_USE}: share out of range for {r.end_use_sector!r}")
        raw_sector = _fold(r.end_use_sector)
        quote = _fold(r.verbatim_quote)
        if f"{share:g}%" not in quote.replace(" ", ""):
            raise ValueError(f"{US_END_USE}: quote does not state {share:g}%: {quote!r}")
        lower = "(lower bound)" in raw_sector or "more than" in quote.lower()
        sector = re.sub(r"\s*\(lower bound\)\s*$", "", raw_sector)
        sector = sector[:1].upper() + sector[1:]
        note = f'USGS MCS 2026: "{quote}"'
        extra = _END_USE_EXTRA_NOTE.get((material, raw_sector))
        if extra:
            note += f" {extra}"
        rows.append({
            "material": material, "sector": sector, "share_pct": share,
            "bound": "ge" if lower else "eq",
            "is_automotive": _AUTOMOTIVE_SECTORS.get(material) == raw_sector,
            "basis": _END_USE_BASIS[material], "scope": "US", "year": int(r.year),
            "note": note, "source_id": "usgs_mcs2026_text",
            "section": (f"Mineral Commodity Summaries 2026 > "
                        f"{_chapter_title(chapters.get(r.material, r.scope_of_share))} > "
                        f"Domestic Production and Use"),
        })
    return pd.DataFrame(rows, columns=END_USE_COLUMNS)
