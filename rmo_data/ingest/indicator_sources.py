"""Country and material indicators from the public files: World Bank WGI, EU CRM 2023, USGS end uses.

* World Bank WGI 2024 update -> ``governance_indicator``;
* EU CRM assessment 2023 -> ``eu_crm``;
* USGS MCS 2026 chapter text -> ``end_use_share`` (US shares).

Pure: files in, frames with the columns of their tables out.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path
from typing import Final

import pandas as pd
import pycountry

from rmo_data import constants
from rmo_data.ingest.public_sources import (EXTRA_COUNTRIES, SOURCES_DIR, fold_text)


WGI_FILE: Final[str] = "worldbank_wgi/wgi_2024update_2015_2023_estimate.csv"

EU_CRM_RESULTS: Final[str] = "eu_crm2023/eureport_results.csv"

US_END_USE: Final[str] = "usgs_mcs2026_text/end_use_shares_us_from_mcs2026_text.csv"

US_TEXT: Final[str] = "usgs_mcs2026_text/mcs2026_domestic_use_and_recycling_text.csv"

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

# World Bank codes in WGI that differ from ISO 3166-1 alpha-3.
WGI_CODE_FIXES: Final[dict[str, str]] = {
    "ADO": "AND", "ROM": "ROU", "ZAR": "COD", "TMP": "TLS", "WBG": "PSE", "KSV": "XKX",
}

# WGI entities with no current ISO code; dropped (documented in load_wgi).
WGI_DROPPED_CODES: Final[frozenset[str]] = frozenset({"ANT"})  # Netherlands Antilles (former)

WGI_MIN_YEAR: Final[int] = 2015

WGI_INDICATORS: Final[frozenset[str]] = frozenset({"va", "pv", "ge", "rq", "rl", "cc"})

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
        "indicator": raw["indicator"], "country_name": raw["countryname"].map(fold_text),
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
    value = fold_text(text)
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
        name = fold_text(r["material_name"])
        if name not in EU_CRM_MAP:
            continue
        slug, primary = EU_CRM_MAP[name]
        where = f"{path.name}, {name}"
        stage = fold_text(r["eu_used_stage"]).lower()
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
    words = fold_text(chapter).lower().split()
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
        raw_sector = fold_text(r.end_use_sector)
        quote = fold_text(r.verbatim_quote)
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
