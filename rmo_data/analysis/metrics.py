"""Concentration metrics: country shares, HHI, top-n shares, governance-weighted HHI.

Conventions (see the Sources & method page):

* A country's share is its production divided by the world total of the same
  commodity, stage, year and unit.  The published "World total" row is used
  when there is one; otherwise (IEA data) the total is the sum of every row,
  "Rest of world" included.  Aggregate rows are never a country.
* HHI = sum of squared shares in percent over named countries, 0-10 000.
  Withheld or unavailable values are left out and listed, never read as zero.
* ``n_countries`` counts producing countries: a country USGS lists with a
  production of zero is not a producer (it adds nothing to any share either).
* Governance-weighted HHI follows the EU CRM method: sum of share² (as a
  fraction) times the country's WGI risk score, where the score is
  (2.5 - mean of the six WGI estimates) × 2, so 0 (best) to 10 (worst).  The
  result is on the same 0-10 scale.

Everything here is pure: it takes plain data or frames.  The store reads that
feed it (production rows, WGI scores, the concentration of a material) live in
``rmo_data.store.concentration``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypedDict

import numpy as np
import pandas as pd

WGI_INDICATORS = ("va", "pv", "ge", "rq", "rl", "cc")


class Concentration(TypedDict):
    """Concentration of one material and stage in one year."""

    material: str
    stage: str
    commodity: str | None
    commodity_name: str | None
    unit: str | None
    year: int | None
    hhi: float | None
    top1_country: str | None
    top1_iso3: str | None
    top1_share: float | None
    top3_share: float | None
    named_share: float | None
    n_countries: int
    total: float | None
    total_basis: str | None
    withheld: list[str]
    is_estimate: bool
    source: str | None
    source_title: str | None


# --- pure functions ----------------------------------------------------------

def hhi(shares_pct: Iterable[float]) -> float:
    """Herfindahl-Hirschman index of shares given in percent (0-10 000)."""
    return float(sum(s * s for s in shares_pct))


def top_n_share(shares_pct: Iterable[float], n: int) -> float:
    """Sum of the ``n`` largest shares."""
    return float(sum(sorted(shares_pct, reverse=True)[:n]))


def wgi_risk_score(estimates: Iterable[float | None]) -> float | None:
    """EU CRM governance risk score from the six WGI estimates: (2.5 - mean) × 2, 0-10.

    Returns None unless all six estimates are present, so a partial record
    never passes for a full one.
    """
    values = [e for e in estimates if e is not None and not pd.isna(e)]
    if len(values) != len(WGI_INDICATORS):
        return None
    mean = sum(values) / len(values)
    return min(10.0, max(0.0, (2.5 - mean) * 2))


def governance_weighted_hhi(shares_pct: Mapping[str, float],
                            risk_scores: Mapping[str, float | None]) -> tuple[float, float]:
    """Σ share² · WGI score over countries that have a score; shares in percent.

    Returns (value on the 0-10 scale, percent of production covered by a score).
    """
    value, covered = 0.0, 0.0
    for iso3, share in shares_pct.items():
        score = risk_scores.get(iso3)
        if score is None:
            continue
        value += (share / 100) ** 2 * score
        covered += share
    return value, covered


def world_total(kinds: Iterable[str], quantities: Iterable[float | None]) -> tuple[float | None, str | None]:
    """Total production of one commodity and year, and its basis, from each row's country kind and quantity.

    The published world total when a "world" row has a quantity; otherwise the
    sum of every other row with a quantity ("Rest of world" included).  Returns
    (None, None) when no row has a quantity.  NaN and None both mean no quantity.
    """
    world: list[float] = []
    known: list[float] = []
    for kind, quantity in zip(kinds, quantities, strict=True):
        if quantity is None or pd.isna(quantity):
            continue
        (world if kind == "world" else known).append(quantity)
    if world:
        return float(world[0]), "world total"
    if not known:
        return None, None
    # numpy's sum, as pandas uses, so the total is the same to the last bit either way.
    return float(np.sum(np.asarray(known, dtype=float))), "sum of reported rows"


def producing_count(quantities: Iterable[float | None]) -> int:
    """How many of these country quantities are production: above zero (None and NaN are not)."""
    return sum(1 for q in quantities if q is not None and not pd.isna(q) and float(q) > 0)


def country_shares(rows: pd.DataFrame) -> tuple[pd.DataFrame, float | None, str | None]:
    """Shares of named countries from production rows of one commodity and year.

    ``rows`` has columns country_name, iso3, country_kind, quantity.  Returns
    (countries with a ``share_pct`` column sorted largest first, total, basis of
    the total).  Countries with no quantity are dropped here; callers list them.
    """
    total, basis = world_total(rows["country_kind"], rows["quantity"])
    named = rows[(rows["country_kind"] == "country") & rows["quantity"].notna()].copy()
    if not total:
        named["share_pct"] = float("nan")
        return named, None, None
    named["share_pct"] = named["quantity"] / total * 100
    named = named.sort_values("share_pct", ascending=False).reset_index(drop=True)
    return named, total, basis


def country_table(year_rows: pd.DataFrame) -> pd.DataFrame:
    """Every country row of one year's production with its ``share_pct`` of :func:`world_total`.

    Unlike :func:`country_shares`, countries whose figure is withheld stay in
    (share NaN), so a table can show their flag.  Largest quantity first.
    """
    total, _basis = world_total(year_rows["country_kind"], year_rows["quantity"])
    table = year_rows[year_rows["country_kind"] == "country"].copy()
    table["share_pct"] = table["quantity"] / total * 100 if total else float("nan")
    return table.sort_values("quantity", ascending=False)


def latest_year(rows: pd.DataFrame) -> int | None:
    """Latest year in which at least one named country has a quantity."""
    usable = rows[(rows["country_kind"] == "country") & rows["quantity"].notna()]
    return int(usable["year"].max()) if not usable.empty else None


def empty_concentration(material: str, stage: str, commodity: Mapping[str, Any] | None) -> Concentration:
    """The :class:`Concentration` of a material and stage with no production figure (commodity named if known)."""
    return Concentration(
        material=material, stage=stage,
        commodity=commodity["slug"] if commodity else None,
        commodity_name=commodity["name"] if commodity else None,
        unit=commodity["unit"] if commodity else None,
        year=None, hhi=None, top1_country=None, top1_iso3=None, top1_share=None,
        top3_share=None, named_share=None, n_countries=0, total=None, total_basis=None,
        withheld=[], is_estimate=False, source=None, source_title=None,
    )


def concentration_from_rows(material: str, stage: str, commodity: Mapping[str, Any] | None,
                            rows: pd.DataFrame, year: int | None = None) -> Concentration:
    """Country concentration of a material and stage from production rows of its commodity.

    ``rows`` holds the columns of ``rmo_data.store.concentration.production_rows``
    for one or more years; the latest year with a named country's quantity is
    used when ``year`` is None.  Fields are None when no production is recorded;
    ``withheld`` lists countries whose figure is withheld or not available.
    """
    com = dict(commodity) if commodity is not None else None
    if com is None:
        return empty_concentration(material, stage, None)
    if rows.empty:
        return empty_concentration(material, stage, com)
    chosen = year if year is not None else latest_year(rows)
    if chosen is None:
        return empty_concentration(material, stage, com)
    year_rows = rows[rows["year"] == chosen]
    named, total, basis = country_shares(year_rows)
    result = empty_concentration(material, stage, com)
    withheld = year_rows[(year_rows["country_kind"] == "country") & year_rows["quantity"].isna()]
    result["withheld"] = sorted(withheld["country_name"].tolist())
    result["year"] = int(chosen)
    if year_rows.empty:
        return result
    result["source"] = str(year_rows["source_id"].iloc[0])
    result["source_title"] = str(year_rows["source_title"].iloc[0])
    result["is_estimate"] = bool(year_rows["is_estimate"].astype(bool).any())
    if total is None or named.empty:
        return result
    shares = named["share_pct"].tolist()
    result.update(
        hhi=hhi(shares), top1_country=str(named["country_name"].iloc[0]),
        top1_iso3=named["iso3"].iloc[0], top1_share=float(shares[0]),
        top3_share=top_n_share(shares, 3), named_share=float(sum(shares)),
        n_countries=producing_count(named["quantity"]), total=total, total_basis=basis,
    )
    return result


def wgi_scores_from(rows: Iterable[tuple[Any, str, float | None]]) -> dict[str, float | None]:
    """WGI risk score per ISO3 from (iso3, indicator, estimate) rows of one year, countries sorted."""
    # Plain dicts rather than a pandas group per country: 200 small groups cost ~50 ms.
    by_country: dict[str, dict[str, float | None]] = {}
    for iso3, indicator, estimate in rows:
        by_country.setdefault(str(iso3), {})[indicator] = estimate
    return {iso3: wgi_risk_score(by_ind.get(i) for i in WGI_INDICATORS)
            for iso3, by_ind in sorted(by_country.items())}


def records_by_year(rows: pd.DataFrame) -> dict[int, list[dict[str, Any]]]:
    """Production rows (as ``production_rows`` returns them) as plain dicts per year, NULLs as None."""
    out: dict[int, list[dict[str, Any]]] = {}
    if rows.empty:
        return out
    for rec in rows.astype(object).where(rows.notna(), None).to_dict("records"):
        out.setdefault(int(rec["year"]), []).append(rec)
    return out


def concentration_of_year(material: str, stage: str, commodity: Mapping[str, Any] | None,
                          records: list[dict[str, Any]]) -> Concentration:
    """:func:`concentration_from_rows` for the rows of one year given as plain dicts (pure, fast)."""
    return concentration_and_shares(material, stage, commodity, records)[0]


def ranked_shares(records: list[dict[str, Any]]) -> tuple[list[tuple[float, dict[str, Any]]], float | None,
                                                           str | None]:
    """Named countries of ONE year's rows (plain dicts) with their share in percent, largest first.

    Returns (list of (share, row), total, basis of the total); the list is
    empty when there is no total or no named country with a quantity.  The
    arithmetic of :func:`country_shares`, in plain Python.
    """
    total, basis = world_total([r["country_kind"] for r in records], [r["quantity"] for r in records])
    named = [r for r in records if r["country_kind"] == "country" and r["quantity"] is not None]
    if not total or not named:
        return [], total, basis
    return sorted(((float(r["quantity"]) / total * 100, r) for r in named), key=lambda x: -x[0]), total, basis


def concentration_and_shares(material: str, stage: str, commodity: Mapping[str, Any] | None,
                             records: list[dict[str, Any]]) -> tuple[Concentration, dict[str, float]]:
    """:func:`concentration_from_rows` for the rows of ONE year as plain dicts, and the shares by ISO3.

    Same rules and the same arithmetic (so the same figures) as ``country_shares``
    and ``concentration_from_rows`` (:func:`world_total`, shares in percent,
    largest first), in plain Python: pandas costs ~3 ms per small frame.
    """
    com = dict(commodity) if commodity else None
    result = empty_concentration(material, stage, com)
    if com is None or not records:
        return result, {}
    result["withheld"] = sorted(r["country_name"] for r in records
                                if r["country_kind"] == "country" and r["quantity"] is None)
    result["year"] = int(records[0]["year"])
    result["source"] = str(records[0]["source_id"])
    result["source_title"] = str(records[0]["source_title"])
    result["is_estimate"] = any(bool(r["is_estimate"]) for r in records)
    ranked, total, basis = ranked_shares(records)
    if not ranked:
        return result, {}
    shares = [share for share, _r in ranked]
    result.update(
        hhi=hhi(shares), top1_country=str(ranked[0][1]["country_name"]), top1_iso3=ranked[0][1]["iso3"],
        top1_share=float(shares[0]), top3_share=top_n_share(shares, 3), named_share=float(sum(shares)),
        n_countries=producing_count(r["quantity"] for _s, r in ranked), total=total, total_basis=basis,
    )
    return result, {r["iso3"]: share for share, r in ranked}
