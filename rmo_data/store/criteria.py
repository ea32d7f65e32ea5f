"""The prioritisation criteria of every material, read from the store.

The query results that the criteria need are read here and handed to the
pure ``rmo_data.analysis.scoring.criteria_from`` (the salience cells to
``rmo_data.analysis.salience.material_salience`` first), so analysis never
reads the store itself.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from rmo_data.analysis.salience import material_salience
from rmo_data.analysis.scoring import CriteriaData, criteria_from
from rmo_data.store import queries
from rmo_data.store.salience_reads import salience_table


def criteria_table(engine: Engine | None = None, cells: pd.DataFrame | None = None) -> CriteriaData:
    """Read the store and compute every criterion for every material.

    Parameters
    ----------
    engine : sqlalchemy.Engine, optional
        The store; the default engine when omitted.
    cells : pandas.DataFrame, optional
        ``salience_reads.salience_table()`` when the caller already has it (the
        pages keep it); read here otherwise.

    Returns
    -------
    CriteriaData
    """
    scored = cells if cells is not None else salience_table(engine)
    return criteria_from(queries.overview(engine=engine), queries.standards_coverage(engine=engine),
                         queries.evidence_severity_counts(engine=engine),
                         queries.salient_risks(engine=engine), salience=material_salience(scored))
