"""Read queries for the report's figures, themes and the EU lists (material_fact, report_theme, regulatory_listing).

Like ``rmo_data.store.queries``: each function takes an optional ``engine`` and
returns a pandas DataFrame with the source's title and year joined, so a page
can name where every row comes from.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, or_, select

from rmo_data.analysis import regulatory
from rmo_data.store import schema
from rmo_data.store.queries import read_frame

S = schema


def material_facts(material: str | None = None, include_cross: bool = False,
                   engine: Engine | None = None) -> pd.DataFrame:
    """Figures the report states in its text, with source title and year, in file order.

    ``material`` narrows to one material (cross-material facts added with
    ``include_cross``); None returns every fact.  Missing values stay NaN.
    """
    f, s = S.material_fact, S.source
    query = (select(f, s.c.title.label("source_title"), s.c.year.label("source_year"))
             .join(s, s.c.id == f.c.source_id).order_by(f.c.id))
    if material:
        cond = f.c.material == material
        query = query.where(or_(cond, f.c.material.is_(None)) if include_cross else cond)
    return read_frame(query, engine)


def report_themes(kind: str | None = None, engine: Engine | None = None) -> pd.DataFrame:
    """The report's summary recommendations and cross-cutting points, in the report's order."""
    t, s = S.report_theme, S.source
    query = (select(t, s.c.title.label("source_title"), s.c.year.label("source_year"))
             .join(s, s.c.id == t.c.source_id).order_by(t.c.sort_order))
    if kind:
        query = query.where(t.c.kind == kind)
    return read_frame(query, engine)


def regulatory_listings(material: str | None = None, regulation: str | None = None,
                        engine: Engine | None = None) -> pd.DataFrame:
    """Materials' entries in EU lists (``constants.REGULATIONS``) with the regulation's title, year and URL."""
    r, s = S.regulatory_listing, S.source
    query = (select(r, s.c.title.label("source_title"), s.c.year.label("source_year"),
                    s.c.url.label("source_url"))
             .join(s, s.c.id == r.c.source_id).order_by(r.c.regulation, r.c.material))
    if material:
        query = query.where(r.c.material == material)
    if regulation:
        query = query.where(r.c.regulation == regulation)
    return read_frame(query, engine)


def regulatory_lists(engine: Engine | None = None) -> pd.DataFrame:
    """Every material on each list of ``constants.REGULATORY_LISTS`` (``regulatory.material_lists``).

    The two EU regulations' entries come from ``regulatory_listing``; the 2023
    criticality thresholds are read on the store's EU CRM figures.  Each row
    names its source, year and link.
    """
    c, s = S.eu_crm, S.source
    crm = read_frame(select(c.c.material, c.c.eu_name, c.c.supply_risk, c.c.economic_importance, c.c.is_primary,
                            s.c.title.label("source_title"), s.c.year.label("source_year"),
                            s.c.url.label("source_url"))
                     .join(s, s.c.id == c.c.source_id).order_by(c.c.material), engine)
    return regulatory.material_lists(regulatory_listings(engine=engine), crm)
