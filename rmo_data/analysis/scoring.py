"""Prioritisation of materials: criteria from the store, normalisation, weighted score, robustness.

Method (also shown on the Prioritisation page):

* **Criteria** (``constants.CRITERIA``) are computed from stored rows, never
  typed in: salience and likelihood of harm (``rmo_data.analysis.salience``:
  severity × likelihood per material, risk category and stage), evidence
  severity, automotive share, mining and processing HHI, top-country share,
  governance-weighted HHI, EU supply risk, the breadth of salient risks
  (split into human-rights and environmental categories) and the standards
  gap.  Every criterion is oriented so that a higher value raises priority.
  ``constants.LENSES`` groups them by the question they answer: due
  diligence (severity and likelihood only), breadth and standards, supply
  security, the industry's weight.
* **Evidence severity** is the mean severity of the three most severe
  recorded cases (of all of them when fewer are recorded); cases split from
  one passage of the report count as one case, at their highest severity.  A sum would reward
  materials the report simply documented more often; a plain mean would let
  many minor cases hide a very severe one.  The UNGPs ask to look at the most
  severe impacts first, and the top three keep one outlier from deciding alone.
* **Normalisation** is min-max per criterion across the materials shown, to
  0-1.  A criterion that is the same for every material (or known for none)
  cannot separate them and is set to 0 for all, so nothing is divided by zero.
* **Missing values** ("no data recorded") are imputed with the **median** of
  the known normalised values of that criterion among the materials shown
  (``IMPUTE_DEFAULT``), never 0, and flagged.  Why not the neutral midpoint
  0.5: the midpoint of the range is only typical when values spread evenly;
  most criteria are skewed (a few materials with a large automotive share,
  most with a small one), so 0.5 lifted every material without data above
  the typical one: with the automotive share weighted 10, tantalum, rare
  earths and graphite, whose share is not recorded, ranked 1st, 2nd and 4th.
  The median treats a gap as a typical material in view, neither rewarded
  nor punished for it.  ``impute="neutral"`` keeps the old rule.  In the
  Monte-Carlo missing values are drawn uniformly from 0-1, the widest honest
  range.
* **Leaving gaps out** (``leave_gaps_out=True``) ranks without imputing:
  each material's weights are rescaled over the criteria known for it
  (:func:`row_weights`), so its score is the weighted mean of what is
  recorded.  This is chosen over scoring gaps at 0.5 because 0.5 is itself an
  imputed value; rescaling invents none, and the share of weight that was
  dropped is reported (``rmo_data.analysis.gaps``).
* **Score** = Σ weight × normalised value with the weights rescaled to sum 1,
  so the score is on 0-1.  All weights zero is an error, not a ranking.
* **Robustness**: each Monte-Carlo draw multiplies every weight by a factor
  uniform in [1 - j, 1 + j] (a weight of 0 stays 0: the user left that
  criterion out), adds normal noise of standard deviation ``input_jitter`` to
  every known normalised value and draws missing ones uniformly (or, leaving
  gaps out, drops them from that material's weights); the result is each
  material's probability of being in the top 3 and the spread of its rank.
  ``numpy.random.default_rng(seed)`` makes it repeatable.

Everything here is pure pandas/numpy: callers pass the query results
(``rmo_data.store.criteria.criteria_table`` reads them from the store).  The
salience × leverage matrix, joint-product groups and the page's whole
prioritisation are in ``rmo_data.analysis.prioritisation``; what a ranking
rests on gaps in ``rmo_data.analysis.gaps``.  No streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rmo_data import constants, formatting
from rmo_data.analysis import evidence_rollups

PRESETS: Mapping[str, Mapping[str, int]] = constants.WEIGHT_PRESETS
NEUTRAL = 0.5
IMPUTE_MEDIAN = "median"
IMPUTE_NEUTRAL = "neutral"
IMPUTE_DEFAULT = IMPUTE_MEDIAN  # why: see "Missing values" above
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
        evidence count (used by the salience × leverage matrix).
    uncertain : pandas.DataFrame
        Same shape as ``raw``: how much of each value (0-1) rests on missing or
        low-confidence inputs; 1 where the value is missing, the salience
        module's share for salience and likelihood, 0 elsewhere.
    """

    raw: pd.DataFrame
    detail: pd.DataFrame
    sources: dict[str, list[str]] = field(default_factory=dict)
    years: dict[str, list[int]] = field(default_factory=dict)
    context: pd.DataFrame = field(default_factory=pd.DataFrame)
    uncertain: pd.DataFrame = field(default_factory=pd.DataFrame)


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
                  salient_risks: pd.DataFrame, salience: pd.DataFrame | None = None) -> CriteriaData:
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
    salience : pandas.DataFrame, optional
        ``rmo_data.analysis.salience.material_salience()``: per material the
        salience and likelihood criteria, what they rest on (``top_cells``,
        ``n_rated``, ``n_gaps``) and ``uncertain``.  Without it both criteria
        are missing for every material.

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

    sal = (salience if salience is not None else pd.DataFrame(
        columns=["salience", "likelihood", "n_rated", "n_gaps", "top_cells", "uncertain"])).reindex(idx)
    for crit, fmt in (("salience", "{n} rated cell(s), {g} gap(s); top: {top}"),
                      ("likelihood", "of the top cells: {top}")):
        raw[crit] = sal[crit].astype(float)
        detail[crit] = [fmt.format(n=int(n), g=int(g), top=top) if not pd.isna(v) else
                        (f"no rated case; {int(g)} flagged risk(s) without one" if not pd.isna(g) and g
                         else "no evidence recorded")
                        for v, n, g, top in zip(raw[crit], sal["n_rated"].fillna(0), sal["n_gaps"], sal["top_cells"],
                                                strict=True)]
    uncertain = raw.isna().astype(float)
    for crit in ("salience", "likelihood"):
        uncertain[crit] = sal["uncertain"].astype(float).fillna(1.0).where(raw[crit].notna(), 1.0)

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
    sources["salience"] = sources["likelihood"] = sorted({*sources["severity"], *both,
                                                          "Worldwide Governance Indicators 2024"})
    years = {
        "auto_share": _years(ov["auto_year"]),
        "mining_hhi": _years(ov["mining_year"]),
        "processing_hhi": _years(ov["processing_year"]),
        "top_share": _years(pd.concat([ov["mining_year"], ov["processing_year"]])),
        "gov_hhi": _years(pd.concat([ov["mining_year"], ov["processing_year"]])),
        "supply_risk": [2023],
        "severity": _years(ev["year"]) if "year" in ev else [],
    }
    years["salience"] = years["likelihood"] = sorted({*years["severity"], *years["gov_hhi"]})
    context = pd.DataFrame({
        "name": ov["name"],
        "n_organisations": cov["n_organisations"].fillna(0).astype(int),
        "has_material_standard": cov["has_material_standard"].fillna(False).astype(bool),
        "evidence_count": counts.reindex(idx).fillna(0).astype(int),
    }, index=idx)
    return CriteriaData(raw=raw, detail=detail, sources=sources, years=years, context=context,
                        uncertain=uncertain)


# --- normalisation and score ---------------------------------------------------------

def normalise(raw: pd.DataFrame, neutral: float = NEUTRAL,
              directions: Mapping[str, bool] | None = None, impute: str = IMPUTE_DEFAULT) -> pd.DataFrame:
    """Min-max normalise each column to 0-1 across the rows given, gaps imputed.

    Parameters
    ----------
    raw : pandas.DataFrame
        Rows = materials shown, columns = criteria; NaN = no data recorded.
    neutral : float
        Value given to a missing cell with ``impute="neutral"``.
    impute : str
        ``"median"`` (the default): a missing cell of a column that varies
        takes the median of that column's known normalised values;
        ``"neutral"``: it takes ``neutral``.
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
    if impute not in (IMPUTE_MEDIAN, IMPUTE_NEUTRAL):
        raise ValueError(f"Unknown imputation rule {impute!r}: use {IMPUTE_MEDIAN!r} or {IMPUTE_NEUTRAL!r}.")
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
        fill = float(scaled.median(skipna=True)) if impute == IMPUTE_MEDIAN else neutral
        out[col] = scaled.fillna(fill)
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


def row_weights(normalised: pd.DataFrame, weights: Mapping[str, float],
                missing: pd.DataFrame | None = None) -> pd.DataFrame:
    """The weight of each criterion for each material (rows sum to 1).

    Without ``missing`` every row holds the same rescaled weights.  With it
    (True = no data recorded) the gaps are left out: a material's weights are
    rescaled over the criteria known for it; a material known on no weighted
    criterion gets all-zero weights (its score is 0 and its whole weight a gap).
    """
    w = normalise_weights(weights, list(normalised.columns))
    base = np.tile(w.to_numpy(), (len(normalised), 1))
    if missing is not None:
        known = ~missing.reindex(index=normalised.index, columns=normalised.columns).fillna(False).to_numpy(dtype=bool)
        base = base * known
        sums = base.sum(axis=1, keepdims=True)
        base = np.divide(base, sums, out=np.zeros_like(base), where=sums > 0)
    return pd.DataFrame(base, index=normalised.index, columns=normalised.columns)


def score(normalised: pd.DataFrame, weights: Mapping[str, float],
          missing: pd.DataFrame | None = None) -> pd.Series:
    """Weighted sum of normalised values per material, 0-1 (gaps left out when ``missing`` is given)."""
    return (normalised * row_weights(normalised, weights, missing)).sum(axis=1).rename("score")


def ranking(normalised: pd.DataFrame, weights: Mapping[str, float],
            missing: pd.DataFrame | None = None) -> pd.DataFrame:
    """Materials by score, best first, with rank 1 = highest priority.

    Equal scores share the better rank; among them the input order (display
    order of materials) decides who is listed first, so the result is stable.
    ``missing`` (True = no data recorded) leaves the gaps out instead of
    scoring their imputed values (:func:`row_weights`).

    Returns
    -------
    pandas.DataFrame
        Index material; columns ``score`` and ``rank``.
    """
    scores = score(normalised, weights, missing)
    order = pd.DataFrame({"score": scores, "pos": range(len(scores))}, index=scores.index)
    order = order.sort_values(["score", "pos"], ascending=[False, True], kind="stable")
    order["rank"] = order["score"].rank(ascending=False, method="min").astype(int)
    return order[["score", "rank"]]


def contributions(normalised: pd.DataFrame, weights: Mapping[str, float],
                  missing: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each criterion's share of each material's score (they add up to the score).

    Returns
    -------
    pandas.DataFrame
        Long: material, criterion, weight (rescaled, per material when gaps
        are left out), value (normalised), contribution = weight × value.
    """
    w = row_weights(normalised, weights, missing)
    long = normalised.rename_axis("material").reset_index().melt(
        id_vars="material", var_name="criterion", value_name="value")
    long["weight"] = w.to_numpy().T.reshape(-1)  # melt walks column by column
    long["contribution"] = long["weight"] * long["value"]
    return long[["material", "criterion", "weight", "value", "contribution"]]


def format_value(criterion: str, value: float) -> str:
    """A raw criterion value as text with its precision; missing reads "no data recorded"."""
    if value is None or pd.isna(value):
        return constants.MISSING
    if criterion == "standards_gap":
        return "gap" if value >= 0.5 else "covered"
    digits = {"gov_hhi": 2, "supply_risk": 1, "severity": 2, "salience": 1, "likelihood": 2}.get(criterion, 0)
    return formatting.number(value, digits, formatting.PERCENT if criterion in {"auto_share", "top_share"} else "")


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
              detail: pd.DataFrame | None = None, leave_gaps_out: bool = False) -> pd.DataFrame:
    """Contributions with the raw value behind each one, its rank and score (long format).

    With ``leave_gaps_out`` the missing values of ``raw`` weigh nothing and the
    other weights of that material are rescaled (:func:`row_weights`).

    Returns
    -------
    pandas.DataFrame
        material, criterion, raw, raw_text (value and detail), missing, value
        (normalised), weight, contribution, score, rank.
    """
    gaps = raw.isna() if leave_gaps_out else None
    long = contributions(normalised, weights, gaps)
    ranked = ranking(normalised, weights, gaps)
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
                missing: pd.DataFrame | None = None, top: int = constants.TOP_N,
                leave_gaps_out: bool = False) -> pd.DataFrame:
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
    leave_gaps_out : bool
        Missing cells weigh nothing in every draw (each material's weights
        rescaled over its known criteria) instead of being drawn from 0-1.

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
    if leave_gaps_out:
        per_row = w[:, None, :] * ~mask[None, :, :]  # (n, m, k): a gap weighs nothing
        sums = per_row.sum(axis=2, keepdims=True)
        per_row = np.divide(per_row, sums, out=np.zeros_like(per_row), where=sums > 0)
        scores = np.einsum("nmk,nmk->nm", draws, per_row)
    else:
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
