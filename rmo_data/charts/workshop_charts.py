"""Pure chart builders for the workshop page: ``GroupResult`` frames in, ``alt.Chart`` out.

Same rules as ``rmo_data.charts.material_charts``: no streamlit, labels from
``rmo_data.constants``.  One colour means "the group disagrees here" on every
workshop chart (``DISAGREE``, the app's highlight red); agreement is the
app's base teal and the model default is grey.  ``big=True`` gives the
projector sizes of presentation mode: larger text, taller rows, thicker marks.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from rmo_data.charts.alt_text import describe, listing
from rmo_data.charts.style import BASE, HIGHLIGHT, chart_title, configure, wrap_lines
from rmo_data import constants, formatting
from rmo_data.workshops.group_result import RANK_RANGE_FLAG, WEIGHT_STD_FLAG

DISAGREE = HIGHLIGHT
AGREE = BASE
DEFAULT_COLOUR = "#85929E"
INK = "#1B2631"
DISAGREE_LABEL = "Participants disagree"
AGREE_LABEL = "Broad agreement"
GROUP_LABEL = "Workshop group"
DEFAULT_LABEL = "Model default (equal weights)"


# An x-axis title is centred under the plot, which on a phone is narrower than the chart.
AXIS_WRAP_CHARS = 32


def _axis_title(text: str, big: bool) -> str | list[str]:
    """A long axis title in lines for a phone; on one line on the projector."""
    return text if big else wrap_lines(text, AXIS_WRAP_CHARS)


def _size(big: bool, normal: float, large: float) -> float:
    return large if big else normal


def _wtitle(text: str, subtitle: str, big: bool) -> alt.TitleParams:
    title = chart_title(text, subtitle)
    if big:  # a projector is wide: one line, large
        title.fontSize = 28
        title.subtitle = subtitle
        title.subtitleFontSize = 18
    return title


def _agreement_colour(big: bool) -> alt.Color:
    """Teal for agreement, red for disagreement; legend symbols solid even where a layer is pale."""
    return alt.Color("agreement:N", title=None,
                     scale=alt.Scale(domain=[AGREE_LABEL, DISAGREE_LABEL], range=[AGREE, DISAGREE]),
                     # Left-aligned under the chart, one entry per line: two entries side by side
                     # run off a phone's screen.
                     legend=alt.Legend(orient="bottom", direction="horizontal" if big else "vertical",
                                       labelFontSize=_size(big, 13, 18),
                                       symbolSize=_size(big, 120, 260), symbolOpacity=1))


def present(chart: alt.TopLevelMixin, big: bool = False) -> alt.TopLevelMixin:
    """The app's shared configuration, with projector-sized axes and legends when ``big``."""
    out = configure(chart)
    if big:
        # Dark labels: the default grey fades on a projector.
        out.config["axis"] = alt.AxisConfig(labelFontSize=18, titleFontSize=18, labelLimit=320,
                                            labelColor=INK, titleColor=INK)
        out.config["legend"] = alt.LegendConfig(labelFontSize=18, titleFontSize=18, labelColor=INK)
    return out


def _agreement(flags: pd.Series) -> pd.Series:
    return flags.astype(bool).map({True: DISAGREE_LABEL, False: AGREE_LABEL})


def group_ranking_chart(ranking: pd.DataFrame, big: bool = False) -> alt.Chart:
    """Bars of the group score, best first, each labelled with its score and its Borda rank.

    Parameters
    ----------
    ranking : pandas.DataFrame
        ``GroupResult.ranking`` of a workshop with submissions: name, score,
        rank, borda_points, borda_rank, rank_best, rank_worst, flagged_by, disagree.
    big : bool
        Projector sizes.
    """
    data = ranking.dropna(subset=["score"]).copy()
    data["agreement"] = _agreement(data["disagree"])
    # "ranks far apart" in words as well as in red: not by colour alone.
    data["label"] = [f"{formatting.number(s, 2)} · Borda #{int(b)}" + (f" · flagged by {int(f)}" if f else "")
                     + (" · ranks far apart" if d else "")
                     for s, b, f, d in zip(data["score"], data["borda_rank"], data["flagged_by"],
                                           data["disagree"].astype(bool), strict=True)]
    data["ranks"] = [f"{int(b)}–{int(w)}" for b, w in zip(data["rank_best"], data["rank_worst"], strict=True)]
    order = data["name"].tolist()
    # Room to the right of the longest bar for its label; gridlines stop at 1.
    x = alt.X("score:Q",
              title=_axis_title("Group score (0–1): criteria weighted by the mean of everyone's weights", big),
              scale=alt.Scale(domain=[0, 1.45], nice=False),
              axis=alt.Axis(values=[0, 0.25, 0.5, 0.75, 1], format=formatting.vega_format(2), labelOverlap="parity"))
    y = alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=_size(big, 220, 320)))
    tooltip = [alt.Tooltip("name:N", title="Material"), alt.Tooltip("rank:Q", title="Group rank"),
               alt.Tooltip("score:Q", title="Group score (0–1)", format=formatting.vega_format(3)),
               alt.Tooltip("borda_rank:Q", title="Borda rank"),
               alt.Tooltip("borda_points:Q", title="Borda points", format=formatting.vega_format(1)),
               alt.Tooltip("ranks:N", title="Ranks given by participants"),
               alt.Tooltip("flagged_by:Q", title="Flagged by (participants)")]
    bars = alt.Chart(data).mark_bar(cornerRadiusEnd=3).encode(
        x=x, y=y, color=_agreement_colour(big), tooltip=tooltip)
    text = alt.Chart(data).mark_text(align="left", dx=6, fontSize=_size(big, 13, 20), color=INK).encode(
        x="score:Q", y=alt.Y("name:N", sort=order), text="label:N")
    chart = alt.layer(bars, text).properties(
        title=_wtitle("Group ranking", "Score from the mean of the participants' weights; Borda = rank "
                                       "by the participants' own rankings; red = ranks far apart", big),
        height=alt.Step(_size(big, 30, 46)), width="container")
    first = [f"{r.name} ({formatting.number(r.score, 2)})" for r in data.head(3).itertuples(index=False)]
    apart = data.loc[data["disagree"].astype(bool), "name"]
    return describe(chart, f"First: {listing(first)}. Ranks far apart: {listing(apart, 4)}." if first
                    else "No submission yet.")


def weight_spread_chart(shares: pd.DataFrame, spread: pd.DataFrame, big: bool = False,
                        std_flag: float = WEIGHT_STD_FLAG) -> alt.Chart:
    """Each participant's share of the score per criterion, with the group mean and quartiles.

    Parameters
    ----------
    shares : pandas.DataFrame
        ``GroupResult.shares``: participant, criterion, weight, share (0-1).
    spread : pandas.DataFrame
        ``GroupResult.spread``: criterion, mean, std, min, q1, q3, max, disagree.
    std_flag : float
        The standard deviation (of shares, 0-1) from which a criterion was flagged.
    """
    labels = constants.CRITERION_LABELS
    order = [labels[c] for c in constants.CRITERION_SLUGS if c in set(spread["criterion"])]
    stats = spread.dropna(subset=["std"]).copy()
    stats["label"] = stats["criterion"].map(labels)
    stats["agreement"] = _agreement(stats["disagree"])
    for col in ("mean", "std", "min", "q1", "q3", "max"):
        stats[f"{col}_pct"] = stats[col] * 100
    points = shares.copy()
    points["label"] = points["criterion"].map(labels)
    points["share_pct"] = points["share"] * 100
    points = points.merge(stats[["criterion", "agreement"]], on="criterion", how="left")
    top = max(30.0, float(points["share_pct"].max()) + 5 if not points.empty else 30.0)
    x_scale = alt.Scale(domain=[0, min(100.0, top)], nice=False)
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=_size(big, 260, 340)))
    stat_tip = [alt.Tooltip("label:N", title="Criterion"),
                alt.Tooltip("mean_pct:Q", title="Mean share (%)", format=formatting.vega_format(1)),
                alt.Tooltip("std_pct:Q", title="Standard deviation (points)", format=formatting.vega_format(1)),
                alt.Tooltip("q1_pct:Q", title="Lower quartile (%)", format=formatting.vega_format(1)),
                alt.Tooltip("q3_pct:Q", title="Upper quartile (%)", format=formatting.vega_format(1))]
    whisker = alt.Chart(stats).mark_rule(strokeWidth=_size(big, 1.5, 2.5), color="#AAB7B8").encode(
        x=alt.X("min_pct:Q", scale=x_scale,
                title=_axis_title("Share of the score each participant gave the criterion (%)", big)),
        x2="max_pct:Q", y=y, tooltip=stat_tip)
    box = alt.Chart(stats).mark_bar(size=_size(big, 14, 22), opacity=0.25).encode(
        x=alt.X("q1_pct:Q", scale=x_scale), x2="q3_pct:Q", y=y,
        color=_agreement_colour(big), tooltip=stat_tip)
    dots = alt.Chart(points).mark_circle(size=_size(big, 70, 170), opacity=0.85, stroke="white",
                                         strokeWidth=0.8).encode(
        x=alt.X("share_pct:Q", scale=x_scale), y=y, color=_agreement_colour(big),
        tooltip=[alt.Tooltip("participant:N", title="Participant"), alt.Tooltip("label:N", title="Criterion"),
                 alt.Tooltip("weight:Q", title="Weight (0–10)"),
                 alt.Tooltip("share_pct:Q", title="Share of score (%)", format=formatting.vega_format(1))])
    mean = alt.Chart(stats).mark_tick(thickness=_size(big, 3, 5), size=_size(big, 22, 34),
                                      color=INK).encode(
        x=alt.X("mean_pct:Q", scale=x_scale), y=y, tooltip=stat_tip)
    chart = alt.layer(whisker, box, dots, mean).properties(
        title=_wtitle("Where the group agrees on the weights",
                      "Dot = one participant; black tick = group mean; band = middle half; "
                      f"red = standard deviation of {formatting.number(std_flag * 100, None)} percentage points or more", big),
        height=alt.Step(_size(big, 30, 46)), width="container")
    if stats.empty:
        return describe(chart, "No submission yet.")
    heaviest = stats.sort_values("mean", ascending=False).iloc[0]
    split = stats.loc[stats["disagree"].astype(bool), "label"]
    return describe(chart, f"Heaviest on average: {heaviest['label']} ({formatting.percent(heaviest['mean_pct'])}). "
                           f"Participants disagree on: {listing(split, 4)}.")


def rank_spread_chart(ranking: pd.DataFrame, participant_ranks: pd.DataFrame, big: bool = False,
                      range_flag: int = RANK_RANGE_FLAG) -> alt.Chart:
    """Per material: the range of ranks participants gave it, their ranks as dots, the group rank.

    Parameters
    ----------
    ranking : pandas.DataFrame
        ``GroupResult.ranking`` (material, name, rank, rank_best, rank_worst,
        rank_range, disagree), group order.
    participant_ranks : pandas.DataFrame
        ``GroupResult.participant_ranks``: participant, material, rank.
    range_flag : int
        The rank range (places) from which a material was flagged.
    """
    data = ranking.dropna(subset=["rank"]).copy()
    data["agreement"] = _agreement(data["disagree"])
    order = data["name"].tolist()
    n = len(data)
    dots = participant_ranks.merge(data[["material", "name", "agreement"]], on="material", how="inner")
    x_scale = alt.Scale(domain=[0.5, n + 0.5], nice=False)
    x_axis = alt.Axis(values=list(range(1, n + 1)), format=formatting.VEGA_INTEGER, grid=True)
    y = alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=_size(big, 220, 320)))
    tip = [alt.Tooltip("name:N", title="Material"), alt.Tooltip("rank:Q", title="Group rank"),
           alt.Tooltip("rank_best:Q", title="Best rank given"),
           alt.Tooltip("rank_worst:Q", title="Worst rank given"),
           alt.Tooltip("rank_range:Q", title="Range (places)")]
    span = alt.Chart(data).mark_rule(strokeWidth=_size(big, 8, 14), opacity=0.35, strokeCap="round").encode(
        x=alt.X("rank_best:Q", scale=x_scale, axis=x_axis,
                title="Rank given by each participant (1 = act first)"),
        x2="rank_worst:Q", y=y, color=_agreement_colour(big), tooltip=tip)
    each = alt.Chart(dots).mark_circle(size=_size(big, 60, 140), opacity=0.8).encode(
        x=alt.X("rank:Q", scale=x_scale), y=y, color=_agreement_colour(big),
        tooltip=[alt.Tooltip("participant:N", title="Participant"), alt.Tooltip("name:N", title="Material"),
                 alt.Tooltip("rank:Q", title="Own rank")])
    group = alt.Chart(data).mark_point(shape="diamond", size=_size(big, 160, 380), filled=True,
                                       opacity=1, color=INK).encode(
        x=alt.X("rank:Q", scale=x_scale), y=y, tooltip=tip)
    chart = alt.layer(span, each, group).properties(
        title=_wtitle("How far apart the participants' rankings are",
                      "Dot = one participant's rank; diamond = group rank; "
                      f"red = ranks {range_flag} or more places apart", big),
        height=alt.Step(_size(big, 30, 46)), width="container")
    if data.empty:
        return describe(chart, "No submission yet.")
    widest = data.sort_values("rank_range", ascending=False).iloc[0]
    return describe(chart, f"Widest spread: {widest['name']}, ranked {int(widest['rank_best'])} to "
                           f"{int(widest['rank_worst'])}. {int(data['disagree'].astype(bool).sum())} of "
                           f"{n} materials {range_flag} or more places apart.")


def group_vs_default_chart(ranking: pd.DataFrame, big: bool = False) -> alt.Chart:
    """Dumbbells: each material's rank under the model default and in the workshop group.

    Parameters
    ----------
    ranking : pandas.DataFrame
        ``GroupResult.ranking``: name, rank (group; may be empty when nobody
        submitted), default_rank.
    """
    data = ranking.copy()
    has_group = data["rank"].notna().any()
    order = data["name"].tolist()
    n = len(data)
    rows = []
    for r in data.itertuples(index=False):
        rows.append({"name": r.name, "which": DEFAULT_LABEL, "rank": int(r.default_rank)})
        if has_group:
            rows.append({"name": r.name, "which": GROUP_LABEL, "rank": int(r.rank)})
    long = pd.DataFrame(rows)
    if has_group:
        moves = data.assign(change=data["default_rank"] - data["rank"])
        long = long.merge(moves[["name", "change"]], on="name")
    else:
        long["change"] = 0
    long["moved"] = long["change"].map(lambda d: f"up {int(d)}" if d > 0 else (f"down {-int(d)}" if d < 0
                                                                              else "same rank"))
    x_scale = alt.Scale(domain=[0.5, n + 0.5], nice=False)
    y = alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=_size(big, 220, 320)))
    shown = [DEFAULT_LABEL, GROUP_LABEL] if has_group else [DEFAULT_LABEL]
    colour = alt.Color("which:N", title=None, scale=alt.Scale(domain=shown,
                                                              range=[DEFAULT_COLOUR, AGREE][:len(shown)]),
                       legend=alt.Legend(orient="bottom", labelFontSize=_size(big, 13, 18),
                                         symbolSize=_size(big, 120, 260), labelLimit=400))
    tip = [alt.Tooltip("name:N", title="Material"), alt.Tooltip("which:N", title="Ranking"),
           alt.Tooltip("rank:Q", title="Rank"), alt.Tooltip("moved:N", title="Group vs default")]
    link = alt.Chart(long).mark_line(color="#AAB7B8", strokeWidth=_size(big, 2, 4)).encode(
        x=alt.X("rank:Q", scale=x_scale), y=y, detail="name:N")
    dots = alt.Chart(long).mark_circle(size=_size(big, 150, 360), opacity=1).encode(
        x=alt.X("rank:Q", scale=x_scale, title="Rank (1 = act first)",
                axis=alt.Axis(values=list(range(1, n + 1)), format=formatting.VEGA_INTEGER)),
        y=y, color=colour, tooltip=tip)
    subtitle = ("Grey = rank with every criterion weighted equally; teal = the group's rank"
                if has_group else "No submission yet: only the model default is shown")
    chart = alt.layer(link, dots).properties(
        title=_wtitle("The group beside the model default", subtitle, big),
        height=alt.Step(_size(big, 30, 46)), width="container")
    if not has_group:
        return describe(chart, f"Model default order: {listing(order, 3)}.")
    moved = moves[moves["change"] != 0]
    return describe(chart, f"{len(moved)} of {n} materials rank differently in the group"
                    + (f"; the largest move: {moved.loc[moved['change'].abs().idxmax(), 'name']}." if len(moved)
                       else "."))
