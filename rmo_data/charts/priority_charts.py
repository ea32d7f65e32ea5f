"""Pure chart builders for the prioritisation page: DataFrame in, ``alt.Chart`` out.

Same rules as ``rmo_data.charts.material_charts``: no streamlit, names from
``rmo_data.vocabulary`` (short names in legends and on marks), colours from
``rmo_data.constants``, missing inputs named as "no data recorded" (here they
are imputed, or left out, and the charts show that they were).
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from rmo_data.charts.alt_text import describe, listing
from rmo_data.charts.contrast import INK
from rmo_data.charts.palette import CATEGORICAL
from rmo_data.charts.responsive import NARROW, on_phone
from rmo_data.charts.style import CHART_TEXT, NO_DATA_COLOUR, chart_title, title_on_phone
from rmo_data import constants, formatting, vocabulary

MISSING_NOTE = f"{constants.MISSING}: {constants.IMPUTATION_NOTE}"


CONTRIBUTIONS = "priority_contributions"  # named datasets of the contribution chart
CONTRIBUTION_TOTALS = "priority_contribution_totals"

# Why the chart looks as it does (issue 15): one stacked segment per criterion gave each bar up to
# twelve colours, which no reader could tell apart at a glance, and a three-column legend that a
# phone cut off.  Each bar is now the score in at most four parts, one per lens of the page's
# sliders (``constants.LENSES``: the due-diligence question apart from supply security, breadth
# and the industry's weight), in four colour-blind-safe hues of ``palette``, always in the same
# order, and the two criteria that add most to the score are named in words above the bar, so
# the answer is read, not decoded from colours.  Every criterion's own figure stays one hover
# away (each part's tooltip lists its criteria) and in the table and download under the chart.
LENS_COLOURS: dict[str, str] = {lens.slug: CATEGORICAL[i] for i, lens in enumerate(constants.LENSES)}
TOP_CRITERIA = 2  # criteria named above each bar; the rest are counted as "other"
ROW_PX = 54  # per material: two lines of text and the bar under them
_BAR_PX = 14


def _criterion_text(r: object) -> str:
    """One criterion of a part's tooltip: its short name, its contribution and the input behind it."""
    text = f"{r.criterion_short} {formatting.number(r.contribution, 3)}"  # type: ignore[attr-defined]
    return f"{text}, input {r.input}" if r.input else text  # type: ignore[attr-defined]


def _largest(rows: pd.DataFrame, phone: bool) -> str:
    """The line above a bar: its largest criteria by name (with their shares of the score when wide)."""
    ranked = rows[rows["contribution"] > 0].sort_values(["contribution", "order"], ascending=[False, True])
    if ranked.empty:  # a score of 0: each criterion is scaled to 0 at the lowest material in view
        return "Every weighted criterion at its lowest in view"
    top, rest = ranked.head(TOP_CRITERIA), ranked.iloc[TOP_CRITERIA:]
    others = f"{len(rest)} other" + ("s" if len(rest) > 1 else "")
    if phone:  # names only: a 360 px phone has room for about 45 characters
        return ", ".join(top["criterion_short"]) + (f" + {others}" if len(rest) else "")
    named = " · ".join(f"{c} {formatting.number(v, 2)}" for c, v in zip(top["criterion_short"], top["contribution"],
                                                                        strict=True))
    return named + (f" · {others} {formatting.number(rest['contribution'].sum(), 2)}" if len(rest) else "")


def contribution_data(long: pd.DataFrame, order: list[str]) -> dict[str, pd.DataFrame]:
    """The rows of the contribution chart, as its two named datasets.

    Parameters
    ----------
    long : pandas.DataFrame
        One row per material and criterion (``scoring.explained`` with a
        ``name`` column): name, criterion, contribution, weight, value
        (normalised), raw_text, missing (bool), rank, score.
    order : list of str
        Material names, best rank first (the y order).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``CONTRIBUTIONS``: one part per material, lens and whether its inputs
        are recorded or imputed ("no data recorded"), with its contribution, the
        lens's names, the criteria in it (text, for the tooltip), the stacking
        order and the material's position in ``order``; ``CONTRIBUTION_TOTALS``:
        one row per material with its rank, score and the two lines above its bar.
        Only the columns the chart reads.
    """
    data = long.loc[long["weight"] > 0, ["name", "criterion", "contribution", "weight", "value",
                                         "raw_text", "missing", "rank"]].copy()
    data["missing"] = data["missing"].astype(bool)
    data["criterion_short"] = data["criterion"].map(constants.CRITERION_SHORT)
    units = data["criterion"].map(constants.CRITERION_UNITS)
    raw = data["raw_text"].fillna("").astype(str)
    # A pack passes no input text (its table holds the figures): then the tooltip gives none.
    data["input"] = (raw + " (" + units + ")").where(raw != "", "").where(~data["missing"], "")
    data["order"] = data["criterion"].map({c.slug: i for i, c in enumerate(constants.CRITERIA)})
    data["lens"] = data["criterion"].map(constants.CRITERION_LENS)
    position = {name: i for i, name in enumerate(order)}
    lens_order = {lens.slug: i for i, lens in enumerate(constants.LENSES)}
    parts = []
    for (name, lens, imputed), rows in data.sort_values("order").groupby(["name", "lens", "missing"], sort=False):
        parts.append({"name": name, "lens_short": constants.LENS_SHORT[lens], "lens_label": constants.LENS_LABELS[lens],
                      "imputed": bool(imputed), "contribution": float(rows["contribution"].sum()),
                      "inputs": MISSING_NOTE if imputed else "recorded",
                      "criteria": "; ".join(_criterion_text(r) for r in rows.itertuples(index=False)),
                      # Lens by lens, each lens's recorded part before its imputed one.
                      "stack": lens_order[lens] * 2 + int(imputed), "position": position.get(name)})
    segments = pd.DataFrame(parts, columns=["name", "lens_short", "lens_label", "imputed", "contribution",
                                            "inputs", "criteria", "stack", "position"])
    # The contributions of a material add up to its score, so the bar ends come from the
    # score column (one row per material) rather than a group-by of every part.
    totals = long.drop_duplicates("name")[["name", "score", "rank"]].reset_index(drop=True)
    totals["position"] = totals["name"].map(position)
    totals["headline"] = [f"#{int(r)} {n} · {formatting.number(s, 2)}"
                          for r, n, s in zip(totals["rank"], totals["name"], totals["score"], strict=True)]
    by_name = dict(tuple(data.groupby("name")))
    empty = data.iloc[0:0]
    totals["largest"] = [_largest(by_name.get(n, empty), phone=False) for n in totals["name"]]
    totals["largest_phone"] = [_largest(by_name.get(n, empty), phone=True) for n in totals["name"]]
    return {CONTRIBUTIONS: segments, CONTRIBUTION_TOTALS: totals}


def contribution_chart(criteria: tuple[str, ...]) -> alt.LayerChart:
    """The score of each material as one bar in up to four parts (lenses), its largest criteria named above it.

    The chart reads its rows from the named datasets of ``contribution_data``
    (the caller adds them to the spec), so it depends only on the criteria that
    carry a weight: moving a weight changes the data, not the spec, and the
    spec is built once per set of criteria.

    Parameters
    ----------
    criteria : tuple of str
        Slugs of the criteria with a weight above 0 (which lenses the legend lists).

    Returns
    -------
    altair.LayerChart
        One row per material in ranking order (the ``position`` field): its rank,
        name and score, then its largest criteria, then its bar; parts resting on
        "no data recorded" are pale with a dashed outline and say so in the tooltip.
    """
    used = {constants.CRITERION_LENS[c] for c in criteria}
    lenses = [lens for lens in constants.LENSES if lens.slug in used]
    domain = [vocabulary.short("lens", lens.slug) for lens in lenses]  # a legend: short names
    colours = [LENS_COLOURS[lens.slug] for lens in lenses]
    # Sorted by the ranking's position (unique), so ties keep the ranking's order. No axis: each
    # row's text stands above its bar, so a phone gives the bars its whole width.
    y = alt.Y("name:N", title=None, axis=None, scale=alt.Scale(paddingOuter=0.15),  # the first row clear of the title
              sort=alt.EncodingSortField(field="position", op="min", order="ascending"))
    colour = alt.Color("lens_short:N", title="Lens (group of criteria)", sort=domain,
                       scale=alt.Scale(domain=domain, range=colours),
                       legend=alt.Legend(orient="bottom", columns=on_phone(2, 4), labelLimit=260,
                                         symbolType="square"))
    bars = alt.Chart(alt.NamedData(name=CONTRIBUTIONS)).mark_bar(size=_BAR_PX, yOffset=ROW_PX / 2 - _BAR_PX).encode(
        y=y,
        # One row per material, lens and recorded/imputed: stacked as they are (no aggregate).
        x=alt.X("contribution:Q", stack="zero", title="Priority score (0–1) = Σ weight × normalised value",
                scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(values=[0, 0.25, 0.5, 0.75, 1],
                                                              format=formatting.vega_format(2))),
        color=colour,
        order=alt.Order("stack:Q"),
        # Imputed parts: pale, with a dashed outline in the lens's colour (3:1), not told by colour alone.
        fillOpacity=alt.condition("datum.imputed", alt.value(0.3), alt.value(1.0)),
        stroke=alt.Color("lens_short:N", sort=domain, scale=alt.Scale(domain=domain, range=colours), legend=None),
        strokeWidth=alt.condition("datum.imputed", alt.value(1.5), alt.value(0.0)),
        strokeDash=alt.condition("datum.imputed", alt.value([3, 2]), alt.value([1, 0])),
        tooltip=[alt.Tooltip("name:N", title="Material"),
                 alt.Tooltip("lens_label:N", title="Lens"),
                 alt.Tooltip("contribution:Q", title="Contribution of this part", format=formatting.vega_format(3)),
                 alt.Tooltip("criteria:N", title="Its criteria"),
                 alt.Tooltip("inputs:N", title="Inputs")],
    )
    text_tooltip = [alt.Tooltip("headline:N", title="Rank, material, score"),
                    alt.Tooltip("largest:N", title="Largest contributions")]
    totals = alt.Chart(alt.NamedData(name=CONTRIBUTION_TOTALS))
    headline = totals.mark_text(align="left", baseline="bottom", dy=-15, fontSize=13, fontWeight="bold",
                                color=INK).encode(y=y, x=alt.value(0), text="headline:N", tooltip=text_tooltip)
    # The criteria with their figures; on a phone their names only (the figures are a hover away).
    largest = totals.mark_text(align="left", baseline="bottom", dy=0, fontSize=12, color=CHART_TEXT,
                               text=alt.expr(f"{NARROW} ? datum.largest_phone : datum.largest")).encode(
        y=y, x=alt.value(0), tooltip=text_tooltip)
    chart = alt.layer(bars, headline, largest).properties(
        title=chart_title("Why each material ranks where it does",
                          "Bar = score, in parts by lens; above it, the criteria that add most. Pale, dashed "
                          f"parts rest on “{formatting.NO_DATA}” (imputed with the median of the materials in view)"),
        height=alt.Step(ROW_PX), width="container")
    # The rows arrive as named datasets: the page gives the summary of them (``contribution_summary``).
    return describe(chart, f"Bars in ranking order, each in parts by lens: {listing(domain, 4)}; "
                           f"the {TOP_CRITERIA} largest criteria named above each bar.")


def contribution_summary(datasets: dict[str, pd.DataFrame], top: int = constants.TOP_N) -> str:
    """The contribution chart in words (``contribution_data``): the first materials and what drives the first."""
    totals = datasets[CONTRIBUTION_TOTALS].sort_values("position")
    if totals.empty:
        return "No material in view."
    first = totals.iloc[0]
    leaders = [f"{r.name} ({formatting.number(r.score, 2)})" for r in totals.head(top).itertuples(index=False)]
    return (f"First {min(top, len(totals))} of {len(totals)}: {listing(leaders, top)}. "
            f"Largest contributions to {first['name']}: {first['largest']}.")


def percent(p: float) -> str:
    """A probability as a whole percent that never rounds a rare event to 0 or a near-certain one to 100."""
    if 0 < p < 0.01:
        return "<1 %"
    if 0.99 < p < 1:
        return ">99 %"
    return f"{formatting.number(p * 100, 0)} %"


def robustness_chart(mc: pd.DataFrame, order: list[str], top: int = constants.TOP_N) -> alt.Chart:
    """Rank spread under Monte-Carlo jitter, with the probability of a top-``top`` place.

    Parameters
    ----------
    mc : pandas.DataFrame
        Output of ``scoring.monte_carlo`` with a ``name`` column added.
    order : list of str
        Material names in the current ranking order.
    top : int
        Size of the top group whose probability is labelled (3).
    """
    data = mc.copy()
    n = int(data["rank_max"].max()) if not data.empty else 1
    data["p_text"] = data["p_top"].map(percent)
    data["p_label"] = "top " + str(top) + ": " + data["p_text"]
    data["range_label"] = [f"{int(a)}–{int(b)} (90 % of draws {int(c)}–{int(d)})"
                           for a, b, c, d in zip(data["rank_min"], data["rank_max"], data["rank_p05"],
                                                 data["rank_p95"], strict=True)]
    y = alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=200))
    x_scale = alt.Scale(domain=[0.5, n + 2.5], nice=False)
    tooltip = [alt.Tooltip("name:N", title="Material"),
               alt.Tooltip("p_text:N", title=f"Probability of top {top}"),
               alt.Tooltip("rank_median:Q", title="Median rank"),
               alt.Tooltip("range_label:N", title="Rank range")]
    zone = alt.Chart(pd.DataFrame({"x0": [0.5], "x1": [top + 0.5]})).mark_rect(
        color="#F9E79F", opacity=0.35).encode(x="x0:Q", x2="x1:Q")
    full = alt.Chart(data).mark_rule(color="#ABB2B9", strokeWidth=2).encode(
        y=y, x=alt.X("rank_min:Q", scale=x_scale,
                     # Two lines: in one it ran past a phone's frame.
                     title=["Rank in the draws", f"(1 = first; shaded = top {top})"],
                     axis=alt.Axis(values=list(range(1, n + 1)), format=formatting.VEGA_INTEGER)),
        x2="rank_max:Q", tooltip=tooltip)
    likely = alt.Chart(data).mark_rule(color="#0B5563", strokeWidth=7, opacity=0.6).encode(
        y=y, x="rank_p05:Q", x2="rank_p95:Q", tooltip=tooltip)
    median = alt.Chart(data).mark_tick(color="#1B2631", thickness=3, size=20).encode(
        y=y, x="rank_median:Q", tooltip=tooltip)
    # Right of the bar, or left of it for a bar that ends near the last rank: there the label ran
    # past the frame of a phone's narrow plot ("top 3: 0" without its %).
    flip = (data["rank_max"] > n - 2) & (data["rank_min"] > 3)
    data["label_x"] = data["rank_min"].where(flip, data["rank_max"])
    data["label_align"] = flip.map({True: "right", False: "left"})
    data["label_dx"] = flip.map({True: -12, False: 8})
    label = alt.Chart(data).mark_text(
        align=alt.expr("datum.label_align"), dx=alt.expr("datum.label_dx"), fontSize=12).encode(
        y=y, x="label_x:Q", text="p_label:N",
        color=alt.condition("datum.p_top >= 0.5", alt.value("#922B21"), alt.value("#566573")))
    chart = alt.layer(zone, full, likely, median, label).properties(
        title=chart_title("How stable is the ranking?",
                     "Thin line = all draws, thick bar = middle 90 %, tick = median; "
                     f"label = share of draws in the top {top}"),
        height=alt.Step(30), width="container")
    likely_top = data.sort_values("p_top", ascending=False)
    likely_top = likely_top[likely_top["p_top"] > 0]
    named = [f"{r.name} ({percent(r.p_top)})" for r in likely_top.head(top).itertuples(index=False)]
    return describe(chart, f"Most often in the top {top}: {listing(named, top)}." if named
                    else f"No material reaches the top {top} in the draws.")


def matrix_chart(positions: pd.DataFrame) -> alt.Chart:
    """Salience × leverage matrix with the four Shift/UNGP quadrants.

    Parameters
    ----------
    positions : pandas.DataFrame
        Output of ``prioritisation.matrix_positions`` with the material as a column;
        optional ``name`` and ``short`` columns override the constants' labels.
    """
    quads = pd.DataFrame([{
        "quadrant": q.label, "description": q.description,
        "x0": 0.5 if q.high_leverage else -0.05, "x1": 1.05 if q.high_leverage else 0.5,
        "y0": 0.5 if q.high_salience else -0.05, "y1": 1.05 if q.high_salience else 0.5,
        "tx": 1.03 if q.high_leverage else -0.03, "ty": 1.03 if q.high_salience else -0.03,
        "align": "right" if q.high_leverage else "left",
        "baseline": "top" if q.high_salience else "bottom"} for q in constants.QUADRANTS])
    domain = [q.label for q in constants.QUADRANTS]
    colours = [q.colour for q in constants.QUADRANTS]
    scale_x = alt.Scale(domain=[-0.05, 1.05], nice=False)
    scale_y = alt.Scale(domain=[-0.05, 1.05], nice=False)
    colour = alt.Color("quadrant_label:N", title="Quadrant", sort=domain,
                       scale=alt.Scale(domain=domain, range=colours), legend=None)
    background = alt.Chart(quads).mark_rect(opacity=0.10).encode(
        # Two lines: in one it ran past a phone's frame.
        x=alt.X("x0:Q", scale=scale_x, title=[f"{vocabulary.with_unit('measure', 'matrix_leverage')}:",
                                              "automotive share and linked initiatives"],
                axis=alt.Axis(values=[0, 0.25, 0.5, 0.75, 1], format=formatting.vega_format(2))),
        x2="x1:Q",
        # The name and unit only: a longer title is cut on a phone (the page says what it combines).
        y=alt.Y("y0:Q", scale=scale_y, title=vocabulary.with_unit("measure", "matrix_salience"),
                axis=alt.Axis(values=[0, 0.25, 0.5, 0.75, 1], format=formatting.vega_format(2))),
        y2="y1:Q",
        color=alt.Color("quadrant:N", sort=domain, scale=alt.Scale(domain=domain, range=colours),
                        legend=None),
        tooltip=[alt.Tooltip("quadrant:N", title="Quadrant"),
                 alt.Tooltip("description:N", title="What it calls for")])
    # Joined here and split by Vega: a list column reaches the browser as an Arrow list, which
    # Vega printed whole ("[Build leverage,collectively]").
    quads["lines_phone"] = ["|".join(quadrant_lines(q, phone=True)) for q in quads["quadrant"]]
    names = [alt.Chart(quads[quads["align"] == a]).mark_text(
        # Full opacity: the quadrant colours reach 4.5:1 on the pale quadrant only when solid.
        fontSize=13, fontWeight="bold", align=a, baseline=alt.ExprRef("datum.baseline"), lineHeight=_QUAD_H,
        # On a phone in two lines: "Build leverage collectively" and "Use leverage now" share a row.
        text=alt.expr(f"width < {MATRIX_WIDE[0]} ? split(datum.lines_phone, '|') : datum.quadrant"),
    ).encode(x="tx:Q", y="ty:Q",
             color=alt.Color("quadrant:N", sort=domain, scale=alt.Scale(domain=domain, range=colours),
                             legend=None)) for a in ("left", "right")]
    data = positions.copy()
    # Materials beyond the ten of constants (a larger store) fall back to their slug.
    if "name" not in data:
        data["name"] = [constants.MATERIAL_LABELS.get(m, m) for m in data["material"]]
    if "short" not in data:
        data["short"] = [constants.MATERIAL_SHORT.get(m, m) for m in data["material"]]
    data["quadrant_label"] = data["quadrant"].map(constants.QUADRANT_LABELS)
    data["inputs"] = data["missing_inputs"].where(data["missing_inputs"] != "", "none")
    data["label"] = data["short"] + data["missing_inputs"].map(lambda f: " *" if f else "")
    data["placement"] = label_placements(data).to_numpy()
    data["placement_phone"] = label_placements(data, MATRIX_PHONE, phone=True).to_numpy()
    tooltip = [alt.Tooltip("name:N", title="Material"),
               alt.Tooltip("quadrant_label:N", title="Quadrant"),
               alt.Tooltip("salience_raw:Q", title=vocabulary.with_unit("criterion", "salience"), format=formatting.vega_format(1)),
               alt.Tooltip("salience:Q", title=vocabulary.with_unit("measure", "matrix_salience"), format=formatting.vega_format(2)),
               alt.Tooltip("leverage:Q", title=vocabulary.with_unit("measure", "matrix_leverage"), format=formatting.vega_format(2)),
               alt.Tooltip("inputs:N", title="Missing inputs (imputed: median of the materials in view)")]
    points = alt.Chart(data).mark_circle(size=220, stroke="#1B2631", strokeWidth=1, opacity=0.95).encode(
        x=alt.X("leverage:Q", scale=scale_x), y=alt.Y("salience:Q", scale=scale_y),
        color=colour, tooltip=tooltip)
    # Each placement drawn only at the plot widths it was made for; an unlabelled point has its tooltip.
    labels = [alt.Chart(data[data[column] == name]).mark_text(
        align=align, dx=dx, dy=dy, fontSize=12, fontWeight="bold", color="#1B2631",
        opacity=alt.expr(f"width {op} {MATRIX_WIDE[0]} ? 1 : 0")).encode(
        x=alt.X("leverage:Q", scale=scale_x), y=alt.Y("salience:Q", scale=scale_y), text="label:N",
        tooltip=tooltip) for column, op in (("placement", ">="), ("placement_phone", "<"))
        for name, (align, dx, dy) in PLACEMENTS.items() if (data[column] == name).any()]
    chart = alt.layer(background, *names, points, *labels).properties(
        title=chart_title("Salience × leverage",
                     "What comes first (salience), then how to act (leverage); * = an input has "
                     f"{constants.MISSING}: {constants.IMPUTATION_NOTE}"),
        height=MATRIX_HEIGHT, width="container")
    per_quadrant = [f"{q.label}: {listing(data.loc[data['quadrant'] == q.slug, 'short'], 4)}"
                    for q in constants.QUADRANTS if (data["quadrant"] == q.slug).any()]
    return title_on_phone(describe(chart, "; ".join(per_quadrant) + "." if per_quadrant else "No material in view."))


# The matrix's geometry: the plot's height, its domain on both axes, the points' radius and the
# labels' size. The plot takes the page's width; labels are placed for every width of a range.
MATRIX_HEIGHT = 440
_DOMAIN = (-0.05, 1.05)
_POINT_R = (220 / math.pi) ** 0.5 + 1  # mark_circle(size=220) and half its outline
_CHAR_PX, _LABEL_H = 7.6, 15.0  # an upper bound of a bold 12 px character; a line of it
_QUAD_CHAR_PX, _QUAD_H = 8.2, 17.0  # the quadrant names, bold 13 px
# Laptop and wider (a plot of 420 px up to a projector's 1,400), and a phone's plot (240–420 px).
MATRIX_WIDE = (420.0, 1400.0)
MATRIX_PHONE = (240.0, 420.0)
PLACEMENTS: dict[str, tuple[str, int, int]] = {
    # placement: (align, dx, dy) of the label relative to its point
    "right": ("left", 12, 0), "left": ("right", -12, 0),
    "below": ("center", 0, 17), "above": ("center", 0, -17),
    "below_right": ("left", 8, 16), "above_right": ("left", 8, -16),
    # Last resort, below a quadrant's two-line name: on a phone a point at the top of the plot
    # (Tantalum at salience 1.0) found every nearer side taken by the names and lost its label.
    "far_below": ("center", 0, 31),
}


def _px(value: float, size: float) -> float:
    return (value - _DOMAIN[0]) / (_DOMAIN[1] - _DOMAIN[0]) * size


def quadrant_lines(label: str, phone: bool) -> list[str]:
    """A quadrant's name as drawn: one line, or on a phone a name of three words or more in two
    (the two upper quadrants' names share the plot's top row; the short lower ones stay whole)."""
    words = label.split(" ")
    if not phone or len(words) < 3:
        return [label]
    cut = -(-len(words) // 2)
    return [" ".join(words[:cut]), " ".join(words[cut:])]


def _quadrant_boxes(width: float, phone: bool) -> list[tuple[float, float, float, float]]:
    """The pixel boxes of the four quadrant names at a plot ``width`` (drawn in its corners)."""
    boxes = []
    for q in constants.QUADRANTS:
        lines = quadrant_lines(q.label, phone)
        w = max(len(line) for line in lines) * _QUAD_CHAR_PX
        h = len(lines) * _QUAD_H
        x = _px(1.03 if q.high_leverage else -0.03, width)
        y = MATRIX_HEIGHT - _px(1.03 if q.high_salience else -0.03, MATRIX_HEIGHT)
        x0 = x - w if q.high_leverage else x
        y0 = y if q.high_salience else y - h
        boxes.append((x0, y0, x0 + w, y0 + h))
    return boxes


def label_placements(positions: pd.DataFrame, widths: tuple[float, float] = MATRIX_WIDE,
                     phone: bool = False) -> pd.Series:
    """Choose a side for every point label so labels overlap neither points, nor each other, nor a
    quadrant's name, at every plot width from ``widths[0]`` to ``widths[1]``.

    Greedy, left to right: each label takes the first placement in ``PLACEMENTS``
    that is clear at every width checked; a label clear nowhere gets "" (its
    point's tooltip names it). ``phone`` counts the quadrant names in two lines.

    Parameters
    ----------
    positions : pandas.DataFrame
        Columns leverage (x, 0-1), salience (y, 0-1) and label (text).

    Returns
    -------
    pandas.Series
        Placement name per row (same index), "" where none is clear.
    """
    rows = list(positions.itertuples(index=False))
    index = list(positions.index)
    sizes = [widths[0] + (widths[1] - widths[0]) * k / 12 for k in range(13)]
    placed: dict[int, str] = {}

    def box(i: int, placement: str, width: float) -> tuple[float, float, float, float]:
        x, y = _px(float(rows[i].leverage), width), MATRIX_HEIGHT - _px(float(rows[i].salience), MATRIX_HEIGHT)
        align, dx, dy = PLACEMENTS[placement]
        w = len(str(rows[i].label)) * _CHAR_PX
        left = {"left": x + dx, "right": x + dx - w, "center": x + dx - w / 2}[align]
        return (left, y + dy - _LABEL_H / 2, left + w, y + dy + _LABEL_H / 2)

    def overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
        return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])

    def clear(i: int, placement: str) -> bool:
        for width in sizes:
            b = box(i, placement, width)
            if b[0] < 0 or b[1] < 0 or b[2] > width or b[3] > MATRIX_HEIGHT:
                return False
            if any(overlaps(b, q) for q in _quadrant_boxes(width, phone)):
                return False
            for j, r in enumerate(rows):
                px, py = _px(float(r.leverage), width), MATRIX_HEIGHT - _px(float(r.salience), MATRIX_HEIGHT)
                nx, ny = min(max(px, b[0]), b[2]), min(max(py, b[1]), b[3])
                if math.hypot(nx - px, ny - py) < _POINT_R:
                    return False
                if j in placed and overlaps(b, box(j, placed[j], width)):
                    return False
        return True

    for i in sorted(range(len(rows)), key=lambda k: (float(rows[k].leverage), -float(rows[k].salience))):
        where = next((p for p in PLACEMENTS if clear(i, p)), None)
        if where is not None:
            placed[i] = where
    return pd.Series([placed.get(i, "") for i in range(len(rows))], index=index, dtype=object)


def scenario_compare_chart(compare: pd.DataFrame, name_a: str, name_b: str) -> alt.Chart:
    """Slope chart of ranks under two scenarios; materials that move are highlighted.

    Parameters
    ----------
    compare : pandas.DataFrame
        One row per material: material (slug), rank_a, rank_b.
    name_a, name_b : str
        Labels of the two scenarios (the x axis).
    """
    rows = []
    for r in compare.itertuples(index=False):
        moved = "moves" if r.rank_a != r.rank_b else "same rank"
        short = constants.MATERIAL_SHORT.get(r.material, r.material)
        for scen, rank in ((name_a, r.rank_a), (name_b, r.rank_b)):
            rows.append({"name": constants.MATERIAL_LABELS.get(r.material, r.material), "scenario": scen,
                         "rank": int(rank), "moved": moved, "change": int(r.rank_a) - int(r.rank_b),
                         "label": f"{short}  {int(rank)}" if scen == name_a else f"{int(rank)}  {short}"})
    data = pd.DataFrame(rows)
    n = int(data["rank"].max()) if not data.empty else 1
    colour = alt.Color("moved:N", title=None, scale=alt.Scale(domain=["moves", "same rank"],
                                                              range=["#C0392B", NO_DATA_COLOUR]),
                       legend=alt.Legend(orient="bottom"))
    # Padding of one step on each side leaves room for the labels beside the points.
    x = alt.X("scenario:N", sort=[name_a, name_b], title=None, scale=alt.Scale(padding=1.0),
              axis=alt.Axis(labelAngle=0, orient="top", labelLimit=240, labelFontWeight="bold",
                            domain=False, ticks=False))
    y = alt.Y("rank:Q", scale=alt.Scale(domain=[n + 0.5, 0.5], nice=False), title=None, axis=None)
    tooltip = [alt.Tooltip("name:N", title="Material"), alt.Tooltip("scenario:N", title="Scenario"),
               alt.Tooltip("rank:Q", title="Rank"), alt.Tooltip("change:Q", title="Places gained in B")]
    # A rank that stays is also a dashed line: the change is not told by colour alone.
    lines = alt.Chart(data).mark_line(point=alt.OverlayMarkDef(size=60), strokeWidth=2.5).encode(
        x=x, y=y, color=colour, detail="name:N", tooltip=tooltip,
        strokeDash=alt.condition("datum.moved == 'moves'", alt.value([1, 0]), alt.value([5, 3])))
    left = alt.Chart(data[data["scenario"] == name_a]).mark_text(align="right", dx=-10, fontSize=12).encode(
        x=x, y=y, text="label:N")
    right = alt.Chart(data[data["scenario"] == name_b]).mark_text(align="left", dx=10, fontSize=12).encode(
        x=x, y=y, text="label:N")
    chart = alt.layer(lines, left, right).properties(
        title=chart_title("Ranks under the two scenarios", "Label = material and its rank (1 = first); "
                                                      "red lines = materials whose rank changes (dashed: same rank)"),
        height=30 * n + 130, width="container")  # Streamlit fits title, axis and legend inside
    moves = compare[compare["rank_a"] != compare["rank_b"]]
    if moves.empty:
        return describe(chart, "Every material keeps its rank.")
    big = moves.assign(gap=(moves["rank_a"] - moves["rank_b"]).abs()).sort_values("gap", ascending=False).iloc[0]
    name = constants.MATERIAL_LABELS.get(big["material"], big["material"])
    return describe(chart, f"{len(moves)} of {len(compare)} materials change rank; the largest move: {name}, "
                           f"{int(big['rank_a'])} under {name_a} and {int(big['rank_b'])} under {name_b}.")
