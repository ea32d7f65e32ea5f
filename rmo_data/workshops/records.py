"""The frozen record of a closed workshop, and the readable tables and files made from it.

Closing a workshop writes its whole record (``build_record``: the workshop
with its mode, method and who closed it, every submission of the last round
with its time, the group result with the model default, every round with its
own submissions and result, and the data version: the store's build version
and time and a SHA-256 of the criterion values, ``data_version``) to
``workshop.result_json``; from then on everything about that workshop is read
back from that record, never recomputed, so a later rebuild of the store
cannot change what the group decided.

The ``*_frame`` functions give a group result's tables with readable headers
(what the page shows and downloads); ``record_xlsx`` and ``record_json`` are a
record's two downloads.  The workbook's numbers are rounded as every download's
are (``record_rules``), and it ends with an *About* sheet like every other
workbook of the app (``record_about``: the rows of ``rmo_data.about``, with the
workshop's criteria and group weights and the data version frozen in the
record); the JSON keeps every value exactly as frozen.  No store, no streamlit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from rmo_data import about, constants, formatting, vocabulary
from rmo_data.analysis import scoring
from rmo_data.exports import frame_xlsx, rounded
from rmo_data.store.schema import BUILD_VERSION
from rmo_data.store.workshops import iso_utc, utc
from rmo_data.workshops.group_result import GroupResult

RECORD_VERSION = 2  # 2: mode, method, rounds and the data version (records of version 1 lack them)
MODE_LABELS = {"named": "Named (participants give their names)",
               "anonymous": "Anonymous (no names: Participant 1, 2, …)"}
METHOD_LABELS = {"sliders": "Sliders (a weight 0–10 per criterion)",
                 "pairwise": "Pairwise comparisons (weights derived as in AHP)"}


def submission_records(submissions: pd.DataFrame) -> list[dict[str, Any]]:
    """Submissions (``SUBMISSION_COLUMNS``) as JSON-ready dicts, times as ISO text in UTC."""
    out = []
    for r in submissions.to_dict("records"):
        row = {"participant": r["participant"], "weights": dict(r["weights"]), "flagged": list(r["flagged"]),
               "submitted_at": iso_utc(r["submitted_at"])}
        if isinstance(r.get("pairwise"), Mapping):
            row["pairwise"] = dict(r["pairwise"])
        out.append(row)
    return out


def criteria_digest(criteria: scoring.CriteriaData, materials: Sequence[str], slugs: Sequence[str]) -> str:
    """SHA-256 of the criterion values a workshop's result rests on (its materials × criteria).

    The values are written as sorted JSON with missing values as null, so the
    same numbers always give the same digest, on SQLite and PostgreSQL alike.
    """
    held = [m for m in materials if m in criteria.raw.index]
    cols = [c for c in slugs if c in criteria.raw.columns]
    table = criteria.raw.loc[held, cols]
    values = {m: {c: (None if pd.isna(v) else float(v)) for c, v in table.loc[m].items()} for m in held}
    text = json.dumps(values, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def data_version(criteria: scoring.CriteriaData, materials: Sequence[str], slugs: Sequence[str],
                 store_built: str | None) -> dict[str, Any]:
    """What a result was computed on: the store's build version and time, and ``criteria_digest``."""
    return {"build_version": BUILD_VERSION, "store_built": store_built,
            "criteria_sha256": criteria_digest(criteria, materials, slugs)}


def build_record(workshop: Mapping[str, Any], submissions: pd.DataFrame, result: GroupResult,
                 closed_at: dt.datetime, closed_by: str, store_built: str | None,
                 rounds: Sequence[Mapping[str, Any]] = (),
                 version: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The record frozen when ``workshop`` (as ``get_workshop`` returns it) is closed.

    ``rounds`` are every round, oldest first (``lifecycle.round_record``), the
    last one being ``submissions`` and ``result``; ``version`` is ``data_version``.
    """
    return {
        "version": RECORD_VERSION,
        "workshop": {"code": workshop["code"], "name": workshop["name"], "materials": workshop["materials"],
                     "criteria": workshop["criteria"], "created_at": iso_utc(workshop["created_at"]),
                     "closed_at": iso_utc(closed_at), "closed_by": closed_by,
                     "mode": workshop.get("mode", "named"), "method": workshop.get("method", "sliders"),
                     "capacity": workshop.get("capacity")},
        "submissions": submission_records(submissions),
        "result": result.to_record(),
        "rounds": [dict(r) for r in rounds],
        "data_version": dict(version) if version else None,
        "store_built": store_built,
    }


def round_record(workshop: Mapping[str, Any], subs: pd.DataFrame, result: GroupResult,
                 ended_at: Any) -> dict[str, Any]:
    """One round as the record keeps it: its number, when it ended (and was revealed), its submissions
    and its group result."""
    return {"round": int(workshop["round"]), "ended_at": iso_utc(ended_at),
            "revealed_at": iso_utc(workshop.get("revealed_at")),
            "submissions": submission_records(subs), "result": result.to_record()}


def record_result(record: Mapping[str, Any]) -> GroupResult:
    """The group result frozen in a record, exactly as stored."""
    return GroupResult.from_record(record["result"])


def round_results(record: Mapping[str, Any]) -> list[tuple[int, GroupResult]]:
    """Every round's number and frozen group result, oldest first (one round for a version-1 record)."""
    rounds = record.get("rounds") or []
    if not rounds:
        return [(1, record_result(record))]
    return [(int(r["round"]), GroupResult.from_record(r["result"])) for r in rounds]


def rounds_frame(rounds: Sequence[tuple[int, GroupResult]]) -> pd.DataFrame:
    """The rounds side by side: per material its group rank in each round and how far it moved.

    A positive move is a climb (rank 5 in round 1, rank 3 in round 2: +2).
    Empty when there is only one round.
    """
    if len(rounds) < 2:
        return pd.DataFrame(columns=["Material"])
    first, last = rounds[0][1], rounds[-1][1]
    out = pd.DataFrame({"Material": [last.names.get(m, m) for m in last.materials]})
    for number, result in rounds:
        ranks = result.ranking.set_index("material")["rank"]
        out[f"Round {number} group rank"] = [ranks.get(m) for m in last.materials]
    before = first.ranking.set_index("material")["rank"]
    after = last.ranking.set_index("material")["rank"]
    out["Places moved (+ = up)"] = [(before.get(m) - after.get(m)) if m in before and m in after else None
                                    for m in last.materials]
    return out.sort_values(f"Round {rounds[-1][0]} group rank", kind="stable").reset_index(drop=True)


def rounds_summary_frame(rounds: Sequence[tuple[int, GroupResult]]) -> pd.DataFrame:
    """Per round: participants, agreement (Kendall's W) and the criteria most apart."""
    return pd.DataFrame({
        "Round": [n for n, _ in rounds],
        "Participants": [r.n for _, r in rounds],
        "Ranking agreement (Kendall's W, 0–1)": [agreement_text(r) for _, r in rounds],
        "Weights furthest apart": [apart_text(r) for _, r in rounds],
        "First priority": [(r.ranking.sort_values("rank").iloc[0]["name"] if r.n else "no submission")
                           for _, r in rounds],
    })

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
    """The criteria most apart with their spread, e.g. "Evidence severity (± 12 points), Automotive share (± 8 points)"."""
    c = result.consensus
    if c is None:
        return NOT_COMPUTED
    if result.n < 2:
        return NOT_ENOUGH
    if not c.get("most_disagreed"):
        return "none: every participant gave each criterion the same share"
    # The spread is the standard deviation of the shares, in percentage points of the score.
    return ", ".join(f"{constants.CRITERION_LABELS.get(d['criterion'], d['criterion'])} "
                     f"(± {formatting.number(100 * d['std'])} points)" for d in c["most_disagreed"])


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
                      names: Mapping[str, str] | None = None, method: str = "sliders") -> pd.DataFrame:
    """One row per participant: time (UTC), weight per criterion, flagged materials.

    Sliders give a weight 0-10; pairwise comparisons a share in % (with the answers' consistency ratio).
    """
    rows = submissions.to_dict("records") if isinstance(submissions, pd.DataFrame) else list(submissions)
    label = names or {}
    if method == "pairwise":
        # One column per criterion side by side: their short names (rmo_data.vocabulary) keep them readable.
        weights = {f"{constants.CRITERION_SHORT[c]} (% from pairs)": [round(100 * float(r["weights"].get(c, 0)), 1)
                                                                      for r in rows] for c in criteria}
        weights["Consistency ratio (CR)"] = [(r.get("pairwise") or {}).get("cr") if isinstance(
            r.get("pairwise"), Mapping) else None for r in rows]
    else:
        weights = {f"{constants.CRITERION_SHORT[c]} (0–10)": [int(r["weights"].get(c, 0)) for r in rows]
                   for c in criteria}
    out = pd.DataFrame({
        "Participant": [r["participant"] for r in rows],
        "Submitted at (UTC)": [(utc(r["submitted_at"]) or dt.datetime.min).strftime("%Y-%m-%d %H:%M:%S")
                               for r in rows],
        **weights,
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
    rounds = round_results(record)
    version = record.get("data_version") or {}
    method = ws.get("method", "sliders")
    about = pd.DataFrame({
        "Field": ["Workshop", "Join code", "Created (UTC)", "Closed (UTC)", "Closed by", "Mode",
                  "Weighing method", "Rounds", "Participants",
                  "Materials", "Criteria", "Group weights", "Ranking agreement (Kendall's W, 0–1)",
                  "Weights furthest apart (standard deviation of the shares)", "Sources", "Data years",
                  "Store built", "Store build version", "Criterion values (SHA-256)", "Method"],
        "Value": [ws["name"], ws["code"], ws["created_at"], ws["closed_at"], str(ws.get("closed_by") or ""),
                  MODE_LABELS.get(ws.get("mode", "named"), str(ws.get("mode"))),
                  METHOD_LABELS.get(method, str(method)), str(len(rounds)), str(result.n),
                  "; ".join(result.names.get(m, m) for m in result.materials),
                  "; ".join(constants.CRITERION_LABELS[c] for c in result.criteria),
                  "; ".join(f"{constants.CRITERION_LABELS[c]} {w:.1%}" for c, w in result.group_weights.items())
                  or "no submission",
                  agreement_text(result), apart_text(result),
                  "; ".join(result.sources), ", ".join(map(str, result.years)) or "not stated",
                  str(record.get("store_built") or ""),
                  str(version.get("build_version") or "not recorded (record version 1)"),
                  str(version.get("criteria_sha256") or "not recorded (record version 1)"),
                  "Group ranking = mean of each participant's weights rescaled to 100 %; Borda = "
                  "n − 1 points for a participant's first place down to 0 for the last; agreement = Kendall's "
                  "W with the tie correction, low below 0.3, moderate to 0.7, high from 0.7 (a convention)."],
    })
    sheets = {"Workshop": about, "Group ranking": ranking_frame(result),
              "Criterion spread": spread_frame(result),
              "Submissions": submissions_frame(record["submissions"], result.criteria, result.names, method),
              "Participant rankings": participant_ranks_frame(result)}
    if len(rounds) > 1:
        sheets["Rounds"] = rounds_summary_frame(rounds)
        sheets["Rounds compared"] = rounds_frame(rounds)
        for number, raw in zip((n for n, _ in rounds[:-1]), record["rounds"][:-1], strict=True):
            sheets[f"Round {number} submissions"] = submissions_frame(raw["submissions"], result.criteria,
                                                                      result.names, method)
    return sheets


SUBMISSIONS_SOURCE = "Workshop submissions (weights entered by the participants in this app)"


def _rule(heading: str, column: pd.Series) -> str:
    """The rounding rule of a record sheet's column, read from its heading and its values."""
    if column.dtype.kind in "biu":
        return "int"
    if column.dtype.kind != "f":
        present = column.dropna()
        if present.empty or not present.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool)).all():
            return "text"
        if present.map(lambda v: float(v).is_integer()).all():
            return "int"
    if "%" in heading or "points)" in heading:
        return "pct1"  # shares of the score and their spreads, in % or percentage points
    if "rank" in heading.lower():
        return "one_decimal"  # a median rank may fall between two places
    return "score2"


def record_rules(frames: Mapping[str, pd.DataFrame]) -> dict[str, str]:
    """Heading → rounding rule for every column of the record's sheets (the first sheet naming it wins)."""
    rules: dict[str, str] = {}
    for frame in frames.values():
        for heading in frame.columns:
            rules.setdefault(str(heading), _rule(str(heading), frame[heading]))
    return rules


def _rounded_frames(frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    rules = record_rules(frames)
    return {title: frame.assign(**{str(h): rounded(frame[h], rules[str(h)]) for h in frame.columns
                                   if rules[str(h)] != "text"})
            for title, frame in frames.items()}


def record_about(record: Mapping[str, Any], link: str = "", page: str = "Workshop",
                 made_at: dt.datetime | None = None) -> about.About:
    """What the record's workbook says about itself: sources, criteria and group weights, frozen data version.

    ``link`` is the address that opens this closed workshop; the data version is
    the one frozen in the record at closing (a later rebuild of the store does
    not change it), so the store's current counter is not used.
    """
    result = record_result(record)
    ws = record["workshop"]
    version = record.get("data_version") or {}
    frozen = [f"frozen at closing ({ws.get('closed_at') or 'time not recorded'})"]
    if record.get("store_built"):
        frozen.append(f"store built {str(record['store_built'])[:19]}")
    frozen.append(f"build format {version['build_version']}" if version.get("build_version")
                  else "build format not recorded (record version 1)")
    if version.get("criteria_sha256"):
        frozen.append(f"criterion values SHA-256 {version['criteria_sha256']}")
    shares = formatting.shares(result.group_weights.values(), 1)  # adding up to 100.0 as written
    weights = tuple((vocabulary.name("criterion", c), f"{formatting.percent(pct, 1)} of the score (group mean of "
                                                        "the participants' weights, rescaled to 100 %)")
                    for c, pct in zip(result.group_weights, shares))
    names = "; ".join(result.names.get(m, m) for m in result.materials)
    facts = {
        "title": f"Workshop record {ws['name']} ({ws['code']})", "page": page,
        "source_line": about.source_text([SUBMISSIONS_SOURCE, *result.sources], result.years,
                                         note=f"{result.n} participant(s)."),
        "sources": tuple(dict.fromkeys([SUBMISSIONS_SOURCE, *result.sources])),
        "filters": (("Workshop", f"{ws['name']} (join code {ws['code']})"), ("Materials", names),
                    ("Criteria", "; ".join(vocabulary.name("criterion", c) for c in result.criteria)),
                    ("Weighing method", METHOD_LABELS.get(ws.get("method", "sliders"), str(ws.get("method"))))),
        "weights": None, "weights_note": "No submission: the workshop has no group weights.",
        "weight_items": weights, "version_note": "; ".join(frozen), "link": link,
    }
    if made_at is not None:
        facts["made_at"] = made_at
    return about.About(**facts)


def record_xlsx(record: Mapping[str, Any], about_rows: pd.DataFrame | None = None) -> bytes:
    """A frozen record as one workbook, a sheet per table, numbers rounded, and its About sheet last.

    ``about_rows`` are ``about.about_rows(record_about(record, link), register, build)``;
    without them the About rows are made with an empty source register (every
    source then reads "not in the source register").
    """
    frames = record_frames(record)
    rows = about_rows if about_rows is not None else about.about_rows(
        record_about(record), pd.DataFrame(columns=["title"]), {}, record_rules(frames))
    return frame_xlsx({**_rounded_frames(frames), "About": rows})


def record_json(record: Mapping[str, Any]) -> bytes:
    """A frozen record as indented UTF-8 JSON."""
    return json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
