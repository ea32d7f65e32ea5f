"""Plotly figures, used only where Plotly does a job Altair cannot do as well.

Where Plotly is used, and why:

* **Participants' weight profiles** (``weight_profiles_chart``) as parallel
  coordinates: one vertical axis per criterion, one line per participant.  A
  reader drags along any axis to keep only the participants whose share lies
  in that band (the other lines grey out), and drags an axis sideways to
  put two criteria next to each other.  That brushing and reordering is built
  into Plotly's ``parcoords`` trace; Vega-Lite (and so Altair) has no
  parallel-coordinates mark and no draggable axes, and the folded-line
  version it can draw has neither.
* **Flows of the risk evidence** (``evidence_flows``) as parallel categories:
  value-chain stage → risk category → severity → material, one band per
  combination, as wide as its number of cases.  Hovering over a category
  lights up every band through it across all four columns, and categories and
  columns can be dragged into another order.  Vega-Lite has no
  parallel-sets mark; stacked bars can show two of these dimensions at a time,
  not how cases run through all four.

Everything else stays in Altair (``workshop_charts``, ``material_charts``,
``priority_charts``): those charts are bars, dots and ranges that Altair
draws well, share one style (``charts.style``), and are turned into the
briefing packs' PNGs by ``vl-convert`` without a browser, which Plotly
cannot do without a browser engine of its own.

Pure functions: frames in, ``plotly.graph_objects.Figure`` out; no streamlit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from rmo_data import constants, vocabulary
from rmo_data.analysis import evidence_rollups
from rmo_data.charts.style import BASE

INK = "#1B2631"
# One colour per participant, light to dark teal around the app's base colour, so that a line
# can be followed from the participant's name on the first axis to its end.
LINE_SCALE = [[0.0, "#76D7C4"], [0.5, BASE], [1.0, "#0B2E36"]]
PARTICIPANT_AXIS = "Participant"


def _top(values: pd.Series) -> float:
    """The shares' axis top: the highest share rounded up to 10 %, at least 30 %, at most 100 %."""
    peak = float(values.max()) if len(values) else 0.0
    return float(min(100, max(30, math.ceil(peak / 10) * 10)))


def weight_profiles_chart(shares: pd.DataFrame, criteria: list[str], named: bool = True,
                          big: bool = False) -> go.Figure:
    """Parallel coordinates of the participants' weights: one line per participant.

    Parameters
    ----------
    shares : pandas.DataFrame
        ``GroupResult.shares``: participant, criterion, weight (0-10), share (0-1).
    criteria : list of str
        The workshop's criterion slugs, in the order of the axes.
    named : bool
        True puts the participants' names on a first axis, each line starting
        at its name; False (an anonymous workshop) leaves that axis out, so
        the figure holds no name at all.
    big : bool
        Projector sizes.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``parcoords`` trace; each axis is a criterion's share of the
        participant's score in %, on one common range so heights compare.
    """
    wide = (shares.assign(share_pct=shares["share"] * 100)
            .pivot_table(index="participant", columns="criterion", values="share_pct", sort=False)
            .reindex(columns=criteria).fillna(0.0))
    people = list(dict.fromkeys(shares["participant"]))  # submission order
    wide = wide.reindex(people)
    n = len(people)
    top = _top(wide.stack()) if n else 30.0
    ticks = [0, int(top) // 2, int(top)]  # a few ticks per axis: ten axes of full scales would crowd
    dims: list[dict] = []
    if named:
        dims.append({"label": PARTICIPANT_AXIS, "values": list(range(n)), "tickvals": list(range(n)),
                     "ticktext": people, "range": [-0.5, max(n - 0.5, 0.5)]})
    for slug in criteria:
        dims.append({"label": constants.CRITERION_SHORT[slug], "values": wide[slug].round(1).tolist(),
                     "range": [0, top], "tickvals": ticks, "ticktext": [f"{t} %" for t in ticks]})
    font = 18 if big else 13
    line = {"color": list(range(n)), "colorscale": LINE_SCALE, "cmin": 0, "cmax": max(n - 1, 1),
            "showscale": False}
    # Many axes: slanted labels, so long criterion names do not run into each other.
    angle = 0 if len(criteria) <= 4 else -25
    fig = go.Figure(go.Parcoords(dimensions=dims, line=line, labelangle=angle, labelside="top",
                                 labelfont={"size": font, "color": INK},
                                 tickfont={"size": font - 2, "color": INK},
                                 rangefont={"size": 1, "color": "rgba(0,0,0,0)"}))
    subtitle = ("One line per participant; each axis: share of the score given to that criterion (%)."
                "<br>Drag along an axis to pick out a band of lines.")
    fig.update_layout(
        # Title pinned to the top of the figure; slanted axis labels get their own band below it.
        title={"text": f"Weight profiles of the participants<br><sup>{subtitle}</sup>", "x": 0, "xanchor": "left",
               "y": 0.99, "yanchor": "top", "yref": "container", "pad": {"t": 12},
               "font": {"size": 28 if big else 16, "color": INK}},
        margin={"l": 110 if named else 40, "r": 60, "b": 30,
                "t": (170 if big else 140) + (0 if angle == 0 else 110)},
        height=(560 if big else 460) + (0 if angle == 0 else 90), font={"size": font, "color": INK},
        paper_bgcolor="white", plot_bgcolor="white")
    return fig


# Band colour per severity, light to dark orange-red as the severity bars of the page
# (ColorBrewer OrRd, without its palest steps, which vanish on white); grey when not rated.
SEVERITY_COLOURS = {1: "#FDBB84", 2: "#FC8D59", 3: "#EF6548", 4: "#D7301F", 5: "#990000"}
NOT_RATED_COLOUR = "#AAB7B8"
FLOW_DIMENSIONS = ("Stage", "Risk", vocabulary.short("measure", "case_severity"), "Material")  # short for a phone
FLOW_HOVER = "%{category}: %{count} case(s)<extra></extra>"


def evidence_flows(cube: pd.DataFrame, material_names: Mapping[str, str] | None = None) -> go.Figure:
    """Parallel categories of the evidence cases: stage → risk category → severity → material.

    Parameters
    ----------
    cube : pandas.DataFrame
        Cases per combination: material, stage, category, severity and ``n``
        (``queries.evidence_cube`` of the page's filters).  Rows of the same
        combination are added up; a missing severity is its own category,
        "not rated", never dropped.
    material_names : mapping of str to str, optional
        Name shown for each material slug (default: the constants' short names).
        Stages and risk categories take the constants' short names, severities
        the constants' labels ("4 · severe").

    Returns
    -------
    plotly.graph_objects.Figure
        One ``parcats`` trace: four columns, one band per combination of the
        four with at least one case, as wide as its number of cases and coloured
        by severity.  Categories follow the app's order (value chain, the list
        of risk categories, most severe first, materials as ``material_names``).
        With no case the figure has no trace, only a line saying so.
    """
    names = dict(material_names) if material_names is not None else constants.MATERIAL_SHORT
    flows = evidence_rollups.flow_counts(cube)
    fig = go.Figure()
    # Plotly keeps ~40 px beside the outer columns; these margins add what the first column's names
    # (left of it) and the last's (right of it) need at a phone's width, and no more: wider ones
    # squeeze the columns together until the risk names run into the stage names.
    layout = {"margin": {"l": 28, "r": 30, "t": 36, "b": 12}, "height": 560,
              "font": {"size": 12, "color": INK}, "paper_bgcolor": "white", "plot_bgcolor": "white"}
    if flows.empty:
        fig.add_annotation(text="No case in view.", showarrow=False, x=0.5, y=0.5, xref="paper",
                           yref="paper", font={"size": 14, "color": INK})
        fig.update_layout(**{**layout, "height": 160}, xaxis={"visible": False}, yaxis={"visible": False})
        return fig
    severity = flows["severity"].map(evidence_rollups.severity_name)
    columns = [
        flows["stage"].map(lambda v: constants.STAGE_SHORT.get(v, v)),
        flows["category"].map(lambda v: constants.RISK_CATEGORY_SHORT.get(v, v)),
        severity,
        flows["material"].map(lambda v: names.get(v, v)),
    ]
    orders = [
        [constants.STAGE_SHORT.get(s, s) for s in constants.STAGE_SLUGS],
        [constants.RISK_CATEGORY_SHORT.get(c, c) for c in constants.RISK_CATEGORY_SLUGS],
        [*reversed(constants.SEVERITY_LABELS.values()), constants.SEVERITY_NOT_RATED],  # most severe on top
        list(names.values()),
    ]
    dims = []
    for label, values, order in zip(FLOW_DIMENSIONS, columns, orders, strict=True):
        present = set(values)
        # Only categories with cases: an empty one would still take a label's height.
        shown = [v for v in order if v in present] + sorted(present - set(order))
        dims.append({"label": label, "values": values.tolist(), "categoryorder": "array",
                     "categoryarray": shown})
    colours = [SEVERITY_COLOURS.get(int(v), NOT_RATED_COLOUR) if pd.notna(v) else NOT_RATED_COLOUR
               for v in flows["severity"]]
    fig.add_trace(go.Parcats(
        dimensions=dims, counts=flows["n"].tolist(), line={"color": colours, "shape": "hspline"},
        hoveron="category", hovertemplate=FLOW_HOVER, arrangement="perpendicular",
        labelfont={"size": 13, "color": INK}, tickfont={"size": 10.5, "color": INK}))
    fig.update_layout(**layout)
    return fig
