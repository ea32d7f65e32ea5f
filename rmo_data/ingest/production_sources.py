"""Production by country from the public files: USGS Mineral Commodity Summaries and IEA refining.

* USGS MCS 2023, 2024 and 2026 world tables -> ``production`` (country series
  2021-2025, mining and processing), the newest edition winning for a year;
* IEA Critical Minerals Data Explorer 2025 -> ``production`` (refining 2024 for
  nickel, battery-grade graphite and magnet rare earths).

Pure: files in, a frame with the columns of the ``production`` table out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Final

import pandas as pd

from rmo_data.ingest.public_sources import (SOURCES_DIR, aggregate_kind, clean_country_label, fold_text,
                                            load_commodities, parse_usgs_value)


MCS2026_WORLD: Final[str] = "usgs_mcs2026/mcs2026_world_10materials_utf8.csv"

MCS2024_DIR: Final[str] = "usgs_mcs2024"

MCS2023_DIR: Final[str] = "usgs_mcs2023"

IEA_SUPPLY: Final[str] = "iea_critical_minerals/iea_supply_mining_refining_by_country.csv"

PRODUCTION_COLUMNS: Final[list[str]] = [
    "commodity", "material", "stage", "country_name", "iso3", "country_kind", "year",
    "quantity", "unit", "value_flag", "is_estimate", "edition", "source_id",
]

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

def _unit_scale(unit: str) -> float:
    key = fold_text(unit).lower()
    if key not in _UNIT_SCALE:
        raise ValueError(f"unknown unit {unit!r}")
    return _UNIT_SCALE[key]


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
        notes = fold_text(r.Notes)
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
            type_text = fold_text(r["Type"]).lower()
            slugs = [slug for rx, slug in series if re.search(rx, type_text)]
            if len(slugs) != 1:
                raise ValueError(f"{path.name}: cannot tell the series of Type {r['Type']!r}")
            name = clean_country_label(r["Country"])
            note = fold_text(r[note_col]) if note_col else ""
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


