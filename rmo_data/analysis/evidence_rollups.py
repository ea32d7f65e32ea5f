"""Roll-ups of the evidence aggregates for the Risk evidence page's charts (pure pandas).

The page reads ``queries.evidence_cube`` (cases per material, stage, category
and severity) and ``queries.evidence_where`` once per filter set; these
functions turn them into the rows each chart draws.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from rmo_data import constants, vocabulary


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


# The evidence flows' dimensions, left to right: the columns of the cube they come from.
FLOW_COLUMNS = ("stage", "category", "severity", "material")


def flow_counts(cube: pd.DataFrame) -> pd.DataFrame:
    """Cases (``n``) per stage, risk category, severity and material, from the evidence cube.

    One row per combination that has at least one case.  A missing severity is
    kept as its own group (``<NA>`` in the nullable ``severity`` column), never
    dropped: the schema forbids one today, but a count that silently lost cases
    would mislead.  Rows follow the app's order: stages along the value chain,
    categories as ``constants.RISK_CATEGORIES``, most severe first, then material.
    """
    if cube.empty:
        return pd.DataFrame({"stage": pd.Series(dtype=object), "category": pd.Series(dtype=object),
                             "severity": pd.Series(dtype="Int64"), "material": pd.Series(dtype=object),
                             "n": pd.Series(dtype="int64")})
    frame = cube.assign(severity=pd.to_numeric(cube["severity"]).astype("Int64"))
    out = frame.groupby(list(FLOW_COLUMNS), as_index=False, dropna=False)["n"].sum()
    out["n"] = out["n"].astype("int64")
    stage_rank = {s: i for i, s in enumerate(constants.STAGE_SLUGS)}
    category_rank = {c: i for i, c in enumerate(constants.RISK_CATEGORY_SLUGS)}
    order = pd.DataFrame({
        "stage": out["stage"].map(stage_rank).fillna(len(stage_rank)),
        "category": out["category"].map(category_rank).fillna(len(category_rank)),
        "severity": -out["severity"].astype("Float64").fillna(0.0),  # not rated after 1
        "material": out["material"],
    })
    return out.loc[order.sort_values(list(FLOW_COLUMNS), kind="stable").index].reset_index(drop=True)


def severity_name(severity: object) -> str:
    """A recorded severity as the app names it ("4 · severe"), or "not rated" when none is recorded."""
    if severity is None or pd.isna(severity):
        return constants.SEVERITY_NOT_RATED
    return constants.SEVERITY_LABELS.get(int(severity), str(severity))


def flow_table(flows: pd.DataFrame, material_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """:func:`flow_counts` with full names, as the flows' download gives them (same rows, same counts)."""
    names = dict(material_names) if material_names is not None else constants.MATERIAL_LABELS
    return pd.DataFrame({
        "Value-chain stage": flows["stage"].map(lambda s: constants.STAGE_LABELS.get(s, s)),
        "Risk category": flows["category"].map(lambda c: constants.RISK_CATEGORY_LABELS.get(c, c)),
        vocabulary.name("measure", "case_severity"): flows["severity"].map(severity_name),
        "Material": flows["material"].map(lambda m: names.get(m, m)),
        "Cases": flows["n"],
    })
