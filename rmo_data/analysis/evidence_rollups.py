"""Roll-ups of the evidence aggregates for the Risk evidence page's charts (pure pandas).

The page reads ``queries.evidence_cube`` (cases per material, stage, category,
severity and passage) and ``queries.evidence_where`` once per filter set; these
functions turn them into the rows each chart draws.

**A passage counts once.** Where the report makes one claim over several
countries, sites or risks (one sentence on zinc naming three countries and two
harms), the seed keeps one row per place and risk, so each can be filtered and
mapped, and gives them one ``passage``.  Every count here counts such a passage
once per group it falls in: once for zinc, once in each of the categories and
countries it names.  A case with no passage is a passage of its own.  When a
passage has to sit in one severity group (the severity bars, the flows, the
count of severe cases), it takes the highest severity of its cases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from rmo_data import constants, vocabulary


def passage_keys(rows: pd.DataFrame) -> pd.Series:
    """Each case's passage, its own id when it shares none (rows as ``queries.evidence`` returns them)."""
    if "passage" not in rows.columns:
        return rows["id"].astype(str)
    return rows["passage"].where(rows["passage"].notna(), rows["id"]).astype(str)


def count_once(frame: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    """Cases per group of ``by`` with every shared passage counted once per group (pure).

    ``frame`` has a case count ``n`` per row and, optionally, a ``passage``
    column (NaN = cases of their own passages, counted in full).  Groups keep
    NaN keys.  Returns an int Series indexed by ``by`` (a plain index for one column).
    """
    keys = list(by)
    if frame.empty:
        index = (pd.MultiIndex.from_tuples([], names=keys) if len(keys) > 1
                 else pd.Index([], name=keys[0]))
        return pd.Series([], index=index, dtype="int64", name="n")
    if "passage" not in frame.columns:
        return frame.groupby(keys, dropna=False)["n"].sum().astype("int64").rename("n")
    shared = frame["passage"].notna()
    solo = frame[~shared].groupby(keys, dropna=False)["n"].sum()
    grouped = frame[shared].groupby(keys, dropna=False)["passage"].nunique()
    return solo.add(grouped, fill_value=0).astype("int64").rename("n")


def total_once(frame: pd.DataFrame) -> int:
    """All the cases of ``frame`` with every shared passage counted once."""
    if frame.empty:
        return 0
    if "passage" not in frame.columns:
        return int(frame["n"].sum())
    shared = frame["passage"].notna()
    return int(frame.loc[~shared, "n"].sum()) + int(frame.loc[shared, "passage"].nunique())


def passage_severity(cube: pd.DataFrame) -> pd.DataFrame:
    """The cube with each shared passage's cases set to the passage's highest severity."""
    if cube.empty or "passage" not in cube.columns or not cube["passage"].notna().any():
        return cube
    top = cube.groupby("passage")["severity"].transform("max")
    severity = cube["severity"].where(cube["passage"].isna(), top)
    if pd.api.types.is_integer_dtype(cube["severity"]):
        severity = severity.astype(cube["severity"].dtype)  # where() made it float; the values are whole
    return cube.assign(severity=severity)


def one_per_passage(counted: pd.DataFrame) -> pd.DataFrame:
    """Counted evidence rows with every shared passage made one case (``n`` 1) at its highest severity.

    ``counted`` has a ``passage`` (NaN = cases of their own passages, kept as
    they are), a ``severity`` and a count ``n``, plus any other columns; a
    passage keeps the other columns of its most severe row.
    """
    if counted.empty or not counted["passage"].notna().any():
        return counted.drop(columns=["passage"], errors="ignore")
    shared = counted[counted["passage"].notna()].sort_values("severity", ascending=False, kind="stable")
    firsts = shared.drop_duplicates("passage").assign(n=1)
    out = pd.concat([counted[counted["passage"].isna()], firsts], ignore_index=True)
    return out.drop(columns=["passage"])


def material_stats(counted: pd.DataFrame) -> pd.DataFrame:
    """``evidence_count``, ``severity_mean`` and ``severity_max`` per material from counts per severity.

    ``counted`` has material, severity and a case count ``n`` (a passage already
    made one case by :func:`one_per_passage`).  Indexed by material.
    """
    if counted.empty:
        return pd.DataFrame({"evidence_count": pd.Series(dtype="int64"), "severity_mean": pd.Series(dtype=float),
                             "severity_max": pd.Series(dtype="int64")}, index=pd.Index([], name="material"))
    frame = counted.assign(weighted=counted["severity"].astype(float) * counted["n"])
    grouped = frame.groupby("material")
    n = grouped["n"].sum()
    return pd.DataFrame({"evidence_count": n.astype("int64"),
                         "severity_mean": grouped["weighted"].sum() / n,
                         "severity_max": grouped["severity"].max()})


def _once_frame(frame: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    return count_once(frame, by).reset_index()


def heat_counts(cube: pd.DataFrame) -> pd.DataFrame:
    """Cases (``n``, a passage once) and highest severity per material, stage and category."""
    keys = ["material", "stage", "category"]
    if cube.empty:
        return pd.DataFrame({**{k: pd.Series(dtype=object) for k in keys},
                             "n": pd.Series(dtype="int64"), "max_severity": pd.Series(dtype="int64")})
    top = cube.groupby(keys, as_index=False)["severity"].max().rename(columns={"severity": "max_severity"})
    return _once_frame(cube, keys).merge(top, on=keys, how="left")


def severity_counts(cube: pd.DataFrame) -> pd.DataFrame:
    """Cases (``n``) per material and severity, a passage once at its highest severity."""
    keys = ["material", "severity"]
    if cube.empty:
        return pd.DataFrame({"material": pd.Series(dtype=object), "severity": pd.Series(dtype="int64"),
                             "n": pd.Series(dtype="int64")})
    return _once_frame(passage_severity(cube), keys)


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

    One row per combination that has at least one case; a shared passage counts
    once per band, at its highest severity.  A missing severity is
    kept as its own group (``<NA>`` in the nullable ``severity`` column), never
    dropped: the schema forbids one today, but a count that silently lost cases
    would mislead.  Rows follow the app's order: stages along the value chain,
    categories as ``constants.RISK_CATEGORIES``, most severe first, then material.
    """
    if cube.empty:
        return pd.DataFrame({"stage": pd.Series(dtype=object), "category": pd.Series(dtype=object),
                             "severity": pd.Series(dtype="Int64"), "material": pd.Series(dtype=object),
                             "n": pd.Series(dtype="int64")})
    frame = passage_severity(cube)
    frame = frame.assign(severity=pd.to_numeric(frame["severity"]).astype("Int64"))
    out = _once_frame(frame, FLOW_COLUMNS)
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


def confidence_name(confidence: object) -> str:
    """A case's confidence as the app names it ("Reported allegation"), or "not assessed" when none is stored."""
    if confidence is None or (not isinstance(confidence, str) and pd.isna(confidence)) or confidence == "":
        return constants.CONFIDENCE_NOT_ASSESSED
    return constants.CONFIDENCE_LABELS.get(str(confidence), str(confidence))


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
