"""Read the public source files in ``rmo_data/sources/`` into tidy DataFrames.

Every public function here is pure: it reads files and returns a
``pandas.DataFrame`` whose columns match one table of :mod:`rmo_data.store.schema`
exactly, without touching a database.  ``rmo_data.ingest.build`` calls them and
writes the rows.  The module never imports streamlit.

This module holds the shared part (file locations, country labels and codes,
commodities, USGS number parsing); ``rmo_data.ingest.production_sources`` and
``rmo_data.ingest.indicator_sources`` read the rest.  Sources and what they feed (see
``sources/PROVENANCE.md``):

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


# --- output column orders (must equal the schema tables) ---------------------

COUNTRY_COLUMNS: Final[list[str]] = ["iso3", "name", "iso_numeric"]
COMMODITY_COLUMNS: Final[list[str]] = ["slug", "material", "stage", "name", "unit",
                                       "is_primary", "note"]


# Entities that are not in ISO 3166-1 but appear in the sources.
EXTRA_COUNTRIES: Final[tuple[tuple[str, str, int | None], ...]] = (
    ("XKX", "Kosovo", None),  # user-assigned code used by the EU and the World Bank
)


# Labels of aggregate rows.  Keys are normalised labels (see _norm_key).
_WORLD_PREFIX: Final[str] = "world total"
_OTHER_LABELS: Final[frozenset[str]] = frozenset(
    {"other countries", "other", "rest of world", "rest of the world"})


# Non-numeric tokens USGS publishes in value cells.
_ZERO_TOKENS: Final[frozenset[str]] = frozenset({"—", "–", "-", "--"})
_NULL_TOKENS: Final[frozenset[str]] = frozenset({"W", "NA", "XX", "E", "S", "SMALL"})
_NUMBER: Final[re.Pattern[str]] = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")


# --- small helpers -------------------------------------------------------------

def fold_text(text: str) -> str:
    """Normalise a label for display: NFKC, straight quotes, single spaces."""
    text = unicodedata.normalize("NFKC", str(text))  # turns no-break spaces into spaces
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\ufeff", "")
    return re.sub(r"\s+", " ", text).strip()


def _norm_key(text: str) -> str:
    """Normalise a label for exact matching: folded, accents removed, casefolded."""
    decomposed = unicodedata.normalize("NFKD", fold_text(text))
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
    text = fold_text(label)
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
    text = fold_text(str(raw))
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
