"""The small store and hand-made criterion values the workshop tests share.

Three materials and two criteria; ``HAND`` holds values already on 0-1 with 0
and 1 present, so min-max scaling leaves them as they are and results can be
worked out by hand.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, insert

from rmo_data.analysis.scoring import CriteriaData
from rmo_data.store import schema

MATS = ["zinc", "nickel", "graphite"]
CRITS = ["severity", "auto_share"]


def seed_store(engine: Engine) -> Engine:
    """The schema plus a source and the three materials the workshops use."""
    with engine.begin() as conn:
        conn.execute(insert(schema.source).values(id="rep", title="Test report", publisher="Test", kind="report"))
        conn.execute(insert(schema.material), [
            {"slug": m, "name": m.title(), "short_name": m.title(), "sort_order": i, "source_id": "rep"}
            for i, m in enumerate(MATS)])
    return engine


def criteria_data(raw: dict[str, dict[str, float]]) -> CriteriaData:
    """Hand-made criterion values (materials × criteria) with a name per material and one source."""
    frame = pd.DataFrame(raw).T.astype(float)
    context = pd.DataFrame({"name": [m.title() for m in frame.index]}, index=frame.index)
    return CriteriaData(raw=frame, detail=frame.map(lambda _: ""), context=context,
                        sources={c: ["Test report"] for c in frame.columns},
                        years={c: [2024] for c in frame.columns})


# Values already on 0-1 with 0 and 1 present, so min-max scaling leaves them as they are.
HAND = criteria_data({"zinc": {"severity": 1.0, "auto_share": 0.0},
                      "nickel": {"severity": 0.0, "auto_share": 1.0},
                      "graphite": {"severity": 0.5, "auto_share": 0.25}})
