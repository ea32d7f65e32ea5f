"""Prioritisation of materials: criteria from the store, normalisation, weighted score, robustness.

Method (also shown on the Prioritisation page):

* **Criteria** (``constants.CRITERIA``) are computed from stored rows, never
  typed in: automotive share, mining and processing HHI, top-country share,
  governance-weighted HHI, EU supply risk, evidence severity, the breadth of
  salient risks (split into human-rights and environmental categories) and the
  standards gap.  Every criterion is oriented so that a higher value raises
  priority.
* **Evidence severity** is the mean severity of the three most severe
  recorded cases (of all of them when fewer are recorded); cases split from
  one passage of the report count as one case, at their highest severity.  A sum would reward
  materials the report simply documented more often; a plain mean would let
  many minor cases hide a very severe one.  The UNGPs ask to look at the most
  severe impacts first, and the top three keep one outlier from deciding alone.
* **Normalisation** is min-max per criterion across the materials shown, to
  0-1.  A criterion that is the same for every material (or known for none)
  cannot separate them and is set to 0 for all, so nothing is divided by zero.
* **Missing values** ("no data recorded") are scored at the neutral midpoint
  0.5 of the range, never 0, and flagged so the page can say so.  In the
  Monte-Carlo they are drawn uniformly from 0-1, the widest honest range.
* **Score** = Σ weight × normalised value with the weights rescaled to sum 1,
  so the score is on 0-1.  All weights zero is an error, not a ranking.
* **Robustness**: each Monte-Carlo draw multiplies every weight by a factor
  uniform in [1 - j, 1 + j] (a weight of 0 stays 0: the user left that
  criterion out), adds normal noise of standard deviation ``input_jitter`` to
  every known normalised value and draws missing ones uniformly; the result
  is each material's probability of being in the top 3 and the spread of its
  rank.  ``numpy.random.default_rng(seed)`` makes it repeatable.

Everything here is pure pandas/numpy: callers pass the query results
(``rmo_data.store.criteria.criteria_table`` reads them from the store).  The
severity × leverage matrix, joint-product groups and the page's whole
prioritisation are in ``rmo_data.analysis.prioritisation``.  No streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rmo_data import constants
from rmo_data.analysis import evidence_rollups

PRESETS: Mapping[str, Mapping[str, int]] = constants.WEIGHT_PRESETS
NEUTRAL = 0.5
SEVERITY_TOP_CASES = 3
DEFAULT_SEED = 2021  # the report's year; any fixed number makes runs repeatable

_DIRECTIONS = {c.slug: c.higher_is_priority for c in constants.CRITERIA}
_SOCIAL = [r.slug for r in constants.RISK_CATEGORIES if r.pillar in {"S", "G"}]
_ENVIRONMENTAL = [r.slug for r in constants.RISK_CATEGORIES if r.pillar == "E"]


@dataclass(frozen=True)
class CriteriaData:
    """Raw criterion values with what is needed to explain them.

    Attributes
    ----------
    raw : pandas.DataFrame
        Materials (index, slugs, display order) × criterion slugs; NaN where
        no data is recorded.
    detail : pandas.DataFrame
        Same shape: a short text per cell naming the basis, country or year.
    sources : dict of str to list of str
        Source titles actually used per criterion.
    years : dict of str to list of int
        Data years per criterion (empty when the source states none).
    context : pandas.DataFrame
        Per material: name, number of linked organisations and initiatives,
        evidence count (used by the severity × leverage matrix).
    """

    raw: pd.DataFrame
    detail: pd.DataFrame
    sources: dict[str, list[str]] = field(default_factory=dict)
    years: dict[str, list[int]] = field(default_factory=dict)
    context: pd.DataFrame = field(default_factory=pd.DataFrame)


# --- criteria from query results ---------------------------------------------------

def top_severity(counts: pd.DataFrame, top: int = SEVERITY_TOP_CASES) -> float:
    """Mean of the ``top`` highest severities (all of them when fewer).

    ``counts`` has a severity and a case count ``n`` per row, so one row may
    stand for many cases of the same severity.
    """
    values: list[float] = []
    for sev, n in sorted(zip(counts["severity"], counts["n"], strict=True), reverse=True):
        if pd.isna(sev):
            continue
        values.extend([float(sev)] * min(int(n), top - len(values)))
        if len(values) >= top:
            break
    return float(np.mean(values)) if values else float("nan")


def _years(values: pd.Series) -> list[int]:
    return sorted({int(v) for v in values.dropna()})


def _stage_text(stage: str, year: float) -> str:
    return f"{stage} {int(year)}" if not pd.isna(year) else stage


def criteria_from(overview: pd.DataFrame, coverage: pd.DataFrame, evidence: pd.DataFrame,
                  salient_risks: pd.DataFrame) -> CriteriaData:
    """Compute every criterion from query results (pure).

    Parameters
    ----------
    overview : pandas.DataFrame
        ``queries.overview()``: one row per material.
    coverage : pandas.DataFrame
        ``queries.standards_coverage()``.
    evidence : pandas.DataFrame
        Columns material and severity, one row per case (``queries.evidence()``)
        or with a case count ``n`` per row (``queries.evidence_severity_counts()``);
        ``source_title`` and ``year`` are used for provenance when present, and a
        ``passage`` column makes the cases of one shared passage one case.
    salient_risks : pandas.DataFrame
        ``queries.salient_risks()`` (columns material, category; NULL material =
        cross-cutting, left out here because it does not separate materials).

    Returns
    -------
    CriteriaData
        Raw values (NaN = no data recorded) with details, sources and years.
    """
    ov = overview.set_index("material")
    idx = ov.index
    raw = pd.DataFrame(index=idx, columns=list(constants.CRITERION_SLUGS), dtype=float)
    detail = pd.DataFrame("", index=idx, columns=list(constants.CRITERION_SLUGS), dtype=object)

    raw["auto_share"] = ov["auto_share_pct"].astype(float)
    detail["auto_share"] = [
        f"{s}, {b}, {sc}" + (f", {int(y)}" if not pd.isna(y) else "") if not pd.isna(v) else constants.MISSING
        for v, s, b, sc, y in zip(ov["auto_share_pct"], ov["auto_sector"], ov["auto_basis"],
                                  ov["auto_scope"], ov["auto_year"], strict=True)]

    for stage in ("mining", "processing"):
        col = f"{stage}_hhi"
        raw[col] = ov[col].astype(float)
        detail[col] = [_stage_text(str(n), y) if not pd.isna(v) else constants.MISSING
                       for v, n, y in zip(ov[col], ov[f"{stage}_commodity_name"], ov[f"{stage}_year"],
                                          strict=True)]

    # Top-country share and governance-weighted HHI: the higher of the two stages,
    # i.e. the bottleneck, as the EU method takes the stage with the higher risk.
    for crit, column, fmt in (("top_share", "top1_share", "{country} at {stage} {year}"),
                              ("gov_hhi", "hhi_wgi", "{stage} {year}")):
        values, texts = [], []
        for mat in idx:
            best: tuple[float, str] | None = None
            for stage in ("mining", "processing"):
                value = ov.at[mat, f"{stage}_{column}"]
                if pd.isna(value):
                    continue
                year = ov.at[mat, f"{stage}_year"]
                text = fmt.format(country=ov.at[mat, f"{stage}_top1_country"], stage=stage,
                                  year=int(year) if not pd.isna(year) else "")
                if best is None or float(value) > best[0]:
                    best = (float(value), text.strip())
            values.append(best[0] if best else float("nan"))
            texts.append(best[1] if best else constants.MISSING)
        raw[crit] = values
        detail[crit] = texts

    raw["supply_risk"] = ov["supply_risk"].astype(float)
    detail["supply_risk"] = ["EU assessment 2023" if not pd.isna(v) else constants.MISSING
                             for v in ov["supply_risk"]]

    ev = evidence[evidence["material"].isin(idx)].copy() if not evidence.empty else evidence.copy()
    if "n" not in ev.columns:
        ev["n"] = 1  # one row per case
    if "passage" in ev.columns:
        # Cases split from one passage of the report are one case, at their highest severity.
        ev = evidence_rollups.one_per_passage(ev)
    sev = (pd.Series({m: top_severity(g) for m, g in ev.groupby("material")}, dtype=float)
           if not ev.empty else pd.Series(dtype=float))
    counts = ev.groupby("material")["n"].sum() if not ev.empty else pd.Series(dtype=int)
    raw["severity"] = sev.reindex(idx).astype(float)
    detail["severity"] = [
        f"top {min(SEVERITY_TOP_CASES, int(counts.get(m, 0)))} of {int(counts.get(m, 0))} case(s)"
        if m in counts.index else "no evidence recorded" for m in idx]

    risks = salient_risks.dropna(subset=["material"]) if not salient_risks.empty else salient_risks
    for crit, cats, of in (("social_breadth", _SOCIAL, len(_SOCIAL)),
                           ("env_breadth", _ENVIRONMENTAL, len(_ENVIRONMENTAL))):
        if risks.empty:
            raw[crit] = float("nan")
            detail[crit] = "no salient risk recorded"
            continue
        counted = risks[risks["category"].isin(cats)].groupby("material")["category"].nunique()
        recorded = set(risks["material"])
        # A material with salient risks but none in this pillar has 0 categories (a real count);
        # one with no salient risk recorded at all is missing.
        raw[crit] = [float(counted.get(m, 0)) if m in recorded else float("nan") for m in idx]
        detail[crit] = [f"{int(counted.get(m, 0))} of {of} categories" if m in recorded
                        else "no salient risk recorded" for m in idx]

    cov = coverage.set_index("material").reindex(idx)
    raw["standards_gap"] = (~cov["has_material_standard"].fillna(False).astype(bool)).astype(float)
    detail["standards_gap"] = ["material-specific standard linked" if has else "no material-specific standard"
                               for has in cov["has_material_standard"].fillna(False).astype(bool)]

    sources = {
        "auto_share": sorted(ov["auto_source"].dropna().unique().tolist()),
        "mining_hhi": sorted(ov["mining_source_title"].dropna().unique().tolist()),
        "processing_hhi": sorted(ov["processing_source_title"].dropna().unique().tolist()),
        "supply_risk": ["Study on the Critical Raw Materials for the EU 2023"],
        "severity": sorted(ev["source_title"].dropna().unique().tolist()) if "source_title" in ev else [],
        "social_breadth": ["Raw materials value chain leverages"],
        "env_breadth": ["Raw materials value chain leverages"],
        "standards_gap": ["Raw materials value chain leverages"],
    }
    both = sorted({*sources["mining_hhi"], *sources["processing_hhi"]})
    sources["top_share"] = both
    sources["gov_hhi"] = [*both, "Worldwide Governance Indicators 2024"]
    years = {
        "auto_share": _years(ov["auto_year"]),
        "mining_hhi": _years(ov["mining_year"]),
        "processing_hhi": _years(ov["processing_year"]),
        "top_share": _years(pd.concat([ov["mining_year"], ov["processing_year"]])),
        "gov_hhi": _years(pd.concat([ov["mining_year"], ov["processing_year"]])),
        "supply_risk": [2023],
        "severity": _years(ev["year"]) if "year" in ev else [],
    }
    context = pd.DataFrame({
        "name": ov["name"],
        "n_organisations": cov["n_organisations"].fillna(0).astype(int),
        "has_material_standard": cov["has_material_standard"].fillna(False).astype(bool),
        "evidence_count": counts.reindex(idx).fillna(0).astype(int),
    }, index=idx)
    return CriteriaData(raw=raw, detail=detail, sources=sources, years=years, context=context)


# --- normalisation and score ---------------------------------------------------------

def normalise(raw: pd.DataFrame, neutral: float = NEUTRAL,
              directions: Mapping[str, bool] | None = None) -> pd.DataFrame:
    """Min-max normalise each column to 0-1 across the rows given.

    Parameters
    ----------
    raw : pandas.DataFrame
        Rows = materials shown, columns = criteria; NaN = no data recorded.
    neutral : float
        Value given to a missing cell in a column that does vary.
    directions : mapping of str to bool, optional
        Per column, True when a higher raw value raises priority (the default,
        and what every criterion in ``constants.CRITERIA`` declares); False
        reverses the scale.

    Returns
    -------
    pandas.DataFrame
        Same shape, no NaN.  A column with no spread among its known values (or
        with none known) is 0 everywhere: it cannot separate the materials, and
        no division by zero happens.
    """
    dirs = {**_DIRECTIONS, **(directions or {})}
    out = pd.DataFrame(index=raw.index, columns=raw.columns, dtype=float)
    for col in raw.columns:
        values = pd.to_numeric(raw[col], errors="coerce").astype(float)
        low, high = values.min(skipna=True), values.max(skipna=True)
        if pd.isna(low) or high - low <= 0:
            out[col] = 0.0
            continue
        scaled = (values - low) / (high - low)
        if not dirs.get(col, True):
            scaled = 1.0 - scaled
        out[col] = scaled.fillna(neutral)
    return out


def normalise_weights(weights: Mapping[str, float], columns: Sequence[str]) -> pd.Series:
    """Weights for ``columns`` rescaled to sum 1 (criteria not given weigh 0).

    Raises
    ------
    ValueError
        When a weight names an unknown criterion, is negative or not a number,
        or when all weights are zero.
    """
    unknown = sorted(set(weights) - set(columns))
    if unknown:
        raise ValueError(f"Unknown criteria in the weights: {', '.join(unknown)}.")
    series = pd.Series({c: weights.get(c, 0.0) for c in columns}, dtype=float)
    if series.isna().any() or not np.isfinite(series).all():
        raise ValueError("Every weight must be a number.")
    if (series < 0).any():
        raise ValueError("Weights cannot be negative.")
    total = float(series.sum())
    if total <= 0:
        raise ValueError("All weights are zero: give at least one criterion a weight above 0 "
                         "to rank the materials.")
    return series / total


def score(normalised: pd.DataFrame, weights: Mapping[str, float]) -> pd.Series:
    """Weighted sum of normalised values per material (weights rescaled to sum 1), 0-1."""
    w = normalise_weights(weights, list(normalised.columns))
    return (normalised * w).sum(axis=1).rename("score")


def ranking(normalised: pd.DataFrame, weights: Mapping[str, float]) -> pd.DataFrame:
    """Materials by score, best first, with rank 1 = highest priority.

    Equal scores share the better rank; among them the input order (display
    order of materials) decides who is listed first, so the result is stable.

    Returns
    -------
    pandas.DataFrame
        Index material; columns ``score`` and ``rank``.
    """
    scores = score(normalised, weights)
    order = pd.DataFrame({"score": scores, "pos": range(len(scores))}, index=scores.index)
    order = order.sort_values(["score", "pos"], ascending=[False, True], kind="stable")
    order["rank"] = order["score"].rank(ascending=False, method="min").astype(int)
    return order[["score", "rank"]]


def contributions(normalised: pd.DataFrame, weights: Mapping[str, float]) -> pd.DataFrame:
    """Each criterion's share of each material's score (they add up to the score).

    Returns
    -------
    pandas.DataFrame
        Long: material, criterion, weight (rescaled), value (normalised),
        contribution = weight × value.
    """
    w = normalise_weights(weights, list(normalised.columns))
    long = normalised.rename_axis("material").reset_index().melt(
        id_vars="material", var_name="criterion", value_name="value")
    long["weight"] = long["criterion"].map(w)
    long["contribution"] = long["weight"] * long["value"]
    return long[["material", "criterion", "weight", "value", "contribution"]]


def format_value(criterion: str, value: float) -> str:
    """A raw criterion value as text with its precision; missing reads "no data recorded"."""
    if value is None or pd.isna(value):
        return constants.MISSING
    if criterion == "standards_gap":
        return "gap" if value >= 0.5 else "covered"
    digits = {"gov_hhi": 2, "supply_risk": 1, "severity": 2}.get(criterion, 0)
    text = f"{value:,.{digits}f}".replace(",", "\u202f")  # thin space groups thousands
    return f"{text} %" if criterion in {"auto_share", "top_share"} else text


def _cells(frame: pd.DataFrame, rows: Sequence[Any], columns: Sequence[Any], missing: Any = np.nan) -> np.ndarray:
    """``frame.at[row, column]`` for each pair, in one step; ``missing`` where a label is not in ``frame``.

    ``.at`` in a loop costs some 30 µs a cell: 30 ms for the 1 100 cells of a
    store with 110 materials, on every move of a weight.
    """
    r = frame.index.get_indexer(pd.Index(rows))
    c = frame.columns.get_indexer(pd.Index(columns))
    found = (r >= 0) & (c >= 0)
    values = frame.to_numpy()
    if found.all():
        return values[r, c]
    out = np.full(len(r), missing, dtype=object)
    out[found] = values[r[found], c[found]]
    return out


def explained(raw: pd.DataFrame, normalised: pd.DataFrame, weights: Mapping[str, float],
              detail: pd.DataFrame | None = None) -> pd.DataFrame:
    """Contributions with the raw value behind each one, its rank and score (long format).

    Returns
    -------
    pandas.DataFrame
        material, criterion, raw, raw_text (value and detail), missing, value
        (normalised), weight, contribution, score, rank.
    """
    long = contributions(normalised, weights)
    ranked = ranking(normalised, weights)
    long["raw"] = _cells(raw, long["material"], long["criterion"])
    long["missing"] = long["raw"].isna()
    extras = (_cells(detail, long["material"], long["criterion"], missing="") if detail is not None
              else [""] * len(long))
    texts = []
    for c, v, extra in zip(long["criterion"], long["raw"], extras, strict=True):
        text = format_value(c, v)
        texts.append(f"{text} ({extra})" if extra and not pd.isna(v) else text)
    long["raw_text"] = texts
    long["score"] = long["material"].map(ranked["score"])
    long["rank"] = long["material"].map(ranked["rank"])
    return long


def monte_carlo(normalised: pd.DataFrame, weights: Mapping[str, float], n: int = 2000,
                seed: int = DEFAULT_SEED, weight_jitter: float = 0.25, input_jitter: float = 0.05,
                missing: pd.DataFrame | None = None, top: int = constants.TOP_N) -> pd.DataFrame:
    """How stable the ranking is when weights and inputs are jittered.

    Parameters
    ----------
    normalised : pandas.DataFrame
        Output of :func:`normalise`.
    weights : mapping of str to float
        The user's weights (any scale; rescaled to sum 1 in every draw).
    n : int
        Number of draws.
    seed : int
        Seed of ``numpy.random.default_rng``: the same seed gives the same result.
    weight_jitter : float
        Each weight is multiplied by a factor uniform in [1 - j, 1 + j].
    input_jitter : float
        Standard deviation of normal noise added to every known normalised value.
    missing : pandas.DataFrame of bool, optional
        True where the raw value was missing; such cells are drawn uniformly
        from 0-1 in every draw instead of sitting at the neutral value.
    top : int
        Size of the group whose membership is counted (3: "top 3").

    Returns
    -------
    pandas.DataFrame
        Index material; ``p_top`` (share of draws in the top ``top``),
        ``rank_min``, ``rank_p05``, ``rank_median``, ``rank_p95``, ``rank_max``.

    Raises
    ------
    ValueError
        When all weights are zero, a weight is negative, ``n`` < 1 or a jitter
        is negative or ``weight_jitter`` > 1.
    """
    if n < 1:
        raise ValueError("The Monte-Carlo needs at least one draw.")
    if weight_jitter < 0 or weight_jitter > 1 or input_jitter < 0:
        raise ValueError("Jitter must be between 0 and 1 for weights and at least 0 for inputs.")
    base = normalise_weights(weights, list(normalised.columns)).to_numpy()
    values = normalised.to_numpy(dtype=float)
    mask = (missing.reindex(index=normalised.index, columns=normalised.columns).fillna(False)
            .to_numpy(dtype=bool) if missing is not None else np.zeros_like(values, dtype=bool))
    rng = np.random.default_rng(seed)
    m, k = values.shape
    factors = rng.uniform(1 - weight_jitter, 1 + weight_jitter, size=(n, k))
    w = base * factors
    sums = w.sum(axis=1, keepdims=True)
    w = np.divide(w, sums, out=np.tile(base, (n, 1)), where=sums > 0)
    draws = values + rng.normal(0.0, input_jitter, size=(n, m, k))
    draws = np.where(mask, rng.uniform(0.0, 1.0, size=(n, m, k)), draws)
    scores = np.einsum("nmk,nk->nm", draws, w)
    # Rank = 1 + number of materials scoring strictly higher in the same draw.
    ranks = (scores[:, None, :] > scores[:, :, None]).sum(axis=2) + 1
    return pd.DataFrame({
        "p_top": (ranks <= top).mean(axis=0),
        "rank_min": ranks.min(axis=0),
        "rank_p05": np.percentile(ranks, 5, axis=0, method="nearest"),
        "rank_median": np.median(ranks, axis=0),
        "rank_p95": np.percentile(ranks, 95, axis=0, method="nearest"),
        "rank_max": ranks.max(axis=0),
    }, index=normalised.index)


def matching_preset(weights: Mapping[str, float]) -> str | None:
    """The preset whose weights equal ``weights`` (criteria not given count as 0), if any."""
    for name, preset in PRESETS.items():
        if all(float(weights.get(c, 0)) == float(preset.get(c, 0)) for c in constants.CRITERION_SLUGS):
            return name
    return None
