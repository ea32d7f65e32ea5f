"""Named read queries for the pages (materials, sources, evidence, stakeholders, leverage, overview).

Concentration reads are in ``rmo_data.store.concentration``, the criteria in
``rmo_data.store.criteria``.

Each function takes an optional ``engine`` and returns a pandas DataFrame (or a
dict for one record).  Filters are bound parameters built with SQLAlchemy, so
the same code runs on SQLite and PostgreSQL and user text never becomes SQL.
Lists held in link tables (stages, targets, risks, organisations) are joined
in pandas rather than with database-specific string aggregation.

Long because: the evidence reads (rows, cube, totals, places, provenance) share one filter
builder and one "a passage counts once" rule, and splitting them would split those.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Engine, Select, case, func, or_, select

from rmo_data import constants
from rmo_data.analysis import evidence_rollups
from rmo_data.store import concentration, schema
from rmo_data.store.engine import get_engine

S = schema


def read_frame(query: Select[Any], engine: Engine | None) -> pd.DataFrame:
    """The rows of ``query`` as a DataFrame (the default engine when ``engine`` is None)."""
    eng = engine or get_engine()
    with eng.connect() as conn:
        result = conn.execute(query)
        # Plain tuples: pandas builds a frame from SQLAlchemy Row objects (or mappings)
        # about ten times slower than from tuples, which matters from a few thousand rows.
        return pd.DataFrame.from_records([tuple(row) for row in result.all()], columns=list(result.keys()))


_frame = read_frame  # the short name every query below uses


def _lists(link: Any, key: str, value: str, engine: Engine | None,
           keys: Sequence[Any] | None = None) -> dict[Any, list[str]]:
    """Map each key of a link table to its list of values, in insertion order.

    With ``keys``, only the rows of those keys are read (a filtered page needs
    the lists of its own rows, not of every row of a large store).
    """
    query = select(link.c[key], link.c[value])
    if keys is not None:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        if len(wanted) <= 500:  # a bounded IN list; beyond that reading the table is as quick
            query = query.where(link.c[key].in_(wanted))
    frame = _frame(query, engine)
    out: dict[Any, list[str]] = {}
    for k, v in zip(frame[key].tolist(), frame[value].tolist(), strict=True):
        out.setdefault(k, []).append(v)
    return out


def build_info(engine: Engine | None = None) -> dict[str, str]:
    """Key/value facts about the last build (finished_at, counts)."""
    frame = _frame(select(S.build_info), engine)
    return dict(zip(frame["key"], frame["value"], strict=True)) if not frame.empty else {}


def sources(engine: Engine | None = None) -> pd.DataFrame:
    """Every source with publisher, year, licence, URL and what it feeds."""
    return _frame(select(S.source).order_by(S.source.c.kind, S.source.c.id), engine)


def countries(engine: Engine | None = None) -> pd.DataFrame:
    """ISO countries with their numeric code (used to draw maps)."""
    return _frame(select(S.country).order_by(S.country.c.name), engine)


def materials(engine: Engine | None = None) -> pd.DataFrame:
    """The materials in display order."""
    return _frame(select(S.material).order_by(S.material.c.sort_order), engine)


def material(slug: str, engine: Engine | None = None) -> dict[str, Any] | None:
    """One material as a dict, or None when the slug is unknown."""
    frame = _frame(select(S.material).where(S.material.c.slug == slug), engine)
    return frame.iloc[0].to_dict() if not frame.empty else None


def material_links(slug: str, engine: Engine | None = None) -> pd.DataFrame:
    """Co-/by-product and input links of a material."""
    return _frame(select(S.material_link).where(S.material_link.c.material == slug), engine)


def all_material_links(engine: Engine | None = None) -> pd.DataFrame:
    """Every co-/by-product and input link of every material."""
    ml = S.material_link
    return _frame(select(ml).order_by(ml.c.material, ml.c.id), engine)


def end_use_shares(material: str | None = None, engine: Engine | None = None) -> pd.DataFrame:
    """End-use shares with their source title and year."""
    e, s = S.end_use_share, S.source
    query = (select(e, s.c.title.label("source_title"), s.c.publisher.label("source_publisher"))
             .join(s, s.c.id == e.c.source_id).order_by(e.c.material, e.c.basis, e.c.share_pct.desc()))
    if material:
        query = query.where(e.c.material == material)
    return _frame(query, engine)


def automotive_shares(engine: Engine | None = None) -> pd.DataFrame:
    """One automotive-share figure per material, preferring global report figures.

    Materials without any automotive figure are present with ``share_pct`` NaN
    so that pages can say "no data recorded" instead of showing zero.
    """
    shares = end_use_shares(engine=engine)
    shares = shares[shares["is_automotive"].astype(bool)].copy()
    # Global figures before US ones; among equals the larger basis (first listed) wins.
    shares["rank"] = (shares["scope"] != "global").astype(int)
    best = shares.sort_values(["material", "rank"]).groupby("material").head(1)
    mats = materials(engine)[["slug", "name", "sort_order"]].rename(columns={"slug": "material"})
    return mats.merge(best.drop(columns=["rank"]), on="material", how="left")


def commodities(material: str | None = None, engine: Engine | None = None) -> pd.DataFrame:
    """Commodity series (one per material, stage and measure)."""
    query = select(S.commodity).order_by(S.commodity.c.material, S.commodity.c.stage)
    if material:
        query = query.where(S.commodity.c.material == material)
    return _frame(query, engine)


def production(material: str, stage: str | None = None, engine: Engine | None = None) -> pd.DataFrame:
    """Production rows of a material with commodity name and source title."""
    p, c, s = S.production, S.commodity, S.source
    query = (select(p, c.c.name.label("commodity_name"), c.c.is_primary,
                    s.c.title.label("source_title"))
             .join(c, c.c.slug == p.c.commodity).join(s, s.c.id == p.c.source_id)
             .where(p.c.material == material)
             .order_by(p.c.commodity, p.c.year, p.c.quantity.desc()))
    if stage:
        query = query.where(p.c.stage == stage)
    return _frame(query, engine)


def concentration_statements(material: str | None = None, engine: Engine | None = None) -> pd.DataFrame:
    """Concentration statements from the report, with the year each rests on and the country it names."""
    query = select(S.concentration_statement).order_by(S.concentration_statement.c.id)
    if material:
        query = query.where(S.concentration_statement.c.material == material)
    return _frame(query, engine)


def companies(material: str | None = None, engine: Engine | None = None) -> pd.DataFrame:
    """Companies named by the report, with their stages as a list."""
    query = select(S.company).order_by(S.company.c.material, S.company.c.name)
    if material:
        query = query.where(S.company.c.material == material)
    frame = _frame(query, engine)
    stages = _lists(S.company_stage, "company_id", "stage", engine, keys=frame["id"].tolist())
    frame["stages"] = [stages.get(i, []) for i in frame["id"]] if not frame.empty else []
    return frame


def salient_risks(material: str | None = None, include_cross: bool = False,
                  engine: Engine | None = None) -> pd.DataFrame:
    """Salient risks (of a material, optionally with the cross-cutting ones) with stage lists."""
    r, rc = S.salient_risk, S.risk_category
    query = (select(r, rc.c.name.label("category_name"), rc.c.pillar)
             .join(rc, rc.c.slug == r.c.category).order_by(rc.c.sort_order))
    if material:
        cond = r.c.material == material
        query = query.where(or_(cond, r.c.material.is_(None)) if include_cross else cond)
    frame = _frame(query, engine)
    stages = _lists(S.salient_risk_stage, "risk_id", "stage", engine, keys=frame["id"].tolist())
    frame["stages"] = [stages.get(i, []) for i in frame["id"]] if not frame.empty else []
    return frame


def _matches(text: str, *columns: Any) -> Any:
    """Case-insensitive plain-text search of ``text`` in any of ``columns`` (a bound parameter).

    Search boxes mean plain text: ``%`` and ``_`` are escaped (``autoescape``)
    so they match themselves, not "anything"; NULL columns count as empty.
    """
    needle = text.strip().lower()
    return or_(*(func.lower(func.coalesce(col, "")).contains(needle, autoescape=True) for col in columns))


def _evidence_filtered(query: Select[Any], materials: Sequence[str] = (), stages: Sequence[str] = (),
                       categories: Sequence[str] = (), countries: Sequence[str] = (),
                       companies: Sequence[str] = (), min_severity: int = 1, text: str = "",
                       iso3: Sequence[str] = ()) -> Select[Any]:
    """Add the evidence filters to ``query`` (empty = no filter); shared by rows and aggregates."""
    ev = S.risk_evidence
    if min_severity > 1:
        # Every severity is at least 1 (a CHECK constraint), so the default adds no
        # condition, which would otherwise steer the planner to the severity index.
        query = query.where(ev.c.severity >= min_severity)
    if materials:
        query = query.where(ev.c.material.in_(list(materials)))
    if stages:
        query = query.where(ev.c.stage.in_(list(stages)))
    if categories:
        query = query.where(ev.c.category.in_(list(categories)))
    if countries:
        query = query.where(ev.c.country_name.in_(list(countries)))
    if companies:
        query = query.where(ev.c.company.in_(list(companies)))
    if iso3:
        query = query.where(ev.c.iso3.in_(list(iso3)))
    if text.strip():
        query = query.where(_matches(text, ev.c.summary, ev.c.site, ev.c.company, ev.c.country_name))
    return query


def evidence(materials: Sequence[str] = (), stages: Sequence[str] = (),
             categories: Sequence[str] = (), countries: Sequence[str] = (),
             companies: Sequence[str] = (), min_severity: int = 1,
             text: str = "", iso3: Sequence[str] = (), limit: int | None = None, offset: int = 0,
             engine: Engine | None = None) -> pd.DataFrame:
    """Risk evidence filtered by any combination of the arguments (empty = no filter).

    ``iso3`` matches countries by code, for callers whose country names come
    from another source (USGS writes "Burma", the evidence "Myanmar").  Rows come
    most severe first; ``limit`` and ``offset`` return one page of them, so a page
    never has to hold every case of a large store.
    """
    ev, rc, src = S.risk_evidence, S.risk_category, S.source
    order = (ev.c.severity.desc(), ev.c.material, ev.c.id)
    query = (select(ev, rc.c.name.label("category_name"), rc.c.pillar,
                    src.c.title.label("source_title"), src.c.url.label("source_url"))
             .join(rc, rc.c.slug == ev.c.category).join(src, src.c.id == ev.c.source_id)
             .order_by(*order))
    filters = (materials, stages, categories, countries, companies, min_severity, text, iso3)
    if limit is None:
        return _frame(_evidence_filtered(query, *filters), engine)
    # Pick the page's ids from an index first (the filter and sort columns are all in
    # one), then read only those rows: sorting every matching row, summaries and all,
    # to keep a hundred of them is what makes a page slow on a large store.
    page = (_evidence_filtered(select(ev.c.id), *filters).order_by(*order)
            .limit(limit).offset(offset))
    return _frame(query.where(ev.c.id.in_(page.scalar_subquery())), engine)


def _once() -> Any:
    """SQL count of a group's cases with each shared passage counted once (NULL passage = its own).

    Reads only the passage column, which ends every covering evidence index.
    """
    ev = S.risk_evidence
    return (func.count(ev.c.passage.distinct())
            + func.coalesce(func.sum(case((ev.c.passage.is_(None), 1), else_=0)), 0))


def evidence_cube(engine: Engine | None = None, **filters: Any) -> pd.DataFrame:
    """Evidence count (``n``) per material, stage, category, severity and passage, with :func:`evidence`'s filters.

    ``passage`` is NULL for the cases that share no passage with another, so
    the cube stays small for any store (at most materials × 6 stages × 16
    categories × 5 severities, plus one row per shared passage's cell) and holds
    enough for the heat map, the severity bars, the flows and the headline
    counts, which ``rmo_data.analysis.evidence_rollups`` rolls up from it
    counting a shared passage once.
    """
    ev = S.risk_evidence
    query = (select(ev.c.material, ev.c.stage, ev.c.category, ev.c.severity, ev.c.passage,
                    func.count().label("n"))
             .group_by(ev.c.material, ev.c.stage, ev.c.category, ev.c.severity, ev.c.passage)
             .order_by(ev.c.material, ev.c.stage, ev.c.category, ev.c.severity, ev.c.passage.nulls_first()))
    return _frame(_evidence_filtered(query, **filters), engine)


def evidence_totals(engine: Engine | None = None, **filters: Any) -> dict[str, int]:
    """``cases`` (a shared passage once) and ``rows`` (every stored case) with :func:`evidence`'s filters.

    Pages count cases once per passage and page through rows.
    """
    ev = S.risk_evidence
    query = _evidence_filtered(select(_once().label("cases"), func.count().label("rows")).select_from(ev),
                               **filters)
    frame = _frame(query, engine)
    if frame.empty:
        return {"cases": 0, "rows": 0}
    return {"cases": int(frame["cases"].iloc[0] or 0), "rows": int(frame["rows"].iloc[0] or 0)}


def evidence_places(engine: Engine | None = None, **filters: Any) -> pd.DataFrame:
    """Evidence count (``n``, a shared passage once) per ISO3 code and country name, NULLs included.

    Takes :func:`evidence`'s filters.
    """
    ev = S.risk_evidence
    query = (select(ev.c.iso3, ev.c.country_name, _once().label("n"))
             .group_by(ev.c.iso3, ev.c.country_name)
             # Unplaced cases (no ISO3) first on every database, as places_from sorts them.
             .order_by(ev.c.iso3.nulls_first(), ev.c.country_name.nulls_first()))
    return _frame(_evidence_filtered(query, **filters), engine)


def evidence_summary_from(cube: pd.DataFrame, places: pd.DataFrame) -> dict[str, int]:
    """Headline counts from :func:`evidence_cube` and :func:`evidence_places` of the same filters (pure).

    Keys: ``cases`` (a shared passage once), ``rows`` (every stored case, for
    paging), ``materials``, ``countries`` (distinct names), ``severe`` (cases of
    severity 4-5, a passage at its highest severity) and ``unplaced`` (no ISO3
    code, so not on a map).
    """
    if cube.empty:
        return {"cases": 0, "rows": 0, "materials": 0, "countries": 0, "severe": 0, "unplaced": 0}
    ranked = evidence_rollups.passage_severity(cube)
    return {
        "cases": evidence_rollups.total_once(cube),
        "rows": int(cube["n"].sum()),
        "materials": int(cube["material"].nunique()),
        "countries": int(places["country_name"].dropna().nunique()),
        "severe": evidence_rollups.total_once(ranked[ranked["severity"] >= 4]),
        "unplaced": int(places.loc[places["iso3"].isna(), "n"].sum()),
    }


def evidence_summary(engine: Engine | None = None, **filters: Any) -> dict[str, int]:
    """Headline counts of the evidence that :func:`evidence` returns with the same filters."""
    return evidence_summary_from(evidence_cube(engine, **filters), evidence_places(engine, **filters))


def evidence_provenance(engine: Engine | None = None, **filters: Any) -> pd.DataFrame:
    """Evidence count (``n``, a shared passage once) per source title and year (NaN = not stated), most first.

    What a figure's source line needs (titles, years and how many cases state a
    year) without the rows themselves.
    """
    ev, src = S.risk_evidence, S.source
    # Count per source id in the index's order first, then name the few groups.
    counted = _evidence_filtered(select(ev.c.source_id, ev.c.year, _once().label("n"))
                                 .group_by(ev.c.source_id, ev.c.year), **filters).subquery()
    query = (select(src.c.title.label("source_title"), counted.c.year, counted.c.n)
             .join(src, src.c.id == counted.c.source_id)
             .order_by(counted.c.n.desc(), src.c.title, counted.c.year))
    return _frame(query, engine)


def evidence_where(engine: Engine | None = None, **filters: Any) -> pd.DataFrame:
    """Evidence count (``n``) per ISO3 code, country name, source title, year and passage, NULLs included.

    Where the cases are and where they come from in one pass over an index:
    :func:`places_from` and :func:`provenance_from` roll it up for the map and
    for the source lines, counting a shared passage once (``passage`` NULL =
    cases of their own passages).  Takes the filters of :func:`evidence`.
    """
    ev, src = S.risk_evidence, S.source
    counted = _evidence_filtered(select(ev.c.iso3, ev.c.country_name, ev.c.source_id, ev.c.year, ev.c.passage,
                                        func.count().label("n"))
                                 .group_by(ev.c.iso3, ev.c.country_name, ev.c.source_id, ev.c.year,
                                           ev.c.passage),
                                 **filters).subquery()
    query = (select(counted.c.iso3, counted.c.country_name, src.c.title.label("source_title"),
                    counted.c.year, counted.c.passage, counted.c.n)
             .join(src, src.c.id == counted.c.source_id)
             .order_by(counted.c.iso3.nulls_first(), counted.c.country_name.nulls_first(), src.c.title,
                       counted.c.year.nulls_first(), counted.c.passage.nulls_first()))
    return _frame(query, engine)


def places_from(where: pd.DataFrame) -> pd.DataFrame:
    """:func:`evidence_places` from :func:`evidence_where` of the same filters (pure)."""
    if where.empty:
        return pd.DataFrame({"iso3": pd.Series(dtype=object), "country_name": pd.Series(dtype=object),
                             "n": pd.Series(dtype="int64")})
    return (evidence_rollups.count_once(where, ["iso3", "country_name"]).reset_index()
            .sort_values(["iso3", "country_name"], na_position="first").reset_index(drop=True))


def provenance_from(where: pd.DataFrame) -> pd.DataFrame:
    """:func:`evidence_provenance` from :func:`evidence_where` of the same filters (pure)."""
    if where.empty:
        return pd.DataFrame({"source_title": pd.Series(dtype=object), "year": pd.Series(dtype=float),
                             "n": pd.Series(dtype="int64")})
    out = evidence_rollups.count_once(where, ["source_title", "year"]).reset_index()
    return out.sort_values(["n", "source_title", "year"], ascending=[False, True, True],
                           na_position="first").reset_index(drop=True)


def evidence_options(engine: Engine | None = None) -> dict[str, list[str]]:
    """Distinct countries and companies in the evidence, for filter widgets."""
    ev = S.risk_evidence
    countries = _frame(select(ev.c.country_name).distinct().where(ev.c.country_name.is_not(None))
                       .order_by(ev.c.country_name), engine)
    comps = _frame(select(ev.c.company).distinct().where(ev.c.company.is_not(None))
                   .order_by(ev.c.company), engine)
    return {"countries": countries["country_name"].tolist(), "companies": comps["company"].tolist()}


def organisations(materials: Sequence[str] = (), types: Sequence[str] = (), text: str = "",
                  engine: Engine | None = None) -> pd.DataFrame:
    """Organisations with their material list and the number of leverages naming them."""
    o, om, lo = S.organisation, S.organisation_material, S.leverage_organisation
    counts = (select(lo.c.organisation, func.count().label("n_leverages"))
              .group_by(lo.c.organisation).subquery())
    query = (select(o, func.coalesce(counts.c.n_leverages, 0).label("n_leverages"))
             .outerjoin(counts, counts.c.organisation == o.c.slug).order_by(o.c.name))
    if types:
        query = query.where(o.c.type.in_(list(types)))
    if materials:
        query = query.where(o.c.slug.in_(
            select(om.c.organisation).where(om.c.material.in_(list(materials)))))
    if text.strip():
        query = query.where(_matches(text, o.c.name, o.c.acronym, o.c.description))
    frame = _frame(query, engine)
    mats = _lists(om, "organisation", "material", engine, keys=frame["slug"].tolist())
    frame["materials"] = [mats.get(s, []) for s in frame["slug"]] if not frame.empty else []
    return frame


def organisation_material_matrix(materials: Sequence[str] = (), types: Sequence[str] = (), text: str = "",
                                 engine: Engine | None = None) -> pd.DataFrame:
    """Long table of (organisation, material, type) pairs for a matrix view.

    Takes the filters of :func:`organisations`, and keeps only the pairs of
    ``materials`` (empty = every material): the pairs of the organisations that
    the same filters list, for the materials in view.
    """
    o, om = S.organisation, S.organisation_material
    query = (select(o.c.slug, o.c.name, o.c.acronym, o.c.type, om.c.material)
             .join(om, om.c.organisation == o.c.slug))
    if types:
        query = query.where(o.c.type.in_(list(types)))
    if materials:
        query = query.where(om.c.material.in_(list(materials)))
    if text.strip():
        query = query.where(_matches(text, o.c.name, o.c.acronym, o.c.description))
    return _frame(query.order_by(o.c.slug, om.c.material), engine)


def _where_leverages(query: Select[Any], materials: Sequence[str] = (), include_cross: bool = True,
                     categories: Sequence[str] = (), actors: Sequence[str] = (),
                     targets: Sequence[str] = (), stages: Sequence[str] = (),
                     risks: Sequence[str] = (), organisations: Sequence[str] = (),
                     text: str = "") -> Select[Any]:
    """``query`` on the leverage table with the conditions of :func:`leverages`' filters."""
    lv = S.leverage
    if materials:
        cond = lv.c.material.in_(list(materials))
        query = query.where(or_(cond, lv.c.material.is_(None)) if include_cross else cond)
    elif not include_cross:
        query = query.where(lv.c.material.is_not(None))
    if categories:
        query = query.where(lv.c.category.in_(list(categories)))
    if actors:
        query = query.where(lv.c.actor.in_(list(actors)))
    for link, column, values in ((S.leverage_target, "target", targets),
                                 (S.leverage_stage, "stage", stages),
                                 (S.leverage_risk, "category", risks),
                                 (S.leverage_organisation, "organisation", organisations)):
        if values:
            query = query.where(lv.c.id.in_(
                select(link.c.leverage_id).where(link.c[column].in_(list(values)))))
    if text.strip():
        query = query.where(_matches(text, lv.c.title, lv.c.action))
    return query


def leverages(materials: Sequence[str] = (), include_cross: bool = True,
              categories: Sequence[str] = (), actors: Sequence[str] = (),
              targets: Sequence[str] = (), stages: Sequence[str] = (),
              risks: Sequence[str] = (), organisations: Sequence[str] = (),
              text: str = "", engine: Engine | None = None) -> pd.DataFrame:
    """Leverage cards filtered by any combination of the arguments (empty = no filter).

    ``materials`` limits to those materials; cross-material cards are added when
    ``include_cross`` is true.  List columns: targets, stages, risks, organisations.
    """
    lv, src = S.leverage, S.source
    query = _where_leverages(select(lv, src.c.title.label("source_title"))
                             .join(src, src.c.id == lv.c.source_id).order_by(lv.c.id),
                             materials, include_cross, categories, actors, targets, stages, risks,
                             organisations, text)
    frame = _frame(query, engine)
    for name, link, column in (("targets", S.leverage_target, "target"),
                               ("stages", S.leverage_stage, "stage"),
                               ("risks", S.leverage_risk, "category"),
                               ("organisations", S.leverage_organisation, "organisation")):
        lists = _lists(link, "leverage_id", column, engine, keys=frame["id"].tolist())
        frame[name] = [lists.get(i, []) for i in frame["id"]] if not frame.empty else []
    return frame


def evidence_severity_counts(engine: Engine | None = None) -> pd.DataFrame:
    """Evidence cases (``n``) per material, severity, source title and year (NaN = not stated).

    The prioritisation needs the most severe cases of each material and the
    sources behind them, not the rows: counted in SQL, this stays small for any
    store.  A shared passage is one case at its highest severity, so one
    sentence of the report split into six rows cannot fill the "top three".
    """
    ev, src = S.risk_evidence, S.source
    counted = _frame(select(ev.c.material, ev.c.passage, ev.c.severity, src.c.title.label("source_title"),
                            ev.c.year, func.count().label("n"))
                     .join(src, src.c.id == ev.c.source_id)
                     .group_by(ev.c.material, ev.c.passage, ev.c.severity, src.c.title, ev.c.year), engine)
    once = evidence_rollups.one_per_passage(counted)
    out = (once.groupby(["material", "severity", "source_title", "year"], dropna=False, as_index=False)["n"]
           .sum())
    out["n"] = out["n"].astype("int64")
    return out.sort_values(["material", "severity"], ascending=[True, False], kind="stable").reset_index(drop=True)


def _scoped(scopes: Sequence[str]) -> tuple[list[str], bool, bool]:
    """A scope choice (material slugs and/or ``constants.CROSS_MATERIAL``; empty = every card) as
    :func:`leverages`' ``materials`` and ``include_cross``, and whether only cross-material cards count."""
    chosen = list(dict.fromkeys(scopes))
    mats = [s for s in chosen if s != constants.CROSS_MATERIAL]
    if mats:
        return mats, constants.CROSS_MATERIAL in chosen, False
    return [], True, bool(chosen)


def leverage_cards(scopes: Sequence[str] = (), **filters: Any) -> pd.DataFrame:
    """Leverage cards for a material choice that may include the cross-material slug.

    ``scopes`` holds material slugs and/or ``constants.CROSS_MATERIAL``; empty
    means every card.  Other keyword arguments go to :func:`leverages`.
    """
    mats, include_cross, cross_only = _scoped(scopes)
    frame = leverages(materials=mats, include_cross=include_cross, **filters)
    if cross_only:  # every card was read; keep those without a material
        frame = frame[frame["material"].isna()].reset_index(drop=True)
    return frame


def leverage_card_counts(by: str, scopes: Sequence[str] = (), engine: Engine | None = None,
                         **filters: Any) -> dict[str, int]:
    """How many of :func:`leverage_cards`' cards fall in each category (``by="category"``) or scope
    (``by="scope"``: a material, or ``constants.CROSS_MATERIAL`` for a card without one).

    Counted in SQL: the Leverage cards page's browsing pills name these counts, and reading
    every card with its lists to count them took 80 ms on a store of 2,000 cards.
    """
    lv = S.leverage
    column = {"category": lv.c.category, "scope": lv.c.material}[by]
    mats, include_cross, cross_only = _scoped(scopes)
    query = _where_leverages(select(column.label("key"), func.count().label("n")).select_from(lv),
                             materials=mats, include_cross=include_cross, **filters)
    if cross_only:
        query = query.where(lv.c.material.is_(None))
    counted = _frame(query.group_by(column), engine)
    return {(constants.CROSS_MATERIAL if k is None or k != k else str(k)): int(n)
            for k, n in zip(counted["key"], counted["n"], strict=True)}


def other_sectors(material: str | None = None, engine: Engine | None = None) -> pd.DataFrame:
    """Other sectors to engage per material."""
    query = select(S.other_sector).order_by(S.other_sector.c.material, S.other_sector.c.sector)
    if material:
        query = query.where(S.other_sector.c.material == material)
    return _frame(query, engine)


def eu_crm(engine: Engine | None = None) -> pd.DataFrame:
    """EU 2023 criticality figures per material (primary rows first)."""
    return _frame(select(S.eu_crm).order_by(S.eu_crm.c.material, S.eu_crm.c.is_primary.desc()), engine)


def overview(engine: Engine | None = None, materials: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per material with the comparison the overview page shows.

    Columns: material, name, automotive share (with basis, scope, year, source),
    mining and processing HHI / top country / top share / year, governance-
    weighted HHI, salient-risk breadth, evidence count and mean/max severity,
    leverage count, EU supply risk.  Missing values stay NaN.  ``materials``
    limits the rows, and the reads behind them, to those materials (a
    one-material briefing pack); None gives every material.
    """
    auto = automotive_shares(engine)[["material", "name", "sort_order", "share_pct", "basis",
                                      "scope", "year", "source_title", "sector"]]
    auto = auto.rename(columns={"share_pct": "auto_share_pct", "basis": "auto_basis",
                                "scope": "auto_scope", "year": "auto_year",
                                "source_title": "auto_source", "sector": "auto_sector"})
    if materials is not None:
        auto = auto[auto["material"].isin(list(materials))]
    conc = concentration.concentration_overview(engine=engine, materials=materials)
    wide = auto
    for stage in ("mining", "processing"):
        part = conc[conc["stage"] == stage][
            ["material", "hhi", "top1_country", "top1_share", "top3_share", "year",
             "source_title", "hhi_wgi", "commodity_name", "unit"]]
        wide = wide.merge(part.add_prefix(f"{stage}_").rename(columns={f"{stage}_material": "material"}),
                          on="material", how="left")
    # Counts in SQL: reading every evidence row to count them costs seconds on a large store.
    sr, ev = S.salient_risk, S.risk_evidence
    chosen = list(materials) if materials is not None else None
    breadth = _frame(select(sr.c.material, func.count(sr.c.category.distinct()).label("risk_breadth"))
                     .where(sr.c.material.is_not(None) if chosen is None else sr.c.material.in_(chosen))
                     .group_by(sr.c.material), engine
                     ).set_index("material")["risk_breadth"]
    # Cases per material, severity and passage from the covering index; a shared passage then
    # counts once, at its highest severity, in the count and the mean.
    cases = select(ev.c.material, ev.c.passage, ev.c.severity, func.count().label("n"))
    if chosen is not None:
        cases = cases.where(ev.c.material.in_(chosen))
    per_passage = evidence_rollups.one_per_passage(_frame(
        cases.group_by(ev.c.material, ev.c.passage, ev.c.severity), engine))
    ev_stats = evidence_rollups.material_stats(per_passage)
    lev = _frame(select(S.leverage.c.material, func.count().label("leverage_count"))
                 .where(S.leverage.c.material.is_not(None) if chosen is None else S.leverage.c.material.in_(chosen))
                 .group_by(S.leverage.c.material), engine)
    crm = eu_crm(engine)
    crm = crm[crm["is_primary"].astype(bool)].groupby("material").first()[["supply_risk", "eol_rir_pct"]]
    wide = (wide.merge(breadth, left_on="material", right_index=True, how="left")
            .merge(ev_stats, left_on="material", right_index=True, how="left")
            .merge(lev, on="material", how="left")
            .merge(crm, left_on="material", right_index=True, how="left"))
    for col in ("risk_breadth", "evidence_count", "leverage_count"):
        wide[col] = wide[col].fillna(0).astype(int)  # a count of nothing is 0, not missing
    return wide.sort_values("sort_order").reset_index(drop=True)


def standards_coverage(engine: Engine | None = None) -> pd.DataFrame:
    """Per material: number of linked organisations and whether a material-specific standard exists."""
    o, om = S.organisation, S.organisation_material
    frame = _frame(select(om.c.material, o.c.is_material_standard)
                   .join(o, o.c.slug == om.c.organisation), engine)
    out = frame.groupby("material").agg(n_organisations=("is_material_standard", "size"),
                                        has_material_standard=("is_material_standard", "max"))
    mats = materials(engine)[["slug"]].rename(columns={"slug": "material"})
    out = mats.merge(out, left_on="material", right_index=True, how="left")
    out["n_organisations"] = out["n_organisations"].fillna(0).astype(int)
    out["has_material_standard"] = out["has_material_standard"].fillna(False).astype(bool)
    return out


def evidence_counts(engine: Engine | None = None, **filters: Any) -> pd.DataFrame:
    """Evidence count (``n``, a shared passage once) and highest severity by material, stage and category.

    For heat maps and the value chain; ``rows`` is every stored case of the cell.
    Sums of ``n`` over cells count a passage that spans cells in each of them: use
    :func:`evidence_totals` for a total.  Takes the filters of :func:`evidence`.
    """
    ev = S.risk_evidence
    query = (select(ev.c.material, ev.c.stage, ev.c.category,
                    _once().label("n"), func.max(ev.c.severity).label("max_severity"),
                    func.count().label("rows"))
             .group_by(ev.c.material, ev.c.stage, ev.c.category)
             .order_by(ev.c.material, ev.c.stage, ev.c.category))
    return _frame(_evidence_filtered(query, **filters), engine)


def source_usage(engine: Engine | None = None) -> pd.DataFrame:
    """How many stored rows cite each source, per table."""
    frames = []
    for table in (S.material, S.end_use_share, S.production, S.concentration_statement, S.company,
                  S.salient_risk, S.risk_evidence, S.organisation, S.leverage, S.other_sector,
                  S.governance_indicator, S.eu_crm, S.material_fact, S.report_theme, S.regulatory_listing):
        part = _frame(select(table.c.source_id, func.count().label("rows"))
                      .group_by(table.c.source_id), engine)
        part["table"] = table.name
        frames.append(part)
    return pd.concat(frames, ignore_index=True)


def coverage_gaps(engine: Engine | None = None) -> pd.DataFrame:
    """Per material and stage (mining, processing): years with country data and withheld counts."""
    p = S.production
    # COUNT(quantity) skips NULLs, so rows - with_value = withheld or unavailable figures.
    frame = _frame(select(p.c.material, p.c.stage, p.c.year,
                          func.count().label("rows"),
                          func.count(p.c.quantity).label("with_value"))
                   .where(p.c.country_kind == "country")
                   .group_by(p.c.material, p.c.stage, p.c.year), engine)
    # Every material of the store (not only the report's ten), in display order.
    grid = pd.MultiIndex.from_product([materials(engine)["slug"].tolist(), ("mining", "processing")],
                                      names=["material", "stage"]).to_frame(index=False)
    if frame.empty:
        return grid.assign(years="", withheld=0)
    frame["withheld"] = frame["rows"] - frame["with_value"]
    summary = frame.groupby(["material", "stage"]).agg(
        years=("year", lambda ys: ", ".join(str(int(y)) for y in sorted(ys))),
        withheld=("withheld", "sum")).reset_index()
    out = grid.merge(summary, on=["material", "stage"], how="left")
    out["years"] = out["years"].fillna("")
    out["withheld"] = out["withheld"].fillna(0).astype(int)
    return out
