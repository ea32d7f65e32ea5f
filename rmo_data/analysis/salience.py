"""Salience of harm per material × risk category × value-chain stage: severity × likelihood.

The UN Guiding Principles (principle 24) and the OECD due-diligence guidance
rank adverse impacts by their **severity** (scale, scope, irremediable
character) and their **likelihood**; the EU due-diligence directive keeps the
same two criteria and leaves a company's leverage out of this step (leverage
matters when the measure is chosen, see the salience × leverage matrix in
``rmo_data.analysis.prioritisation``).  Peers score the same product per
material, issue and stage (Levin Sources ESG Materials Score, TDi,
supplyrisk.org).  This module does that from stored rows, at query time.

Scales
------
* **Severity, 1–5.**  Each evidence case is rated 1–5 on scale, scope and
  irremediability (``risk_evidence``); a case's severity is the mean of the
  three, unrounded.  A cell's severity is that of its **most severe case**:
  the UNGPs ask to look at the gravest impacts first, and a mean would let
  many minor cases hide one grave one.
* **Likelihood, 1–5** = 1 + 4 × L, where L (0–1) averages two parts:

  - *Evidence* E = min(1, W / 3), W the weighted number of independent cases
    in the cell: each case weighs confidence × recency; cases of one report
    passage count once (the passage's strongest case); three full-weight
    cases are as frequent as this register gets.  Confidence: documented
    1.0, reported 0.6, inferred 0.3, not assessed 0.6 (a case the report
    names is at least reported).  Recency: 1.0 up to 5 years before
    ``as_of``, falling linearly to 0.5 at 15 years and older; year not
    stated 0.75.
  - *Governance exposure* G (0–1): the WGI risk score (0–10, EU method, see
    ``metrics.wgi_risk_score``) of the countries producing at that stage,
    weighted by their share of world production, divided by 10; i.e. the
    governance risk of an average tonne sourced at that stage.  It uses the
    production shares of the stage's primary commodity (latest year) and the
    latest WGI year not after it.

  L = (E + G) / 2.  A gap (below) has no likelihood either.  Stages without production data (casting, components,
  OEMs, recycling; some processing) have no G: L = E, and the cell says
  "governance not recorded for this stage".  No figure is invented for
  them: a median of mining and processing countries says little about where
  components are made.
* **Salience, 1–25** = severity × likelihood.

Gaps
----
A cell where the report flags a salient risk (``salient_risk`` rows of the
material, per stage) but no case is rated has **no severity**: its status is
``gap`` and its salience stays NaN, never 0.  Cross-cutting risks (no material)
are left out: they apply to every material alike.

Material level (the ``salience`` and ``likelihood`` criteria of the ranking)
---------------------------------------------------------------------------
A material's salience is the mean of its three most salient rated cells (all
of them when fewer), its likelihood the mean likelihood of the same cells: the
top three keep one outlier from deciding alone, as for evidence severity.
``uncertain`` (0–1) says how much of that rests on gaps or weak inputs: over
all the material's cells, a gap counts 1, a rated cell 0.5 for a missing
governance part plus 0.5 when all its cases are inferred.

Optional evidence columns
-------------------------
``confidence`` (documented / reported / inferred) and ``passage`` (one id for
the cases of one report passage) are used when the case rows carry them
(``OPTIONAL_CASE_COLUMNS`` gives the default of each); without them every row
is its own passage with its confidence not recorded.

Every cell keeps its inputs (case ids, severity ratings of the worst case,
evidence countries, producing countries and shares, WGI year, sources) so a
page can explain it.  Pure pandas; no streamlit, no store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import pandas as pd

from rmo_data import constants

SEVERITY_SCALE: Final = (1.0, 5.0)
LIKELIHOOD_SCALE: Final = (1.0, 5.0)
SALIENCE_SCALE: Final = (1.0, 25.0)

CONFIDENCE_WEIGHTS: Final[dict[str, float]] = {"documented": 1.0, "reported": 0.6, "inferred": 0.3}
assert set(CONFIDENCE_WEIGHTS) == set(constants.CONFIDENCE_SLUGS), "one weight per confidence level"
# The label of a case stored without a confidence (an upload without the column), as the app shows it.
UNKNOWN_CONFIDENCE: Final = constants.CONFIDENCE_NOT_ASSESSED
UNKNOWN_CONFIDENCE_WEIGHT: Final = 0.6  # as "reported": the report names the case
LOW_CONFIDENCE: Final = frozenset({"inferred"})
RECENT_YEARS: Final = 5
OLD_YEARS: Final = 15
OLD_WEIGHT: Final = 0.5
UNKNOWN_YEAR_WEIGHT: Final = 0.75
FREQUENCY_SATURATION: Final = 3.0
TOP_CELLS: Final = 3
CASES_NAMED: Final = 8  # case ids named in a cell's text; the rest are counted

# Columns another part of the store may add to risk_evidence, with the value a row without them takes
# (None for passage: each case is its own passage).
OPTIONAL_CASE_COLUMNS: Final[dict[str, Any]] = {"confidence": UNKNOWN_CONFIDENCE, "passage": None}

KEYS: Final = ["material", "category", "stage"]
RATED: Final = "rated"
GAP: Final = "gap"
NO_GOVERNANCE: Final = "governance not recorded for this stage"

CELL_COLUMNS: Final = (
    "material", "category", "stage", "status", "flagged", "n_cases", "n_passages", "case_ids",
    "cases_text", "worst_case", "worst_ratings", "severity", "evidence_weight", "evidence", "years_text",
    "confidence_text", "evidence_countries", "governance", "producers_text", "covered_pct",
    "production_year", "wgi_year", "likelihood", "salience", "sources", "missing_inputs", "uncertain",
)


# --- cases ---------------------------------------------------------------------------------------

def recency_weight(years: pd.Series, as_of: int) -> pd.Series:
    """Weight of each case by its age at ``as_of``: 1 up to 5 years, 0.5 from 15, linear between; NaN 0.75."""
    age = as_of - pd.to_numeric(years, errors="coerce").astype(float)
    span = OLD_YEARS - RECENT_YEARS
    weight = 1.0 - (1.0 - OLD_WEIGHT) * ((age - RECENT_YEARS) / span).clip(0.0, 1.0)
    return weight.fillna(UNKNOWN_YEAR_WEIGHT)


def prepare_cases(cases: pd.DataFrame, as_of: int) -> pd.DataFrame:
    """Case rows with the optional columns filled in and each case's severity and weight.

    Parameters
    ----------
    cases : pandas.DataFrame
        One row per case: id, material, stage, category, scale, scope,
        irremediability, year (NaN = not stated), country_name, source_title;
        optionally ``confidence`` and ``passage`` (see ``OPTIONAL_CASE_COLUMNS``).
    as_of : int
        The year recency is measured from.

    Returns
    -------
    pandas.DataFrame
        The rows with ``confidence`` (lower case, "not recorded" when absent),
        ``passage`` (the case id when absent), ``case_severity`` (mean of the
        three ratings), ``confidence_weight``, ``recency_weight`` and
        ``weight`` (their product).
    """
    out = cases.copy()
    for column, default in OPTIONAL_CASE_COLUMNS.items():
        if column not in out.columns:
            out[column] = default
    out["confidence"] = (out["confidence"].astype(object).where(out["confidence"].notna(), UNKNOWN_CONFIDENCE)
                         .astype(str).str.strip().str.lower().replace("", UNKNOWN_CONFIDENCE))
    passage = out["passage"].astype(object)
    out["passage"] = passage.where(passage.notna() & (passage.astype(str).str.strip() != ""), out["id"]).astype(str)
    ratings = out[list(constants.SEVERITY_CRITERIA)].astype(float)
    out["case_severity"] = ratings.mean(axis=1)
    out["confidence_weight"] = out["confidence"].map(CONFIDENCE_WEIGHTS).fillna(UNKNOWN_CONFIDENCE_WEIGHT)
    out["recency_weight"] = recency_weight(out["year"], as_of) if "year" in out else UNKNOWN_YEAR_WEIGHT
    out["weight"] = out["confidence_weight"] * out["recency_weight"]
    return out


def _texts_per_cell(codes: np.ndarray, values: pd.Series, n_cells: int, limit: int | None = None) -> list[str]:
    """Per cell code, its distinct non-empty values in first-seen order as "a, b, c" (counted beyond ``limit``).

    One pass in plain Python over the rows: a pandas group-by with a function
    per group costs ~0.3 ms a group, seconds on a store with thousands of cells.
    """
    seen: list[dict[str, None]] = [{} for _ in range(n_cells)]
    for code, value in zip(codes.tolist(), values.tolist(), strict=True):
        if isinstance(value, str) and value.strip():
            seen[code][value] = None
    out = []
    for names in seen:
        items = list(names)
        if limit is not None and len(items) > limit:
            out.append(", ".join(items[:limit]) + f" and {len(items) - limit} more")
        else:
            out.append(", ".join(items))
    return out


def _case_cells(prepared: pd.DataFrame) -> pd.DataFrame:
    """One row per cell with cases: counts, the worst case, the weighted evidence and its provenance."""
    if prepared.empty:
        return pd.DataFrame(columns=[*KEYS, "n_cases"])
    # Case ids in order within each cell; group-bys below use pandas' built-in reductions only.
    ordered = prepared.sort_values([*KEYS, "id"], kind="stable").reset_index(drop=True)
    groups = ordered.groupby(KEYS, sort=True)
    codes = groups.ngroup().to_numpy()
    cells = groups.size().rename("n_cases").to_frame()
    n_cells = len(cells)
    # One passage counts once: its strongest case.
    passages = ordered.groupby([*KEYS, "passage"], sort=True)["weight"].max().groupby(KEYS, sort=True)
    cells["n_passages"] = passages.size()
    cells["evidence_weight"] = passages.sum()
    # The most severe case (the first id among equals).
    worst = (ordered.assign(_neg=-ordered["case_severity"]).sort_values([*KEYS, "_neg", "id"], kind="stable")
             .drop_duplicates(KEYS).set_index(KEYS))
    cells["severity"] = worst["case_severity"]
    cells["worst_case"] = worst["id"].astype(str)
    cells["worst_ratings"] = [f"scale {int(a)}, scope {int(b)}, irremediability {int(c)}"
                              for a, b, c in zip(worst["scale"], worst["scope"], worst["irremediability"],
                                                 strict=True)]
    ids = ordered["id"].astype(str).tolist()
    starts = np.r_[0, np.cumsum(cells["n_cases"].to_numpy())[:-1]]
    cells["case_ids"] = [tuple(ids[a:a + n]) for a, n in zip(starts, cells["n_cases"], strict=True)]
    empty = pd.Series([""] * len(ordered))
    cells["evidence_countries"] = _texts_per_cell(codes, ordered.get("country_name", empty), n_cells)
    sources = _texts_per_cell(codes, ordered.get("source_title", empty), n_cells)
    cells["case_sources"] = [tuple(t.split(", ")) if t else () for t in sources] if "source_title" in ordered \
        else [()] * n_cells
    years = pd.to_numeric(ordered["year"], errors="coerce") if "year" in ordered else pd.Series(np.nan, index=ordered.index)
    span = years.groupby(codes).agg(["min", "max", "count"])
    cells["years_text"] = [
        "year not stated" if not n else (f"{int(lo)}" if lo == hi else f"{int(lo)}–{int(hi)}")
        + ("" if n == size else f" ({size - n} without a year)")
        for lo, hi, n, size in zip(span["min"], span["max"], span["count"], cells["n_cases"], strict=True)]
    conf = ordered.groupby([codes, ordered["confidence"]], sort=True).size()
    texts: list[list[str]] = [[] for _ in range(n_cells)]
    for (code, label), n in conf.items():
        texts[int(code)].append(f"{int(n)} {label}")
    cells["confidence_text"] = [", ".join(t) for t in texts]
    cells["all_low_confidence"] = ordered["confidence"].isin(LOW_CONFIDENCE).groupby(codes).all().to_numpy()
    return cells.reset_index()


# --- flags and governance -----------------------------------------------------------------------

def flagged_cells(salient_risks: pd.DataFrame) -> pd.DataFrame:
    """Material × category × stage cells the report flags as salient (cross-cutting rows left out).

    ``salient_risks`` is ``queries.salient_risks()``: material (NULL = every
    material), category and a list of ``stages``.
    """
    if salient_risks.empty:
        return pd.DataFrame(columns=KEYS)
    own = salient_risks.dropna(subset=["material"])[["material", "category", "stages"]]
    cells = own.explode("stages").dropna(subset=["stages"]).rename(columns={"stages": "stage"})
    return cells[KEYS].drop_duplicates().reset_index(drop=True)


def stage_exposure(shares: pd.DataFrame) -> pd.DataFrame:
    """Governance exposure G (0–1) per material and stage from producing countries and WGI scores.

    Parameters
    ----------
    shares : pandas.DataFrame
        One row per producing country (``concentration.stage_shares``):
        material, stage, country_name, share_pct, wgi_score (NaN when the
        country lacks one of the six estimates), year, wgi_year,
        source_title, wgi_source.

    Returns
    -------
    pandas.DataFrame
        material, stage, governance (Σ share × score / Σ share over scored
        countries, / 10), covered_pct (share of world production with a
        score), producers_text (the three largest producers with share and
        score), production_year, wgi_year, stage_sources (tuple of titles).
    """
    columns = ["material", "stage", "governance", "covered_pct", "producers_text", "production_year",
               "wgi_year", "stage_sources"]
    if shares.empty:
        return pd.DataFrame(columns=columns)
    # Plain Python over the rows (a few thousand): a pandas group per material and stage costs ~5 ms.
    ordered = shares.sort_values(["material", "stage", "share_pct"], ascending=[True, True, False], kind="stable")
    wgi_source = ordered["wgi_source"] if "wgi_source" in ordered else pd.Series([None] * len(ordered))
    acc: dict[tuple[str, str], dict[str, Any]] = {}
    for mat, stage, name, share, score, year, wgi_year, title, wgi_title in zip(
            ordered["material"], ordered["stage"], ordered["country_name"], ordered["share_pct"],
            ordered["wgi_score"], ordered["year"], ordered["wgi_year"], ordered["source_title"], wgi_source,
            strict=True):
        row = acc.setdefault((mat, stage), {"num": 0.0, "covered": 0.0, "top": [], "year": year,
                                             "wgi_year": None, "sources": {}})
        if not pd.isna(share) and not pd.isna(score):
            row["num"] += float(share) * float(score)
            row["covered"] += float(share)
        if len(row["top"]) < 3:
            row["top"].append(f"{name} {share:.0f} %" + (f" (WGI risk {score:.1f})" if not pd.isna(score)
                                                         else " (no WGI score)"))
        if row["wgi_year"] is None and not pd.isna(wgi_year):
            row["wgi_year"] = int(wgi_year)
        for t in (title, wgi_title):
            if isinstance(t, str) and t:
                row["sources"][t] = None
    rows = [{"material": mat, "stage": stage,
             "governance": row["num"] / row["covered"] / 10.0 if row["covered"] > 0 else float("nan"),
             "covered_pct": row["covered"], "producers_text": "; ".join(row["top"]),
             "production_year": None if pd.isna(row["year"]) else int(row["year"]), "wgi_year": row["wgi_year"],
             "stage_sources": tuple(row["sources"])} for (mat, stage), row in acc.items()]
    return pd.DataFrame(rows, columns=columns)


# --- cells ---------------------------------------------------------------------------------------

def likelihood_from(evidence: pd.Series, governance: pd.Series) -> pd.Series:
    """Likelihood 1–5 from evidence E and governance G (both 0–1): 1 + 4 × mean of the known parts."""
    both = pd.concat([evidence.astype(float), governance.astype(float)], axis=1)
    return 1.0 + 4.0 * both.mean(axis=1, skipna=True)


def salience_cells(cases: pd.DataFrame, salient_risks: pd.DataFrame, shares: pd.DataFrame,
                   as_of: int) -> pd.DataFrame:
    """Every material × risk category × stage cell with cases or a salient-risk flag, scored and explained.

    Parameters
    ----------
    cases : pandas.DataFrame
        Evidence cases (see :func:`prepare_cases`).
    salient_risks : pandas.DataFrame
        ``queries.salient_risks()`` rows (see :func:`flagged_cells`).
    shares : pandas.DataFrame
        Producing countries per material and stage (see :func:`stage_exposure`).
    as_of : int
        The year recency is measured from (the current year on the pages).

    Returns
    -------
    pandas.DataFrame
        One row per cell, columns ``CELL_COLUMNS``, ordered by material,
        category and stage as ``constants`` orders them.  ``status`` is
        "rated" (has cases) or "gap" (flagged, no rated case: severity and
        salience NaN).  ``case_ids`` is a tuple, ``sources`` a tuple of
        titles, ``missing_inputs`` a readable list ("" when none),
        ``uncertain`` the cell's 0–1 share resting on gaps or weak inputs.
    """
    prepared = prepare_cases(cases, as_of)
    with_cases = _case_cells(prepared)
    flags = flagged_cells(salient_risks).assign(flagged=True)
    cells = with_cases.merge(flags, on=KEYS, how="outer")
    if cells.empty:
        return pd.DataFrame(columns=list(CELL_COLUMNS))
    cells["flagged"] = cells["flagged"].astype("boolean").fillna(False).astype(bool)
    cells["n_cases"] = cells["n_cases"].fillna(0).astype(int)
    cells["n_passages"] = cells["n_passages"].fillna(0).astype(int)
    cells["status"] = np.where(cells["n_cases"] > 0, RATED, GAP)
    cells["evidence_weight"] = cells["evidence_weight"].astype(float).fillna(0.0)
    cells["evidence"] = (cells["evidence_weight"] / FREQUENCY_SATURATION).clip(upper=1.0)
    for column in ("worst_case", "worst_ratings", "evidence_countries", "confidence_text"):
        cells[column] = cells[column].fillna("") if column in cells else ""
    cells["years_text"] = cells["years_text"].fillna("no case") if "years_text" in cells else "no case"
    cells["case_ids"] = [ids if isinstance(ids, tuple) else () for ids in cells.get("case_ids", [()] * len(cells))]
    cells["case_sources"] = [s if isinstance(s, tuple) else () for s in cells.get("case_sources", [()] * len(cells))]
    cells["all_low_confidence"] = cells.get("all_low_confidence", False)
    cells["all_low_confidence"] = cells["all_low_confidence"].astype("boolean").fillna(False).astype(bool)

    exposure = stage_exposure(shares)
    cells = cells.merge(exposure, on=["material", "stage"], how="left")
    cells["stage_sources"] = [s if isinstance(s, tuple) else () for s in cells["stage_sources"]]
    cells["governance"] = cells["governance"].astype(float)
    cells["producers_text"] = cells["producers_text"].fillna(NO_GOVERNANCE)
    # A gap has no rated case, so neither part of its likelihood is known from cases: it is not
    # scored (its governance part stays listed), never read as "unlikely".
    cells["evidence"] = cells["evidence"].where(cells["status"] == RATED)
    cells["likelihood"] = likelihood_from(cells["evidence"], cells["governance"]).where(cells["status"] == RATED)
    cells["severity"] = cells["severity"].astype(float)
    cells["salience"] = cells["severity"] * cells["likelihood"]  # NaN for a gap: no severity, no salience
    cells["sources"] = [tuple(dict.fromkeys([*a, *b])) for a, b in zip(cells["case_sources"], cells["stage_sources"],
                                                                       strict=True)]
    cells["cases_text"] = [_cases_text(ids) for ids in cells["case_ids"]]
    no_gov = cells["governance"].isna()
    gap = cells["status"] == GAP
    cells["missing_inputs"] = [
        "; ".join(part for part, on in (("no rated case: severity unknown", g), (NO_GOVERNANCE, n),
                                        ("every case inferred", low)) if on)
        for g, n, low in zip(gap, no_gov, cells["all_low_confidence"], strict=True)]
    cells["uncertain"] = np.where(gap, 1.0, 0.5 * no_gov + 0.5 * cells["all_low_confidence"])
    return _ordered(cells)[list(CELL_COLUMNS)]


def _cases_text(ids: tuple[str, ...]) -> str:
    if not ids:
        return "none"
    named = ", ".join(ids[:CASES_NAMED])
    return named + (f" and {len(ids) - CASES_NAMED} more" if len(ids) > CASES_NAMED else "")


def _ordered(cells: pd.DataFrame) -> pd.DataFrame:
    """Cells in the constants' order of categories and stages (materials as they come, by slug order)."""
    cat = {c: i for i, c in enumerate(constants.RISK_CATEGORY_SLUGS)}
    stg = {s: i for i, s in enumerate(constants.STAGE_SLUGS)}
    keyed = cells.assign(_c=cells["category"].map(cat).fillna(99), _s=cells["stage"].map(stg).fillna(99))
    return keyed.sort_values(["material", "_c", "_s"], kind="stable").drop(columns=["_c", "_s"]).reset_index(drop=True)


# --- per material --------------------------------------------------------------------------------

def material_salience(cells: pd.DataFrame, top: int = TOP_CELLS) -> pd.DataFrame:
    """The ``salience`` and ``likelihood`` criteria of each material, with what they rest on.

    Returns
    -------
    pandas.DataFrame
        Index material; ``salience`` (mean of the ``top`` most salient rated
        cells, NaN when none is rated), ``likelihood`` (mean likelihood of the
        same cells), ``n_rated``, ``n_gaps``, ``top_cells`` (readable list),
        ``uncertain`` (0–1, see the module docstring; 1 when nothing is rated).
    """
    columns = ["salience", "likelihood", "n_rated", "n_gaps", "top_cells", "uncertain"]
    if cells.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="material"))
    materials = pd.Index(cells["material"].drop_duplicates(), name="material")
    rated = cells[cells["status"] == RATED].sort_values(["material", "salience"], ascending=[True, False],
                                                        kind="stable")
    best = rated.groupby("material", sort=False).head(top)
    out = pd.DataFrame(index=materials)
    out["salience"] = best.groupby("material")["salience"].mean()
    out["likelihood"] = best.groupby("material")["likelihood"].mean()
    out["n_rated"] = rated.groupby("material").size().reindex(materials).fillna(0).astype(int)
    out["n_gaps"] = (cells["status"] == GAP).groupby(cells["material"]).sum().reindex(materials).astype(int)
    labels: dict[str, list[str]] = {}
    for mat, cat, stage, value in zip(best["material"], best["category"], best["stage"], best["salience"],
                                      strict=True):
        labels.setdefault(mat, []).append(f"{constants.RISK_CATEGORY_SHORT.get(cat, cat)} at "
                                          f"{constants.STAGE_SHORT.get(stage, stage).lower()} {value:.1f}")
    out["top_cells"] = ["; ".join(labels.get(m, [])) for m in materials]
    mean_uncertain = cells.groupby("material")["uncertain"].mean().reindex(materials)
    out["uncertain"] = mean_uncertain.where(out["n_rated"] > 0, 1.0)
    return out[columns]


def across_materials(cells: pd.DataFrame) -> pd.DataFrame:
    """One cell per material × category: its most salient stage (gaps when no stage is rated).

    Returns the rows of :func:`salience_cells` that represent each material ×
    category, with ``n_stages`` (stages recorded) and ``stages_text`` (each
    stage with its salience or "gap", most salient first).
    """
    if cells.empty:
        return cells.assign(n_stages=pd.Series(dtype=int), stages_text=pd.Series(dtype=str))
    ordered = cells.assign(_rank=cells["salience"].fillna(-1.0)).sort_values(
        ["material", "category", "_rank"], ascending=[True, True, False], kind="stable")
    best = ordered.drop_duplicates(["material", "category"]).drop(columns=["_rank"])
    texts: dict[tuple[str, str], list[str]] = {}
    for mat, cat, stage, value in zip(ordered["material"], ordered["category"], ordered["stage"],
                                      ordered["salience"], strict=True):
        texts.setdefault((mat, cat), []).append(f"{constants.STAGE_SHORT.get(stage, stage)} "
                                                + (f"{value:.1f}" if not pd.isna(value) else GAP))
    keys = list(zip(best["material"], best["category"], strict=True))
    out = best.assign(n_stages=[len(texts[k]) for k in keys], stages_text=["; ".join(texts[k]) for k in keys])
    return _ordered(out)


def value_text(value: float, digits: int = 1) -> str:
    """A score as the heat map labels it; a gap reads ``constants.SALIENCE_GAP_LABEL``."""
    return constants.SALIENCE_GAP_LABEL if value is None or pd.isna(value) else f"{value:.{digits}f}"


def cell_inputs(cell: Mapping[str, Any], cases: pd.DataFrame | None = None) -> pd.DataFrame:
    """The inputs of one cell as a two-column table (what, value), for the page's "why" table.

    ``cases`` (optional) are the cell's own case rows (id, country_name,
    year, scale, scope, irremediability, source_title, confidence); given, one
    line per case follows the summary lines.
    """
    def num(value: Any, digits: int = 2) -> str:
        return constants.MISSING if value is None or pd.isna(value) else f"{float(value):.{digits}f}"

    gap = cell["status"] == GAP
    lines = [
        ("Severity (1–5)", "no rated case: " + constants.MISSING if gap
         else f"{num(cell['severity'])}: worst case {cell['worst_case']} ({cell['worst_ratings']})"),
        ("Cases", f"{int(cell['n_cases'])} in {int(cell['n_passages'])} passage(s): {cell['cases_text']}"),
        ("Evidence part E (0–1)", "no case" if gap else f"{num(cell['evidence'])} = min(1, weighted cases "
                                  f"{num(cell['evidence_weight'])} / {FREQUENCY_SATURATION:g})"),
        ("Case years", str(cell["years_text"])),
        ("Case confidence", str(cell["confidence_text"]) or "—"),
        ("Countries in the cases", str(cell["evidence_countries"]) or "not stated"),
        ("Governance part G (0–1)", NO_GOVERNANCE if pd.isna(cell["governance"])
         else f"{num(cell['governance'])}: share-weighted WGI risk / 10, {num(cell['covered_pct'], 0)} % of "
              f"production scored"),
        ("Producing countries", str(cell["producers_text"])),
        ("Production and WGI years", _years_text(cell.get("production_year"), cell.get("wgi_year"))),
        ("Likelihood (1–5)", "not scored: no rated case" if gap else f"{num(cell['likelihood'])} = 1 + 4 × "
                             + ("E" if pd.isna(cell["governance"]) else "(E + G) / 2")),
        ("Salience (1–25)", "gap: " + constants.MISSING if gap
         else f"{num(cell['salience'])} = severity × likelihood"),
        ("Flagged by the report", "yes" if cell["flagged"] else "no"),
        ("Missing or weak inputs", str(cell["missing_inputs"]) or "none"),
        ("Sources", "; ".join(cell["sources"]) or constants.MISSING),
    ]
    if cases is not None and not cases.empty:
        for row in cases.itertuples(index=False):
            year = getattr(row, "year", None)
            lines.append((f"Case {row.id}", f"scale {int(row.scale)}, scope {int(row.scope)}, irremediability "
                          f"{int(row.irremediability)}; {getattr(row, 'country_name', None) or 'country not stated'}; "
                          f"{int(year) if year is not None and not pd.isna(year) else 'year not stated'}; "
                          f"confidence {getattr(row, 'confidence', None) or UNKNOWN_CONFIDENCE}; "
                          f"{getattr(row, 'source_title', '')}"))
    return pd.DataFrame(lines, columns=["Input", "Value"])


def _years_text(production: Any, wgi: Any) -> str:
    parts = []
    if production is not None and not pd.isna(production):
        parts.append(f"production {int(production)}")
    if wgi is not None and not pd.isna(wgi):
        parts.append(f"WGI {int(wgi)}")
    return ", ".join(parts) or constants.MISSING
