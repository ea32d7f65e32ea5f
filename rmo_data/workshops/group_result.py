"""A workshop's group result: the participants' weights aggregated, and where they disagree (pure).

Aggregation (``aggregate_from``):

* every participant's weights are rescaled to sum 1 (their *shares*);
* the **group weights** are the mean of the shares, so every participant
  counts the same however many points they handed out; the **group
  ranking** is ``scoring.ranking`` with those weights on criteria scaled
  0-1 across the workshop's materials (``scoring.normalise``);
* the **Borda count** ranks each material by each participant's own
  ranking: with *n* materials, first place earns *n* − 1 points and last
  place 0; tied materials share the points of the places they cover.  It
  shows whether the mean of weights hides a split group;
* the **spread** per criterion (mean, standard deviation, quartiles of the
  shares) and per material (best, median and worst rank among
  participants) is where disagreement shows; a criterion whose shares have
  a standard deviation of at least ``WEIGHT_STD_FLAG``, or a material whose
  ranks span at least ``RANK_RANGE_FLAG`` places, is flagged;
* the **model default** is the balanced preset (equal weights) on the same
  criteria and materials;
* the **consensus** (``consensus.summary``) is Kendall's W over the
  participants' own rankings, read as low / moderate / high, and the (at
  most three) criteria whose shares are furthest apart.  A result read from
  a record frozen before it existed has ``consensus`` None ("not computed
  when this workshop closed").

``GroupResult.to_record`` / ``from_record`` turn a result into JSON-ready
data and back, which is how a closed workshop's result is frozen.
``own_ranking`` is one participant's ranking with their own weights.  No
store, no streamlit.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rmo_data import constants
from rmo_data.analysis import scoring
from rmo_data.workshops import consensus as concordance

# Disagreement thresholds (documented on the page).
WEIGHT_STD_FLAG = 0.05  # standard deviation of a criterion's share of the score (0-1)
RANK_RANGE_FLAG = 3  # worst rank minus best rank among participants

RANKING_COLUMNS = ["material", "name", "score", "rank", "borda_points", "borda_rank", "default_score",
                   "default_rank", "rank_best", "rank_median", "rank_worst", "rank_range",
                   "flagged_by", "disagree"]
SPREAD_COLUMNS = ["criterion", "mean", "std", "min", "q1", "median", "q3", "max", "iqr", "disagree"]
SHARE_COLUMNS = ["participant", "criterion", "weight", "share"]
PRANK_COLUMNS = ["participant", "material", "score", "rank", "borda_points"]


@dataclass
class GroupResult:
    """What a workshop's participants decided together, in plain frames.

    Attributes
    ----------
    code, name : str
        The workshop.
    materials, criteria : list of str
        Materials ranked (those of the workshop the store holds) and criteria weighed.
    names : dict
        Display name of every material, as at aggregation time.
    n : int
        Number of participants who submitted.
    group_weights, default_weights : dict of str to float
        Mean of the participants' shares (sum 1; empty with no submission),
        and the balanced preset's shares.
    ranking : pandas.DataFrame
        One row per material, group rank first (``RANKING_COLUMNS``, then one
        contribution column per criterion slug that adds up to ``score``).
        Group columns are empty when nobody submitted.
    spread : pandas.DataFrame
        Per criterion: statistics of the participants' shares (``SPREAD_COLUMNS``).
    shares : pandas.DataFrame
        Long: every participant's weight (0-10) and share (0-1) per criterion.
    participant_ranks : pandas.DataFrame
        Long: every participant's own score, rank and Borda points per material.
    sources, years : list
        Sources and data years behind the criteria.
    missing_materials : list of str
        Workshop materials the store no longer holds (left out of the ranking).
    thresholds : dict
        The disagreement thresholds used.
    consensus : dict or None
        ``consensus.summary``: Kendall's W (``w``, None when undefined), its
        ``band``, and ``most_disagreed`` criteria; None for a record frozen
        before the figure existed.
    """

    code: str
    name: str
    materials: list[str]
    criteria: list[str]
    names: dict[str, str]
    n: int
    group_weights: dict[str, float]
    default_weights: dict[str, float]
    ranking: pd.DataFrame
    spread: pd.DataFrame
    shares: pd.DataFrame
    participant_ranks: pd.DataFrame
    sources: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    missing_materials: list[str] = field(default_factory=list)
    thresholds: dict[str, float] = field(default_factory=lambda: {
        "weight_std": WEIGHT_STD_FLAG, "rank_range": RANK_RANGE_FLAG})
    consensus: dict[str, Any] | None = None

    FRAMES = ("ranking", "spread", "shares", "participant_ranks")

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN as null) that ``from_record`` turns back into the same result."""
        out: dict[str, Any] = {k: getattr(self, k) for k in (
            "code", "name", "materials", "criteria", "names", "n", "group_weights", "default_weights",
            "sources", "years", "missing_materials", "thresholds", "consensus")}
        for frame in self.FRAMES:
            df = getattr(self, frame)
            out[frame] = {"columns": list(df.columns), "rows": [
                [_plain(v) for v in row] for row in df.itertuples(index=False, name=None)]}
        return json.loads(json.dumps(out, allow_nan=False, default=_plain))

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> GroupResult:
        """The result stored by ``to_record`` (a frozen workshop's, for instance)."""
        frames = {f: pd.DataFrame(record[f]["rows"], columns=record[f]["columns"]) for f in cls.FRAMES}
        for df in frames.values():
            for col in df.columns:
                # JSON null stands for NaN; a column of nothing but nulls (no submission) is numeric.
                if len(df) and df[col].isna().all():
                    df[col] = df[col].astype(float)
        plain = {k: record[k] for k in ("code", "name", "materials", "criteria", "names", "n",
                                        "group_weights", "default_weights", "sources", "years",
                                        "missing_materials", "thresholds")}
        # Records frozen before the consensus figure existed have none: None, never recomputed.
        return cls(**plain, **frames, consensus=record.get("consensus"))

    def pack_weights(self) -> dict[str, float]:
        """Group weights as percentages (one decimal), the form a briefing pack prints."""
        return {c: round(100 * w, 1) for c, w in self.group_weights.items()}

    def group_order(self) -> list[str]:
        """Materials in group order (default order when nobody submitted)."""
        column = "rank" if self.n else "default_rank"
        return self.ranking.sort_values([column], kind="stable")["material"].tolist()


def _plain(value: Any) -> Any:
    """A JSON-friendly scalar: numpy numbers to Python, NaN to None, times to ISO text."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def borda_points(ranks: pd.Series) -> pd.Series:
    """Borda points from one ranking: n − 1 for first place down to 0 for last.

    Materials that tie share the points of the places they cover (the mean),
    so every ranking hands out the same n(n − 1)/2 points.

    Parameters
    ----------
    ranks : pandas.Series
        Scores or ranks do not matter here: pass the *scores* (higher = better).
    """
    n = len(ranks)
    position = ranks.rank(ascending=False, method="average")  # 1 = best, ties averaged
    return (n - position).astype(float)


def aggregate_from(workshop: Mapping[str, Any], submissions: pd.DataFrame,
                   criteria: scoring.CriteriaData) -> GroupResult:
    """Aggregate submissions into a group result (pure; see the module docstring for the method).

    Parameters
    ----------
    workshop : mapping
        code, name, materials, criteria (as ``get_workshop`` returns).
    submissions : pandas.DataFrame
        participant, weights (dict), flagged (list), submitted_at.
    criteria : scoring.CriteriaData
        Criterion values of the store; only the workshop's materials and
        criteria are used and scaled 0-1 among themselves.
    """
    crits = list(workshop["criteria"])
    held = [m for m in workshop["materials"] if m in criteria.raw.index]
    missing = [m for m in workshop["materials"] if m not in criteria.raw.index]
    raw = criteria.raw.loc[held, crits]
    norm = scoring.normalise(raw)
    context_names = criteria.context["name"].to_dict() if "name" in criteria.context else {}
    names = {m: str(context_names.get(m, constants.MATERIAL_LABELS.get(m, m))) for m in held}

    default_weights = {c: float(constants.WEIGHT_PRESETS["balanced"].get(c, constants.WEIGHT_DEFAULT)) for c in crits}
    default = scoring.ranking(norm, default_weights)
    default_shares = scoring.normalise_weights(default_weights, crits)

    share_rows, rank_rows = [], []
    for sub in submissions.itertuples(index=False):
        weights = {c: float(sub.weights.get(c, 0)) for c in crits}
        shares = scoring.normalise_weights(weights, crits)
        for c in crits:
            share_rows.append({"participant": sub.participant, "criterion": c, "weight": weights[c],
                               "share": float(shares[c])})
        own = scoring.ranking(norm, weights)
        points = borda_points(own["score"])
        for m in held:
            rank_rows.append({"participant": sub.participant, "material": m,
                              "score": float(own.at[m, "score"]), "rank": int(own.at[m, "rank"]),
                              "borda_points": float(points[m])})
    shares_long = pd.DataFrame(share_rows, columns=SHARE_COLUMNS)
    pranks = pd.DataFrame(rank_rows, columns=PRANK_COLUMNS)
    n = int(len(submissions))

    flag_counts = {m: 0 for m in held}
    for flagged in submissions["flagged"] if n else []:
        for m in flagged:
            if m in flag_counts:
                flag_counts[m] += 1

    ranking = pd.DataFrame({"material": held, "name": [names[m] for m in held]})
    ranking["default_score"] = ranking["material"].map(default["score"]).astype(float)
    ranking["default_rank"] = ranking["material"].map(default["rank"]).astype(int)
    ranking["flagged_by"] = ranking["material"].map(flag_counts).astype(int)
    if n:
        group_weights = shares_long.groupby("criterion", sort=False)["share"].mean().reindex(crits)
        group = scoring.ranking(norm, group_weights.to_dict())
        ranking["score"] = ranking["material"].map(group["score"]).astype(float)
        ranking["rank"] = ranking["material"].map(group["rank"]).astype(int)
        totals = pranks.groupby("material")["borda_points"].sum()
        ranking["borda_points"] = ranking["material"].map(totals).astype(float)
        ranking["borda_rank"] = ranking["borda_points"].rank(ascending=False, method="min").astype(int)
        stats = pranks.groupby("material")["rank"].agg(["min", "median", "max"])
        ranking["rank_best"] = ranking["material"].map(stats["min"]).astype(int)
        ranking["rank_median"] = ranking["material"].map(stats["median"]).astype(float)
        ranking["rank_worst"] = ranking["material"].map(stats["max"]).astype(int)
        ranking["rank_range"] = ranking["rank_worst"] - ranking["rank_best"]
        ranking["disagree"] = ranking["rank_range"] >= RANK_RANGE_FLAG
        contrib = norm.mul(group_weights, axis=1)
        for c in crits:
            ranking[c] = ranking["material"].map(contrib[c]).astype(float)
        # Group rank first; the display order of materials breaks ties, as in scoring.ranking.
        order = {m: i for i, m in enumerate(group.index)}
        ranking = ranking.sort_values("material", key=lambda s: s.map(order), kind="stable")
        group_w = {c: float(group_weights[c]) for c in crits}
    else:
        for col in ("score", "rank", "borda_points", "borda_rank", "rank_best", "rank_median",
                    "rank_worst", "rank_range"):
            ranking[col] = np.nan
        ranking["disagree"] = False
        for c in crits:
            ranking[c] = np.nan
        ranking = ranking.sort_values("default_rank", kind="stable")
        group_w = {}
    ranking = ranking[[*RANKING_COLUMNS, *crits]].reset_index(drop=True)

    spread_rows = []
    for c in crits:
        values = shares_long.loc[shares_long["criterion"] == c, "share"].to_numpy(dtype=float)
        if len(values):
            q1, median, q3 = np.percentile(values, [25, 50, 75])
            std = float(values.std(ddof=0))  # spread among those present, defined for one participant
            spread_rows.append({"criterion": c, "mean": float(values.mean()), "std": std,
                                "min": float(values.min()), "q1": float(q1), "median": float(median),
                                "q3": float(q3), "max": float(values.max()), "iqr": float(q3 - q1),
                                "disagree": bool(std >= WEIGHT_STD_FLAG)})
        else:
            spread_rows.append({"criterion": c, "mean": float(default_shares[c]), "std": np.nan,
                                "min": np.nan, "q1": np.nan, "median": np.nan, "q3": np.nan,
                                "max": np.nan, "iqr": np.nan, "disagree": False})
    spread = pd.DataFrame(spread_rows, columns=SPREAD_COLUMNS)

    sources = sorted({s for c in crits for s in criteria.sources.get(c, [])})
    years = sorted({int(y) for c in crits for y in criteria.years.get(c, [])})
    return GroupResult(
        code=str(workshop["code"]), name=str(workshop["name"]), materials=held, criteria=crits,
        names=names, n=n, group_weights=group_w,
        default_weights={c: float(default_shares[c]) for c in crits},
        ranking=ranking, spread=spread, shares=shares_long, participant_ranks=pranks,
        sources=sources, years=years, missing_materials=missing,
        consensus=concordance.summary(pranks, spread, held))



def criteria_provenance(criteria: scoring.CriteriaData, slugs: Sequence[str]) -> tuple[list[str], list[Any]]:
    """Sources and data years behind the criteria ``slugs``, each sorted without repeats."""
    sources = sorted({s for c in slugs for s in criteria.sources.get(c, [])})
    years = sorted({y for c in slugs for y in criteria.years.get(c, [])})
    return sources, years


def own_ranking(workshop: Mapping[str, Any], weights: Mapping[str, int], criteria: scoring.CriteriaData,
                names: Mapping[str, str]) -> pd.DataFrame:
    """One participant's ranking of the workshop's materials with their own weights.

    The criteria are scaled 0-1 across the workshop's materials the store holds,
    as for the group.  Columns Rank, Material (display name from ``names``),
    Score (0–1), best first.
    """
    held = [m for m in workshop["materials"] if m in criteria.raw.index]
    ranked = scoring.ranking(scoring.normalise(criteria.raw.loc[held, workshop["criteria"]]), weights)
    return pd.DataFrame({"Rank": ranked["rank"], "Material": [names.get(m, m) for m in ranked.index],
                         "Score (0–1)": ranked["score"]})
