"""How far a workshop's participants agree: Kendall's W over their rankings, and the criteria most apart (pure).

**Kendall's W** (coefficient of concordance, Kendall & Babington Smith 1939)
measures how alike *m* participants rank the same *n* materials: 1 when
every participant ranks them in the same order, 0 when the rank sums of the
materials are all equal (no common order at all).  With ``R_i`` the sum of
the ranks material *i* received and ``S = Σ (R_i − mean R)²``::

    W = 12 S / (m² (n³ − n) − m Σ_j T_j),    T_j = Σ (t³ − t) over tied groups of participant j

Tied materials get the mean of the places they cover (mid-ranks), and the
``T_j`` term is the usual tie correction: without it, a group whose members
each tie some materials could never reach W = 1.  Each participant's
ranking is the one their own weights give (``group_result.own_ranking``'s
order, by score); equal scores are a tie.

W is **undefined** with fewer than 2 participants or fewer than 2
materials (one ranking agrees with itself), and when every participant ties
every material (the denominator is 0); it is then ``None`` and shown as "not
enough answers".

**Bands** (``BANDS``): W below 0.3 reads as *low*, 0.3 up to 0.7 as
*moderate*, 0.7 and above as *high* agreement.  These limits are a
convention, not a test: a rule of thumb of this app, chosen so the room sees
three plain words; a review that needs finer readings should look at W itself.

**Most disagreed criteria** (``most_disagreed``): the criteria whose weight
shares have the largest standard deviation among participants, at most
``TOP_DISAGREED``, leaving out those on which everyone gave the same share.

``summary`` returns both as one JSON-ready dict, which ``GroupResult``
keeps and a closed workshop's record freezes.  No store, no streamlit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

LOW, MODERATE, HIGH = "low", "moderate", "high"
# (lower limit, band), highest first: W ≥ 0.7 is high, 0.3 ≤ W < 0.7 moderate, below 0.3 low.
BANDS: tuple[tuple[float, str], ...] = ((0.7, HIGH), (0.3, MODERATE), (0.0, LOW))
TOP_DISAGREED = 3
MIN_RATERS = 2
MIN_ITEMS = 2
# Scores are sums of float products: equal scores may differ in the last bits, and should tie.
SCORE_DECIMALS = 9


def kendall_w(ranks: np.ndarray | pd.DataFrame) -> float | None:
    """Kendall's W, tie-corrected, of a participants × materials table of ranks (or of scores' ranks).

    Parameters
    ----------
    ranks : array-like, shape (m participants, n materials)
        Each row one participant's ranks (1 = first); ties as mid-ranks
        (e.g. 1.5, 1.5, 3).  Use ``mid_ranks`` to get them from scores.

    Returns
    -------
    float or None
        W in [0, 1]; None when undefined (m < 2, n < 2, or everyone ties everything).
    """
    r = np.asarray(ranks, dtype=float)
    if r.ndim != 2:
        raise ValueError("Kendall's W needs a table: one row per participant, one column per material.")
    m, n = r.shape
    if m < MIN_RATERS or n < MIN_ITEMS:
        return None
    totals = r.sum(axis=0)
    s = float(((totals - totals.mean()) ** 2).sum())
    ties = 0.0
    for row in r:
        _, counts = np.unique(row, return_counts=True)
        ties += float((counts ** 3 - counts).sum())
    denominator = m ** 2 * (n ** 3 - n) - m * ties
    if denominator <= 0:
        return None
    # Rounding keeps an exact agreement at 1.0 rather than 0.9999999999.
    return float(min(1.0, max(0.0, round(12 * s / denominator, 12))))


def band(w: float | None) -> str | None:
    """"low", "moderate" or "high" for a W (``BANDS``); None when W is undefined."""
    if w is None:
        return None
    return next(name for limit, name in BANDS if w >= limit)


def mid_ranks(participant_ranks: pd.DataFrame, materials: list[str] | None = None) -> pd.DataFrame:
    """Participants × materials mid-ranks from the long ``participant``, ``material``, ``score`` frame.

    Higher score = better = rank 1; equal scores (to ``SCORE_DECIMALS``) share
    the mean of their places.  ``materials`` fixes the column order.
    """
    if participant_ranks.empty:
        return pd.DataFrame(columns=materials or [], dtype=float)
    wide = participant_ranks.pivot(index="participant", columns="material", values="score")
    if materials is not None:
        wide = wide.reindex(columns=materials)
    return wide.round(SCORE_DECIMALS).rank(axis=1, ascending=False, method="average")


def most_disagreed(spread: pd.DataFrame, top: int = TOP_DISAGREED) -> list[dict[str, Any]]:
    """The criteria whose shares are furthest apart: [{"criterion", "std"}], largest first, at most ``top``.

    ``spread`` is ``GroupResult.spread`` (a ``criterion`` and a ``std`` column
    of the shares, 0-1).  Criteria with no spread (std 0 or unknown) are left
    out; equal spreads keep the workshop's order of criteria.
    """
    present = spread.loc[spread["std"].notna() & (spread["std"] > 0), ["criterion", "std"]]
    ordered = present.sort_values("std", ascending=False, kind="stable").head(top)
    return [{"criterion": str(c), "std": float(s)} for c, s in ordered.itertuples(index=False, name=None)]


def summary(participant_ranks: pd.DataFrame, spread: pd.DataFrame, materials: list[str]) -> dict[str, Any]:
    """The consensus figures of a group result, JSON-ready.

    Keys: ``w`` (float or None), ``band`` (str or None), ``participants``
    and ``materials`` (the m and n W was computed over), ``bands`` (the
    limits used) and ``most_disagreed`` (``most_disagreed``'s list).
    """
    ranks = mid_ranks(participant_ranks, materials)
    w = kendall_w(ranks.to_numpy()) if not ranks.empty else None
    return {"w": w, "band": band(w), "participants": int(ranks.shape[0]), "materials": int(len(materials)),
            "bands": {name: limit for limit, name in BANDS},
            "most_disagreed": most_disagreed(spread)}
