"""Store reads behind salience: the evidence cases' ratings, and every cell scored from stored rows.

Salience needs no table of its own: ``salience_table`` reads the cases
(:func:`salience_cases`), the report's salient risks (``queries.salient_risks``)
and each stage's producing countries with their WGI scores
(``concentration.stage_shares``), and hands them to the pure
``rmo_data.analysis.salience.salience_cells``.  Pages keep the result per store
(``components.cached.salience``).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, select

from rmo_data.analysis import salience
from rmo_data.store import concentration, queries, schema
from rmo_data.store.engine import get_engine

# Only what a cell's inputs name: a store of 200 000 cases reads in a second, not four.
BASE_CASE_COLUMNS = ("id", "material", "stage", "category", "country_name", "year", "scale", "scope",
                     "irremediability")


def salience_cases(engine: Engine | None = None) -> pd.DataFrame:
    """Every evidence case's ratings and provenance (no summaries), in no particular order.

    The optional columns of ``salience.OPTIONAL_CASE_COLUMNS`` (``confidence``,
    ``passage``) are read when the ``risk_evidence`` table has them, so a store
    that gains them is used without a change here; without them the frame has
    no such column and the analysis takes each row as its own passage with
    its confidence not recorded.  The analysis sorts the rows itself, so no
    ORDER BY (half the time of the read on a large store); source titles are
    mapped from the small source table rather than joined.
    """
    ev, src = schema.risk_evidence, schema.source
    optional = [ev.c[name] for name in salience.OPTIONAL_CASE_COLUMNS if name in ev.c]
    query = select(*(ev.c[name] for name in BASE_CASE_COLUMNS), *optional, ev.c.source_id)
    eng = engine or get_engine()
    with eng.connect() as conn:
        titles = dict(conn.execute(select(src.c.id, src.c.title)).all())
        result = conn.execute(query)
        # Plain tuples: much quicker for pandas than Row objects on a large store.
        frame = pd.DataFrame.from_records([tuple(r) for r in result.all()], columns=list(result.keys()))
    frame["source_title"] = frame["source_id"].map(titles)
    return frame


def salience_table(engine: Engine | None = None, as_of: int | None = None) -> pd.DataFrame:
    """Every material × risk category × stage cell of the store, scored (``salience.salience_cells``).

    ``as_of`` is the year recency is measured from; this year when omitted.
    """
    eng = engine or get_engine()
    year = as_of if as_of is not None else dt.date.today().year
    return salience.salience_cells(salience_cases(engine=eng), queries.salient_risks(engine=eng),
                                   concentration.stage_shares(engine=eng), as_of=year)


def cell_cases(material: str, category: str, stage: str, limit: int | None = 50,
               engine: Engine | None = None) -> pd.DataFrame:
    """The cases of one salience cell (ratings, place, year, source; optional columns when stored), worst first.

    At most ``limit`` of them (None: all); the cell itself counts them all.
    """
    ev, src = schema.risk_evidence, schema.source
    optional = [ev.c[name] for name in salience.OPTIONAL_CASE_COLUMNS if name in ev.c]
    query = (select(*(ev.c[name] for name in BASE_CASE_COLUMNS), *optional, src.c.title.label("source_title"))
             .join(src, src.c.id == ev.c.source_id)
             .where(ev.c.material == material, ev.c.category == category, ev.c.stage == stage)
             .order_by((ev.c.scale + ev.c.scope + ev.c.irremediability).desc(), ev.c.id))
    if limit is not None:
        query = query.limit(limit)
    eng = engine or get_engine()
    with eng.connect() as conn:
        result = conn.execute(query)
        return pd.DataFrame.from_records([tuple(r) for r in result.all()], columns=list(result.keys()))
