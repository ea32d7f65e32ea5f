"""What each chart of ``material_charts`` shows, in one or two sentences: its text alternative.

``material_charts`` passes these to ``alt_text.describe``: the summary becomes
part of the chart's description (read by screen readers) and is shown as a
caption under the chart.  Pure functions of the rows the chart draws; numbers
through ``style.number_text``, as on the charts.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from rmo_data import constants
from rmo_data.charts.alt_text import listing
from rmo_data.charts.style import number_text


def overview_heat(long: pd.DataFrame, n_materials: int, indicators: list[str]) -> str:
    """The heat table in words: its size, the leader of the first indicators, the cells with no data."""
    known = long.dropna(subset=["value"])
    leaders = []
    for label in indicators[:3]:
        rows = known[known["indicator"] == label]
        if not rows.empty:
            top = rows.loc[rows["value"].idxmax()]
            # A cell's text may be two lines (a list): its tooltip holds it on one.
            shown = top["tooltip"] if "tooltip" in top else top["text"]
            leaders.append(f"{label}: {top['name']} ({shown})")
    missing = int(long["value"].isna().sum())
    return (f"{n_materials} materials on {len(indicators)} indicators. Highest " + "; ".join(leaders)
            + f". {missing} cell(s) with no data recorded.") if leaders else (
        f"{n_materials} materials; no indicator value recorded.")


def overview_scatter(data: pd.DataFrame, stage_label: str) -> str:
    """The scatter in words: the most concentrated material and the one with the most evidence."""
    shown = data.dropna(subset=["top1_share"])
    if shown.empty:
        return f"No material has production data at {stage_label}."
    top = shown.loc[shown["top1_share"].idxmax()]
    most = shown.loc[shown["evidence_count"].idxmax()]
    left_out = len(data) - len(shown)
    grey = shown.loc[shown["auto_share_pct"].isna(), "name"]
    return (f"{len(shown)} materials. Most concentrated: {top['name']} ({top['top1_label']} of world "
            f"{stage_label}). Most evidence: {most['name']} ({number_text(most['evidence_count'])} cases)."
            + (f" No automotive share recorded (grey): {listing(grey, 4)}." if len(grey) else "")
            + (f" {left_out} material(s) without production data at {stage_label} are left out."
               if left_out else ""))


def end_use(data: pd.DataFrame | None) -> str:
    """The end-use chart in words (``end_use_data`` rows): each panel's largest sector and the automotive share.

    With no rows (the chart of ``end_use_chart(None)``, whose rows the page adds) it says how to read it.
    """
    if data is None or data.empty:
        return "Bars: each sector's share of the material's use, in %; automotive and transport uses in red."
    parts = []
    sectors = data[~data["is_header"].astype(bool)] if "is_header" in data else data
    for panel, rows in sectors.groupby("panel", sort=False):
        top = rows.loc[rows["share_pct"].idxmax()]
        auto = rows[rows["is_automotive"].astype(bool)]
        auto_text = (f"; automotive / transport {listing(auto['label'])}" if not auto.empty
                     else "; no automotive share given")
        parts.append(f"{panel}: largest share {top['sector']} ({top['label']}){auto_text}")
    return ". ".join(parts) + "."


def production(data: pd.DataFrame, unit: str) -> str:
    """The production chart in words: the years it covers and the largest producer of the latest one."""
    known = data.dropna(subset=["quantity"])
    if known.empty:
        return "No production figure recorded."
    latest = known[known["year"] == known["year"].max()]
    named = latest[latest["group"] != "All other"]
    top = (named if not named.empty else latest).sort_values("quantity", ascending=False).iloc[0]
    total = latest["quantity"].sum()
    share = f", {number_text(100 * top['quantity'] / total, ' %')} of the total shown" if total else ""
    years = (f"Years {int(known['year'].min())} to {top['year_label']}" if known["year"].nunique() > 1
             else f"The year {top['year_label']} only")
    return (f"{years}. Largest producer in {top['year_label']}: "
            f"{top['group']} ({number_text(top['quantity'])} {unit}{share}).")


def hhi_trend(data: pd.DataFrame) -> str:
    """The trend in words: first and latest index and what the latest one counts as."""
    known = data.dropna(subset=["hhi"]).sort_values("year")
    if known.empty:
        return "No concentration figure recorded."
    first, last = known.iloc[0], known.iloc[-1]
    band = ("highly concentrated" if last["hhi"] >= 2500 else
            "moderately concentrated" if last["hhi"] >= 1500 else "not concentrated")
    # One year only: said once ("2024: 8,353; 2024: 8,353" read like a mistake).
    earlier = f"{int(first['year'])}: {number_text(first['hhi'])}; " if len(known) > 1 else ""
    return (f"{earlier}{int(last['year'])}: "
            f"{number_text(last['hhi'])}, {band} (reference lines at {number_text(1500)} and {number_text(2500)}).")


def value_chain(data: pd.DataFrame, stage_totals: Mapping[str, int]) -> str:
    """The grid in words: how many salient cells, and the stage with the most cases."""
    if data.empty:
        return "No salient risk and no evidence case recorded."
    salient = data[data["status"] == "Salient risk"]
    stages = [s for s in constants.STAGE_SLUGS if stage_totals.get(s, 0)]
    busiest = max(stages, key=lambda s: stage_totals.get(s, 0)) if stages else None
    cases = (f" Most cases at {constants.STAGE_SHORT[busiest]} ({stage_totals[busiest]})." if busiest
             else " No evidence case recorded.")
    return (f"{len(salient)} salient risk(s) named by the report across "
            f"{data['category'].nunique()} risk categories and {len(constants.STAGE_SLUGS)} stages.{cases}")


def evidence_flows(flows: pd.DataFrame, material_names: Mapping[str, str]) -> str:
    """The evidence flows (``evidence_rollups.flow_counts``) in words: how many bands, and the widest one."""
    if flows.empty:
        return "No case in view."
    top = flows.loc[flows["n"].idxmax()]
    severity = "not rated" if pd.isna(top["severity"]) else f"severity {int(top['severity'])}"
    path = " → ".join((constants.STAGE_SHORT.get(top["stage"], top["stage"]),
                       constants.RISK_CATEGORY_SHORT.get(top["category"], top["category"]), severity,
                       material_names.get(top["material"], top["material"])))
    return (f"{len(flows)} bands of cases. The widest: {path} ({number_text(top['n'])} "
            f"case{'s' if int(top['n']) != 1 else ''}).")
