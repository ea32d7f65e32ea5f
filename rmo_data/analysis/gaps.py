"""Gaps in the decision: how much of each material's score rests on missing or weak inputs.

Two figures per material of a ranking:

* **Gap share** (0–1, shown as a percent): the share of the material's
  weights that rests on inputs with no data recorded (imputed, or left out
  when gaps are left out) or on low-confidence inputs:
  Σ weight × uncertain / Σ weight, where ``uncertain`` is 1 for a missing
  value and, for salience and likelihood, the salience module's share of
  gaps and weak inputs behind the value (``CriteriaData.uncertain``).  It is
  a share of the weights, not of the score, so it does not depend on the
  imputation rule.
* **Rests on gaps** (a flag): a material in the top ``top`` whose place
  depends on imputed values: with its own imputed values at the lowest
  normalised value (0, the worst case for its place), everything else
  unchanged, it would rank below the top.  Leaving gaps out imputes
  nothing, so there the flag is never raised; the gap share still says how
  much weight was dropped.

Pure pandas; no streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from rmo_data import constants
from rmo_data.analysis.scoring import ranking, row_weights

GAP_COLUMNS = ("gap_share", "imputed", "rank", "worst_rank", "rests_on_gaps", "gap_flag")


def gap_analysis(normalised: pd.DataFrame, weights: Mapping[str, float], missing: pd.DataFrame,
                 uncertain: pd.DataFrame | None = None, top: int = constants.TOP_N,
                 leave_gaps_out: bool = False) -> pd.DataFrame:
    """Gap share and the top-place flag of every material ranked.

    Parameters
    ----------
    normalised : pandas.DataFrame
        Normalised criteria with gaps imputed (``scoring.normalise``).
    weights : mapping of str to float
        The weights (any scale).
    missing : pandas.DataFrame of bool
        True where the raw value is missing.
    uncertain : pandas.DataFrame, optional
        0–1 per material and criterion (``CriteriaData.uncertain``); ``missing``
        as 0/1 when omitted.
    top : int
        Size of the top group (3).
    leave_gaps_out : bool
        The ranking leaves gaps out (nothing imputed, so nothing is flagged).

    Returns
    -------
    pandas.DataFrame
        Index material (ranking order); ``GAP_COLUMNS``: ``gap_share`` (0–1),
        ``imputed`` (labels of the weighted criteria with no data recorded, or
        "—"), ``rank``, ``worst_rank`` (rank with its imputed values at 0; the
        rank itself when nothing is imputed), ``rests_on_gaps`` (bool) and
        ``gap_flag`` (a sentence, "" when not flagged).

    Raises ValueError (from ``scoring.normalise_weights``) when all weights are zero.
    """
    cols = list(normalised.columns)
    gaps = missing.reindex(index=normalised.index, columns=cols).fillna(False).astype(bool)
    weak = (uncertain.reindex(index=normalised.index, columns=cols).fillna(0.0).clip(0.0, 1.0)
            if uncertain is not None else gaps.astype(float))
    weak = weak.where(~gaps, 1.0)
    nominal = row_weights(normalised, weights)  # the user's weights, before any gap is left out
    share = (nominal * weak).sum(axis=1)
    ranked = ranking(normalised, weights, gaps if leave_gaps_out else None)
    weighted = [c for c in cols if float(nominal[c].iloc[0]) > 0] if len(nominal) else []
    out = pd.DataFrame(index=ranked.index)
    out["gap_share"] = share.reindex(ranked.index)
    out["imputed"] = [", ".join(constants.CRITERION_LABELS.get(c, c) for c in weighted if gaps.at[m, c]) or "—"
                      for m in ranked.index]
    out["rank"] = ranked["rank"]
    worst = ranked["rank"].copy()
    if not leave_gaps_out:
        for mat in ranked.index[ranked["rank"] <= top]:
            holes = [c for c in weighted if gaps.at[mat, c]]
            if not holes:
                continue
            lowered = normalised.copy()
            lowered.loc[mat, holes] = 0.0
            worst[mat] = int(ranking(lowered, weights).at[mat, "rank"])
    out["worst_rank"] = worst.astype(int)
    out["rests_on_gaps"] = (out["rank"] <= top) & (out["worst_rank"] > top)
    out["gap_flag"] = [
        f"Top-{top} place rests on gaps: with its {imp.lower()} at the lowest value it would rank {w}."
        if flag else "" for flag, imp, w in zip(out["rests_on_gaps"], out["imputed"], out["worst_rank"],
                                                strict=True)]
    return out[list(GAP_COLUMNS)]


def flagged_names(gaps: pd.DataFrame, labels: Mapping[str, str]) -> list[str]:
    """Names of the materials whose top place rests on gaps, in ranking order."""
    return [labels.get(m, m) for m in gaps.index[gaps["rests_on_gaps"]]]
