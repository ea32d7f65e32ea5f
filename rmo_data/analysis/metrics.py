"""Concentration metrics: country shares, HHI, top-n shares, governance-weighted HHI.

Conventions (see the Sources & method page):

* A country's share is its production divided by the world total of the same
  commodity, stage, year and unit.  The published "World total" row is used
  when there is one; otherwise (IEA data) the total is the sum of every row,
  "Rest of world" included.  Aggregate rows are never a country.
* HHI = sum of squared shares in percent over named countries, 0-10 000.
  Withheld or unavailable values are left out and listed, never read as zero.
* Governance-weighted HHI follows the EU CRM method: sum of share² (as a
  fraction) times the country's WGI risk score, where the score is
  (2.5 - mean of the six WGI estimates) × 2, so 0 (best) to 10 (worst).  The
  result is on the same 0-10 scale.

The pure functions take plain data; the functions taking ``engine`` read the
store and call them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypedDict

import numpy as np
import pandas as pd
from sqlalchemy import Engine, and_, func, select

from rmo_data.store import schema
from rmo_data.store.engine import get_engine

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


def country_shares(rows: pd.DataFrame) -> tuple[pd.DataFrame, float | None, str | None]:
    """Shares of named countries from production rows of one commodity and year.

    ``rows`` has columns country_name, iso3, country_kind, quantity.  Returns
    (countries with a ``share_pct`` column sorted largest first, total, basis of
    the total).  Countries with no quantity are dropped here; callers list them.
    """
    world = rows[(rows["country_kind"] == "world") & rows["quantity"].notna()]
    if not world.empty:
        total, basis = float(world["quantity"].iloc[0]), "world total"
    else:
        known = rows.loc[rows["country_kind"] != "world", "quantity"].dropna()
        total = float(known.sum()) if not known.empty else None
        basis = "sum of reported rows" if total is not None else None
    named = rows[(rows["country_kind"] == "country") & rows["quantity"].notna()].copy()
    if not total:
        named["share_pct"] = float("nan")
        return named, None, None
    named["share_pct"] = named["quantity"] / total * 100
    named = named.sort_values("share_pct", ascending=False).reset_index(drop=True)
    return named, total, basis


# --- store-backed functions --------------------------------------------------

def primary_commodity(material: str, stage: str, engine: Engine | None = None) -> dict[str, Any] | None:
    """The commodity series used for concentration of a material and stage."""
    eng = engine or get_engine()
    c = schema.commodity
    with eng.connect() as conn:
        row = conn.execute(
            select(c).where(and_(c.c.material == material, c.c.stage == stage, c.c.is_primary))
        ).mappings().first()
    return dict(row) if row else None


def production_rows(commodity: str, year: int | None = None,
                    engine: Engine | None = None) -> pd.DataFrame:
    """Production rows of one commodity (one year, or all years when ``year`` is None)."""
    eng = engine or get_engine()
    p, s = schema.production, schema.source
    query = (
        select(p.c.country_name, p.c.iso3, p.c.country_kind, p.c.year, p.c.quantity,
               p.c.unit, p.c.value_flag, p.c.is_estimate, p.c.edition, p.c.source_id,
               s.c.title.label("source_title"))
        .join(s, s.c.id == p.c.source_id)
        .where(p.c.commodity == commodity)
        # Insertion order on every database (PostgreSQL has no implicit order): sums over
        # the rows then add up in the same order, to the last bit, as latest_concentrations.
        .order_by(p.c.id)
    )
    if year is not None:
        query = query.where(p.c.year == year)
    with eng.connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all())


def latest_year(rows: pd.DataFrame) -> int | None:
    """Latest year in which at least one named country has a quantity."""
    usable = rows[(rows["country_kind"] == "country") & rows["quantity"].notna()]
    return int(usable["year"].max()) if not usable.empty else None


def _empty(material: str, stage: str, commodity: dict[str, Any] | None) -> Concentration:
    return Concentration(
        material=material, stage=stage,
        commodity=commodity["slug"] if commodity else None,
        commodity_name=commodity["name"] if commodity else None,
        unit=commodity["unit"] if commodity else None,
        year=None, hhi=None, top1_country=None, top1_iso3=None, top1_share=None,
        top3_share=None, named_share=None, n_countries=0, total=None, total_basis=None,
        withheld=[], is_estimate=False, source=None, source_title=None,
    )


def concentration(material: str, stage: str, year: int | None = None,
                  engine: Engine | None = None, commodity: str | None = None) -> Concentration:
    """Country concentration of ``material`` at ``stage`` (latest year when ``year`` is None).

    Fields are None when no production is recorded; ``withheld`` lists countries
    whose figure is withheld or not available in that year.
    """
    eng = engine or get_engine()
    com = (primary_commodity(material, stage, eng) if commodity is None
           else _commodity(commodity, eng))
    if com is None:
        return _empty(material, stage, None)
    rows = production_rows(com["slug"], engine=eng)
    return concentration_from_rows(material, stage, com, rows, year)


def concentration_from_rows(material: str, stage: str, commodity: Mapping[str, Any] | None,
                            rows: pd.DataFrame, year: int | None = None) -> Concentration:
    """Concentration from production rows of one commodity, as :func:`concentration` computes it (pure).

    ``rows`` holds the columns of :func:`production_rows` for one or more years;
    the latest year with a named country's quantity is used when ``year`` is None.
    """
    com = dict(commodity) if commodity is not None else None
    if com is None:
        return _empty(material, stage, None)
    if rows.empty:
        return _empty(material, stage, com)
    chosen = year if year is not None else latest_year(rows)
    if chosen is None:
        return _empty(material, stage, com)
    year_rows = rows[rows["year"] == chosen]
    named, total, basis = country_shares(year_rows)
    result = _empty(material, stage, com)
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
        n_countries=len(named), total=total, total_basis=basis,
    )
    return result


def _commodity(slug: str, engine: Engine) -> dict[str, Any] | None:
    c = schema.commodity
    with engine.connect() as conn:
        row = conn.execute(select(c).where(c.c.slug == slug)).mappings().first()
    return dict(row) if row else None


def wgi_scores(year: int, engine: Engine | None = None) -> tuple[dict[str, float | None], int | None]:
    """WGI risk score per ISO3 for the latest WGI year not after ``year``."""
    eng = engine or get_engine()
    g = schema.governance_indicator
    with eng.connect() as conn:
        wgi_year = conn.execute(
            select(g.c.year).where(g.c.year <= year).order_by(g.c.year.desc()).limit(1)
        ).scalar()
        if wgi_year is None:
            wgi_year = conn.execute(select(g.c.year).order_by(g.c.year).limit(1)).scalar()
        if wgi_year is None:
            return {}, None
        rows = conn.execute(
            select(g.c.iso3, g.c.indicator, g.c.estimate).where(g.c.year == wgi_year)
        ).all()
    # Plain dicts rather than a pandas group per country: 200 small groups cost ~50 ms.
    by_country: dict[str, dict[str, float | None]] = {}
    for iso3, indicator, estimate in rows:
        by_country.setdefault(str(iso3), {})[indicator] = estimate
    scores: dict[str, float | None] = {
        iso3: wgi_risk_score(by_ind.get(i) for i in WGI_INDICATORS) for iso3, by_ind in sorted(by_country.items())
    }
    return scores, int(wgi_year)


def latest_concentrations(stages: Sequence[str] = ("mining", "processing"),
                          engine: Engine | None = None) -> list[dict[str, Any]]:
    """Latest concentration and governance-weighted HHI of every material and stage, in three queries.

    Gives, per material of the ``material`` table (display order) and stage, the
    same figures as :func:`concentration` and :func:`governance_concentration`
    with ``year=None``, but reads the primary commodities, the rows of each one's
    latest year and the WGI scores once for all materials instead of several
    queries per material: with a hundred materials the per-material loop takes
    seconds, this stays in tens of milliseconds.

    Returns a list of dicts: the :class:`Concentration` fields plus ``hhi_wgi``,
    ``wgi_year`` and ``wgi_coverage``.
    """
    eng = engine or get_engine()
    m, c, p, s = schema.material, schema.commodity, schema.production, schema.source
    wanted = list(stages)
    with eng.connect() as conn:
        slugs = [r[0] for r in conn.execute(select(m.c.slug).order_by(m.c.sort_order, m.c.slug))]
        coms: dict[tuple[str, str], dict[str, Any]] = {}
        for row in conn.execute(select(c).where(c.c.stage.in_(wanted), c.c.is_primary)).mappings():
            coms.setdefault((row["material"], row["stage"]), dict(row))  # first one, as primary_commodity
        # Latest year with a named country's figure, per commodity: the year concentration() picks.
        latest = (select(p.c.commodity, func.max(p.c.year).label("latest"))
                  .where(p.c.country_kind == "country", p.c.quantity.is_not(None),
                         p.c.commodity.in_([com["slug"] for com in coms.values()]))
                  .group_by(p.c.commodity).subquery())
        query = (select(p.c.commodity, p.c.country_name, p.c.iso3, p.c.country_kind, p.c.year,
                        p.c.quantity, p.c.unit, p.c.value_flag, p.c.is_estimate, p.c.edition,
                        p.c.source_id, s.c.title.label("source_title"))
                 .join(s, s.c.id == p.c.source_id)
                 .join(latest, and_(latest.c.commodity == p.c.commodity, latest.c.latest == p.c.year))
                 .order_by(p.c.id))  # insertion order, as production_rows returns them
        result = conn.execute(query)
        rows = pd.DataFrame(result.mappings().all(), columns=list(result.keys()))
    # Plain records per commodity: pandas costs ~3 ms per small frame and there are
    # two per material, so the per-commodity work below stays in plain Python.
    by_commodity: dict[str, list[dict[str, Any]]] = {}
    for rec in rows.astype(object).where(rows.notna(), None).to_dict("records"):
        by_commodity.setdefault(rec.pop("commodity"), []).append(rec)
    scores_by_year: dict[int, tuple[dict[str, float | None], int | None]] = {}
    out: list[dict[str, Any]] = []
    for slug in slugs:
        for stage in wanted:
            com = coms.get((slug, stage))
            conc, shares = _concentration_from_records(slug, stage, com, by_commodity.get(com["slug"], [])
                                                       if com else [])
            gov: dict[str, Any] = {"hhi_wgi": None, "wgi_year": None, "wgi_coverage": None}
            if conc["hhi"] is not None and conc["year"] is not None:
                if conc["year"] not in scores_by_year:
                    scores_by_year[conc["year"]] = wgi_scores(conc["year"], eng)
                scores, wgi_year = scores_by_year[conc["year"]]
                value, covered = governance_weighted_hhi(shares, scores)
                gov = {"hhi_wgi": value, "wgi_year": wgi_year, "wgi_coverage": covered}
            out.append({**conc, **gov})
    return out


def records_by_year(rows: pd.DataFrame) -> dict[int, list[dict[str, Any]]]:
    """Production rows (as :func:`production_rows` returns them) as plain dicts per year, NULLs as None."""
    out: dict[int, list[dict[str, Any]]] = {}
    if rows.empty:
        return out
    for rec in rows.astype(object).where(rows.notna(), None).to_dict("records"):
        out.setdefault(int(rec["year"]), []).append(rec)
    return out


def concentration_of_year(material: str, stage: str, commodity: Mapping[str, Any] | None,
                          records: list[dict[str, Any]]) -> Concentration:
    """:func:`concentration_from_rows` for the rows of one year given as plain dicts (pure, fast)."""
    return _concentration_from_records(material, stage, dict(commodity) if commodity else None, records)[0]


def _concentration_from_records(material: str, stage: str, commodity: dict[str, Any] | None,
                                records: list[dict[str, Any]]) -> tuple[Concentration, dict[str, float]]:
    """:func:`concentration_from_rows` for the rows of ONE year as plain dicts, and the shares by ISO3.

    Same rules and the same arithmetic (so the same figures) as ``country_shares``
    and ``concentration``: the published world total when there is one, else the
    sum of every non-world row; shares in percent, largest first.
    """
    result = _empty(material, stage, commodity)
    if commodity is None or not records:
        return result, {}
    result["withheld"] = sorted(r["country_name"] for r in records
                                if r["country_kind"] == "country" and r["quantity"] is None)
    result["year"] = int(records[0]["year"])
    result["source"] = str(records[0]["source_id"])
    result["source_title"] = str(records[0]["source_title"])
    result["is_estimate"] = any(bool(r["is_estimate"]) for r in records)
    world = [r["quantity"] for r in records if r["country_kind"] == "world" and r["quantity"] is not None]
    if world:
        total: float | None = float(world[0])
        basis: str | None = "world total"
    else:
        known = [r["quantity"] for r in records if r["country_kind"] != "world" and r["quantity"] is not None]
        # numpy's sum, as pandas uses, so the total matches to the last bit.
        total = float(np.sum(np.asarray(known, dtype=float))) if known else None
        basis = "sum of reported rows" if total is not None else None
    named = [r for r in records if r["country_kind"] == "country" and r["quantity"] is not None]
    if not total or not named:
        return result, {}
    ranked = sorted(((float(r["quantity"]) / total * 100, r) for r in named), key=lambda x: -x[0])
    shares = [share for share, _r in ranked]
    result.update(
        hhi=hhi(shares), top1_country=str(ranked[0][1]["country_name"]), top1_iso3=ranked[0][1]["iso3"],
        top1_share=float(shares[0]), top3_share=top_n_share(shares, 3), named_share=float(sum(shares)),
        n_countries=len(named), total=total, total_basis=basis,
    )
    return result, {r["iso3"]: share for share, r in ranked}


def governance_concentration(material: str, stage: str, year: int | None = None,
                             engine: Engine | None = None) -> dict[str, Any]:
    """Governance-weighted HHI (0-10) of a material and stage, with its WGI year and coverage."""
    eng = engine or get_engine()
    conc = concentration(material, stage, year, eng)
    out: dict[str, Any] = {"material": material, "stage": stage, "year": conc["year"],
                           "hhi_wgi": None, "wgi_year": None, "wgi_coverage": None}
    if conc["hhi"] is None or conc["commodity"] is None or conc["year"] is None:
        return out
    rows = production_rows(conc["commodity"], conc["year"], eng)
    named, _total, _basis = country_shares(rows)
    shares = dict(zip(named["iso3"], named["share_pct"], strict=True))
    scores, wgi_year = wgi_scores(conc["year"], eng)
    value, covered = governance_weighted_hhi(shares, scores)
    out.update(hhi_wgi=value, wgi_year=wgi_year, wgi_coverage=covered)
    return out
