"""``queries.overview(materials=...)`` gives exactly the rows of the whole overview for those materials.

A one-material briefing pack reads only its material's overview (production,
evidence counts, leverages), so the figures must not change with the subset.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from rmo_data import constants
from rmo_data.store import concentration, queries


def test_the_overview_of_some_materials_is_the_whole_overview_narrowed(built_engine: Engine) -> None:
    whole = queries.overview(built_engine)
    for chosen in (["nickel"], ["zinc", "graphite"], list(constants.MATERIAL_SLUGS)):
        part = queries.overview(built_engine, materials=chosen)
        want = whole[whole["material"].isin(chosen)].reset_index(drop=True)
        assert sorted(part["material"]) == sorted(chosen)
        pd.testing.assert_frame_equal(part.reset_index(drop=True), want, check_dtype=False)


def test_the_concentrations_of_some_materials_are_those_of_all(built_engine: Engine) -> None:
    whole = concentration.concentration_overview(engine=built_engine)
    part = concentration.concentration_overview(engine=built_engine, materials=["graphite"])
    assert set(part["material"]) == {"graphite"} and len(part) == 2  # mining and processing
    pd.testing.assert_frame_equal(part.reset_index(drop=True),
                                  whole[whole["material"] == "graphite"].reset_index(drop=True), check_dtype=False)
