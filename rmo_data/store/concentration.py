"""Store reads behind the concentration figures: production rows, WGI scores, HHI per material and stage.

The arithmetic (shares, HHI, the governance weighting) is pure and lives in
``rmo_data.analysis.metrics``; this module reads the rows it needs and hands
them over.  ``concentration_overview`` and ``hhi_trend`` are the read queries
the pages call (through ``components.cached``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Engine, and_, func, select

from rmo_data.analysis import metrics
from rmo_data.analysis.metrics import Concentration
from rmo_data.store import schema
from rmo_data.store.engine import get_engine


def primary_commodity(material: str, stage: str, engine: Engine | None = None) -> dict[str, Any] | None:
    """The commodity series used for concentration of a material and stage."""
    eng = engine or get_engine()
    c = schema.commodity
    with eng.connect() as conn:
        row = conn.execute(
            select(c).where(and_(c.c.material == material, c.c.stage == stage, c.c.is_primary))
        ).mappings().first()
    return dict(row) if row else None


def commodity(slug: str, engine: Engine | None = None) -> dict[str, Any] | None:
    """One commodity series by its slug, or None when the slug is unknown."""
    eng = engine or get_engine()
    c = schema.commodity
    with eng.connect() as conn:
        row = conn.execute(select(c).where(c.c.slug == slug)).mappings().first()
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


def concentration(material: str, stage: str, year: int | None = None,
                  engine: Engine | None = None, commodity_slug: str | None = None) -> Concentration:
    """Country concentration of ``material`` at ``stage`` (latest year when ``year`` is None).

    Fields are None when no production is recorded; ``withheld`` lists countries
    whose figure is withheld or not available in that year.  ``commodity_slug``
    picks a series other than the primary one.
    """
    eng = engine or get_engine()
    com = (primary_commodity(material, stage, eng) if commodity_slug is None
           else commodity(commodity_slug, eng))
    if com is None:
        return metrics.empty_concentration(material, stage, None)
    rows = production_rows(com["slug"], engine=eng)
    return metrics.concentration_from_rows(material, stage, com, rows, year)


def wgi_scores(year: int, engine: Engine | None = None) -> tuple[dict[str, float | None], int | None]:
    """WGI risk score per ISO3 for the latest WGI year not after ``year`` (the earliest when none is)."""
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
    return metrics.wgi_scores_from(rows), int(wgi_year)


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
    named, _total, _basis = metrics.country_shares(rows)
    shares = dict(zip(named["iso3"], named["share_pct"], strict=True))
    scores, wgi_year = wgi_scores(conc["year"], eng)
    value, covered = metrics.governance_weighted_hhi(shares, scores)
    out.update(hhi_wgi=value, wgi_year=wgi_year, wgi_coverage=covered)
    return out


def _latest_by_stage(stages: Sequence[str], eng: Engine, materials: Sequence[str] | None = None
                     ) -> list[tuple[Concentration, dict[str, float], dict[str, float | None], int | None,
                                     list[tuple[float, dict[str, Any]]]]]:
    """Per material (display order) and stage: latest concentration, shares by ISO3, WGI scores and year,
    and the named countries' rows with their shares (largest first).

    Three queries for all materials (primary commodities, the rows of each one's
    latest year, the WGI scores of each production year), shared by
    :func:`latest_concentrations` and :func:`stage_shares`.  ``materials`` limits
    it to those materials (a one-material briefing pack need not read the
    production rows of a hundred others); None means every material.
    """
    m, c, p, s = schema.material, schema.commodity, schema.production, schema.source
    wanted = list(stages)
    with eng.connect() as conn:
        names = select(m.c.slug).order_by(m.c.sort_order, m.c.slug)
        primaries = select(c).where(c.c.stage.in_(wanted), c.c.is_primary)
        if materials is not None:
            names = names.where(m.c.slug.in_(list(materials)))
            primaries = primaries.where(c.c.material.in_(list(materials)))
        slugs = [r[0] for r in conn.execute(names)]
        coms: dict[tuple[str, str], dict[str, Any]] = {}
        for row in conn.execute(primaries).mappings():
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
    out = []
    for slug in slugs:
        for stage in wanted:
            com = coms.get((slug, stage))
            records = by_commodity.get(com["slug"], []) if com else []
            conc, shares = metrics.concentration_and_shares(slug, stage, com, records)
            ranked = metrics.ranked_shares(records)[0] if shares else []
            scores: dict[str, float | None] = {}
            wgi_year = None
            if conc["hhi"] is not None and conc["year"] is not None:
                if conc["year"] not in scores_by_year:
                    scores_by_year[conc["year"]] = wgi_scores(conc["year"], eng)
                scores, wgi_year = scores_by_year[conc["year"]]
            out.append((conc, shares, scores, wgi_year, ranked))
    return out


def latest_concentrations(stages: Sequence[str] = ("mining", "processing"),
                          engine: Engine | None = None, materials: Sequence[str] | None = None
                          ) -> list[dict[str, Any]]:
    """Latest concentration and governance-weighted HHI of every material and stage, in three queries.

    Gives, per material of the ``material`` table (display order) and stage, the
    same figures as :func:`concentration` and :func:`governance_concentration`
    with ``year=None``, but reads the primary commodities, the rows of each one's
    latest year and the WGI scores once for all materials instead of several
    queries per material: with a hundred materials the per-material loop takes
    seconds, this stays in tens of milliseconds.

    Returns a list of dicts: the :class:`Concentration` fields plus ``hhi_wgi``,
    ``wgi_year`` and ``wgi_coverage``.  ``materials`` limits it to those (None: every material).
    """
    out: list[dict[str, Any]] = []
    for conc, shares, scores, wgi_year, _ranked in _latest_by_stage(stages, engine or get_engine(), materials):
        gov: dict[str, Any] = {"hhi_wgi": None, "wgi_year": None, "wgi_coverage": None}
        if wgi_year is not None:
            value, covered = metrics.governance_weighted_hhi(shares, scores)
            gov = {"hhi_wgi": value, "wgi_year": wgi_year, "wgi_coverage": covered}
        out.append({**conc, **gov})
    return out


STAGE_SHARE_COLUMNS = ("material", "stage", "commodity_name", "year", "iso3", "country_name", "share_pct",
                       "wgi_score", "wgi_year", "is_estimate", "source_title", "wgi_source")


def stage_shares(stages: Sequence[str] = ("mining", "processing"), engine: Engine | None = None) -> pd.DataFrame:
    """Each producing country's share of the latest year, with its WGI risk score, per material and stage.

    The shares and scores behind :func:`latest_concentrations` (same year, same
    world total, same WGI year), one row per named country with a quantity,
    largest share first within a material and stage; ``wgi_score`` is NaN for a
    country without all six WGI estimates.  The salience of a cell weighs the
    governance of these countries by their shares (``rmo_data.analysis.salience``).
    """
    eng = engine or get_engine()
    g, s = schema.governance_indicator, schema.source
    with eng.connect() as conn:
        wgi_source = conn.execute(select(s.c.title).join(g, g.c.source_id == s.c.id).limit(1)).scalar()
    rows = []
    for conc, _shares, scores, wgi_year, ranked in _latest_by_stage(stages, eng):
        for share, record in ranked:
            iso3 = record["iso3"]
            score = scores.get(iso3) if iso3 else None
            rows.append({"material": conc["material"], "stage": conc["stage"],
                         "commodity_name": conc["commodity_name"], "year": conc["year"], "iso3": iso3,
                         "country_name": record["country_name"], "share_pct": share,
                         "wgi_score": float("nan") if score is None else float(score), "wgi_year": wgi_year,
                         "is_estimate": conc["is_estimate"], "source_title": conc["source_title"],
                         "wgi_source": wgi_source})
    return pd.DataFrame(rows, columns=list(STAGE_SHARE_COLUMNS))


def concentration_overview(stages: Sequence[str] = ("mining", "processing"),
                           engine: Engine | None = None, materials: Sequence[str] | None = None) -> pd.DataFrame:
    """Latest concentration per material and stage (one row each; NaN where no data).

    Every material of the store is included, in display order, so materials added
    after the first ten are compared too.  All of them are computed together
    (:func:`latest_concentrations`), not with queries per material.  ``materials``
    limits it to those (None: every material).
    """
    rows = []
    for conc in latest_concentrations(stages, engine=engine, materials=materials):
        rows.append({**{k: v for k, v in conc.items() if k not in {"withheld", "hhi_wgi", "wgi_year",
                                                                  "wgi_coverage"}},
                     "withheld": ", ".join(conc["withheld"]),
                     "hhi_wgi": conc["hhi_wgi"], "wgi_year": conc["wgi_year"]})
    return pd.DataFrame(rows)


def hhi_trend(material: str, stage: str, engine: Engine | None = None) -> pd.DataFrame:
    """HHI and top-1 share per year of the primary commodity of a material and stage."""
    com = primary_commodity(material, stage, engine)
    if com is None:
        return pd.DataFrame(columns=["year", "hhi", "top1_country", "top1_share", "source"])
    rows = production_rows(com["slug"], engine=engine)
    out = []
    # The rows of every year are read once; each year's figure comes from them, as
    # concentration(material, stage, year) computes it, without a query per year.
    by_year = metrics.records_by_year(rows)
    for year in sorted(by_year):
        conc = metrics.concentration_of_year(material, stage, com, by_year[year])
        if conc["hhi"] is not None:
            out.append({"year": int(year), "hhi": conc["hhi"], "top1_country": conc["top1_country"],
                        "top1_share": conc["top1_share"], "is_estimate": conc["is_estimate"],
                        "source": conc["source_title"]})
    return pd.DataFrame(out, columns=["year", "hhi", "top1_country", "top1_share", "is_estimate", "source"])


def latest_country_shares(material: str | None = None, stages: Sequence[str] = ("mining", "processing"),
                          engine: Engine | None = None) -> pd.DataFrame:
    """Each country's share of world output per material and stage, in the latest year with data.

    The primary commodity of each material and stage, the year :func:`concentration`
    picks and the shares ``metrics.country_shares`` computes, so the figures match
    the concentration shown elsewhere.  Columns: material, stage, commodity, iso3,
    country_name, share_pct, year, is_estimate, source_title, source_publisher.
    ``material`` narrows to one material (all when None).
    """
    eng = engine or get_engine()
    c, s = schema.commodity, schema.source
    columns = ["material", "stage", "commodity", "iso3", "country_name", "share_pct", "year", "is_estimate",
               "source_title", "source_publisher"]
    query = select(c).where(c.c.stage.in_(list(stages)), c.c.is_primary).order_by(c.c.material, c.c.stage)
    if material is not None:
        query = query.where(c.c.material == material)
    with eng.connect() as conn:
        coms = [dict(r) for r in conn.execute(query).mappings()]
        publishers = dict(conn.execute(select(s.c.id, s.c.publisher)).all())
    parts = []
    seen: set[tuple[str, str]] = set()
    for com in coms:
        if (com["material"], com["stage"]) in seen:
            continue  # the first primary commodity, as primary_commodity picks
        seen.add((com["material"], com["stage"]))
        rows = production_rows(com["slug"], engine=eng)
        year = metrics.latest_year(rows) if not rows.empty else None
        if year is None:
            continue
        year_rows = rows[rows["year"] == year]
        named, total, _basis = metrics.country_shares(year_rows)
        if total is None or named.empty:
            continue
        parts.append(pd.DataFrame({
            "material": com["material"], "stage": com["stage"], "commodity": com["slug"],
            "iso3": named["iso3"], "country_name": named["country_name"], "share_pct": named["share_pct"],
            "year": int(year), "is_estimate": named["is_estimate"].astype(bool),
            "source_title": named["source_title"],
            "source_publisher": named["source_id"].map(publishers),
        }))
    if not parts:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in columns})
    return pd.concat(parts, ignore_index=True)[columns]
