"""The frozen record of a closed workshop, and the readable tables and files made from it.

Closing a workshop writes its whole record (``build_record``: the workshop,
every submission with its time, the group result with the model default, the
criterion values' sources and the store's build time) to
``workshop.result_json``; from then on everything about that workshop is read
back from that record, never recomputed, so a later rebuild of the store
cannot change what the group decided.

The ``*_frame`` functions give a group result's tables with readable headers
(what the page shows and downloads); ``record_xlsx`` and ``record_json`` are a
record's two downloads.  No store, no streamlit.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from rmo_data import constants
from rmo_data.exports import frame_xlsx
from rmo_data.store.workshops import iso_utc, utc
from rmo_data.workshops.group_result import GroupResult

RECORD_VERSION = 1


def submission_records(submissions: pd.DataFrame) -> list[dict[str, Any]]:
    """Submissions (``SUBMISSION_COLUMNS``) as JSON-ready dicts, times as ISO text in UTC."""
    return [{"participant": r.participant, "weights": dict(r.weights), "flagged": list(r.flagged),
             "submitted_at": iso_utc(r.submitted_at)} for r in submissions.itertuples(index=False)]


def build_record(workshop: Mapping[str, Any], submissions: pd.DataFrame, result: GroupResult,
                 closed_at: dt.datetime, closed_by: str, store_built: str | None) -> dict[str, Any]:
    """The record frozen when ``workshop`` (as ``get_workshop`` returns it) is closed."""
    return {
        "version": RECORD_VERSION,
        "workshop": {"code": workshop["code"], "name": workshop["name"], "materials": workshop["materials"],
                     "criteria": workshop["criteria"], "created_at": iso_utc(workshop["created_at"]),
                     "closed_at": iso_utc(closed_at), "closed_by": closed_by},
        "submissions": submission_records(submissions),
        "result": result.to_record(),
        "store_built": store_built,
    }


def record_result(record: Mapping[str, Any]) -> GroupResult:
    """The group result frozen in a record, exactly as stored."""
    return GroupResult.from_record(record["result"])

NOT_COMPUTED = "not computed when this workshop closed"
NOT_ENOUGH = "not enough answers"


def agreement_text(result: GroupResult) -> str:
    """Kendall's W and its band in words, e.g. "0.64 (moderate)"; why not, when there is none."""
    c = result.consensus
    if c is None:
        return NOT_COMPUTED
    if c.get("w") is None:
        return NOT_ENOUGH
    return f"{c['w']:.2f} ({c['band']})"


def apart_text(result: GroupResult) -> str:
    """The criteria most apart with their spread, e.g. "Severity (± 12 points), Auto share (± 8 points)"."""
    c = result.consensus
    if c is None:
        return NOT_COMPUTED
    if result.n < 2:
        return NOT_ENOUGH
    if not c.get("most_disagreed"):
        return "none: every participant gave each criterion the same share"
    # The spread is the standard deviation of the shares, in percentage points of the score.
    return ", ".join(f"{constants.CRITERION_LABELS.get(d['criterion'], d['criterion'])} "
                     f"(± {100 * d['std']:.0f} points)" for d in c["most_disagreed"])


def ranking_frame(result: GroupResult) -> pd.DataFrame:
    """The group ranking with readable headers (what the ranking chart shows)."""
    r = result.ranking
    return pd.DataFrame({
        "Group rank": r["rank"], "Material": r["name"], "Group score (0–1)": r["score"],
        "Borda points": r["borda_points"], "Borda rank": r["borda_rank"],
        "Model default rank": r["default_rank"], "Model default score (0–1)": r["default_score"],
        "Best participant rank": r["rank_best"], "Worst participant rank": r["rank_worst"],
        "Rank range (places)": r["rank_range"], "Flagged by (participants)": r["flagged_by"],
        "Disagreement": r["disagree"].map({True: "yes", False: "no"}),
    })


def spread_frame(result: GroupResult) -> pd.DataFrame:
    """Spread of the participants' shares per criterion, in % of the score."""
    s = result.spread
    pct = {col: s[col] * 100 for col in ("mean", "std", "min", "q1", "median", "q3", "max", "iqr")}
    return pd.DataFrame({
        "Criterion": s["criterion"].map(constants.CRITERION_LABELS), "Mean share (%)": pct["mean"],
        "Standard deviation (points)": pct["std"], "Lowest (%)": pct["min"], "Lower quartile (%)": pct["q1"],
        "Median (%)": pct["median"], "Upper quartile (%)": pct["q3"], "Highest (%)": pct["max"],
        "Interquartile range (points)": pct["iqr"],
        "Disagreement": s["disagree"].map({True: "yes", False: "no"}),
    })


def submissions_frame(submissions: Sequence[Mapping[str, Any]] | pd.DataFrame, criteria: Sequence[str],
                      names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per participant: time (UTC), weight 0-10 per criterion, flagged materials."""
    rows = submissions.to_dict("records") if isinstance(submissions, pd.DataFrame) else list(submissions)
    label = names or {}
    out = pd.DataFrame({
        "Participant": [r["participant"] for r in rows],
        "Submitted at (UTC)": [(utc(r["submitted_at"]) or dt.datetime.min).strftime("%Y-%m-%d %H:%M:%S")
                               for r in rows],
        # Short criterion names keep the columns narrow enough to read on screen.
        **{f"{constants.CRITERION_SHORT[c]} (0–10)": [int(r["weights"].get(c, 0)) for r in rows] for c in criteria},
        "Flagged materials": ["; ".join(label.get(m, constants.MATERIAL_LABELS.get(m, m)) for m in r["flagged"])
                              for r in rows],
    })
    return out


def participant_ranks_frame(result: GroupResult) -> pd.DataFrame:
    """Every participant's own ranking (long)."""
    p = result.participant_ranks
    return pd.DataFrame({"Participant": p["participant"], "Material": p["material"].map(result.names),
                         "Own score (0–1)": p["score"], "Own rank": p["rank"],
                         "Borda points": p["borda_points"]})


def record_frames(record: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """The sheets of a frozen record's workbook, by sheet title."""
    result = record_result(record)
    ws = record["workshop"]
    about = pd.DataFrame({
        "Field": ["Workshop", "Join code", "Created (UTC)", "Closed (UTC)", "Participants",
                  "Materials", "Criteria", "Group weights", "Ranking agreement (Kendall's W, 0–1)",
                  "Weights furthest apart (standard deviation of the shares)", "Sources", "Data years",
                  "Store built", "Method"],
        "Value": [ws["name"], ws["code"], ws["created_at"], ws["closed_at"], str(result.n),
                  "; ".join(result.names.get(m, m) for m in result.materials),
                  "; ".join(constants.CRITERION_LABELS[c] for c in result.criteria),
                  "; ".join(f"{constants.CRITERION_LABELS[c]} {w:.1%}" for c, w in result.group_weights.items())
                  or "no submission",
                  agreement_text(result), apart_text(result),
                  "; ".join(result.sources), ", ".join(map(str, result.years)) or "not stated",
                  str(record.get("store_built") or ""),
                  "Group ranking = mean of each participant's weights rescaled to 100 %; Borda = "
                  "n − 1 points for a participant's first place down to 0 for the last; agreement = Kendall's "
                  "W with the tie correction, low below 0.3, moderate to 0.7, high from 0.7 (a convention)."],
    })
    return {"Workshop": about, "Group ranking": ranking_frame(result),
            "Criterion spread": spread_frame(result),
            "Submissions": submissions_frame(record["submissions"], result.criteria, result.names),
            "Participant rankings": participant_ranks_frame(result)}


def record_xlsx(record: Mapping[str, Any]) -> bytes:
    """A frozen record as one workbook, a sheet per table (``exports.frame_xlsx``: names stay text)."""
    return frame_xlsx(record_frames(record))


def record_json(record: Mapping[str, Any]) -> bytes:
    """A frozen record as indented UTF-8 JSON."""
    return json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
