"""Roll-ups of the evidence aggregates for the Risk evidence page's charts (pure pandas).

The page reads ``queries.evidence_cube`` (cases per material, stage, category
and severity) and ``queries.evidence_where`` once per filter set; these
functions turn them into the rows each chart draws.
"""

from __future__ import annotations

import pandas as pd


def heat_counts(cube: pd.DataFrame) -> pd.DataFrame:
    """Cases (``n``) and highest severity per material, stage and category, from the evidence cube."""
    return (cube.groupby(["material", "stage", "category"], as_index=False)
            .agg(n=("n", "sum"), max_severity=("severity", "max")))


def severity_counts(cube: pd.DataFrame) -> pd.DataFrame:
    """Cases (``n``) per material and severity, from the evidence cube."""
    return cube.groupby(["material", "severity"], as_index=False)["n"].sum()


def mapped_places(places: pd.DataFrame, countries: pd.DataFrame) -> pd.DataFrame:
    """The places that can be drawn on a map (ISO3 and name known), with each country's numeric code.

    ``places`` is ``queries.places_from``; ``countries`` is ``queries.countries``.
    """
    return (places.dropna(subset=["iso3", "country_name"]).reset_index(drop=True)
            .merge(countries[["iso3", "iso_numeric"]], on="iso3", how="left"))
