"""The prioritisation criteria of every material, read from the store.

The four query results that the criteria need are read here and handed to the
pure ``rmo_data.analysis.scoring.criteria_from``, so analysis never reads the
store itself.
"""

from __future__ import annotations

from sqlalchemy import Engine

from rmo_data.analysis.scoring import CriteriaData, criteria_from
from rmo_data.store import queries


def criteria_table(engine: Engine | None = None) -> CriteriaData:
    """Read the store and compute every criterion for every material.

    Parameters
    ----------
    engine : sqlalchemy.Engine, optional
        The store; the default engine when omitted.

    Returns
    -------
    CriteriaData
    """
    return criteria_from(queries.overview(engine=engine), queries.standards_coverage(engine=engine),
                         queries.evidence_severity_counts(engine=engine),
                         queries.salient_risks(engine=engine))
