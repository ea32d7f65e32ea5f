"""Pure chart builders: DataFrame in, ``alt.Chart`` out, no streamlit.

Tests inspect the returned specs (data, encodings, selections).  Pages draw
them with ``st.altair_chart``; the briefing packs render the same builders to
static images.  Names come from ``rmo_data.vocabulary`` (short names on axes and
legends), colours and order from ``rmo_data.constants``.
Missing values are drawn as "no data recorded", never as zero.

Long because: it holds the charts of four pages (Overview, Material profile, Risk
evidence, Stakeholders), which share the heat-map, colour and "no data" rules;
the bubble chart's label placement is in ``rmo_data.charts.bubble_labels``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

from rmo_data import constants, formatting, vocabulary
from rmo_data.analysis import evidence_rollups
from rmo_data.charts import summaries
from rmo_data.charts.alt_text import describe, listing
from rmo_data.charts.bubble_labels import (BUBBLE_AREA, LABEL_GAP, LABEL_MAX_STRETCH, LABEL_MIN_PLOT_WIDTH, LABEL_SIZE,
                                           PHONE_MIN_PLOT_WIDTH, SCATTER_HEIGHT, bubble_labels)
from rmo_data.charts.contrast import INK
from rmo_data.charts.palette import CATEGORICAL
from rmo_data.charts.responsive import NARROW, on_phone
from rmo_data.charts.style import BASE, HIGHLIGHT, NO_DATA_COLOUR, chart_title, number_text, title_on_phone

ASSETS = Path(__file__).resolve().parents[2] / "assets"


# --- overview ----------------------------------------------------------------

INDICATORS: tuple[tuple[str, str, str, int], ...] = (
    # column, label (an axis: short names), unit suffix, digits
    ("auto_share_pct", vocabulary.short("criterion", "auto_share"), " %", 0),
    ("mining_hhi", vocabulary.short("criterion", "mining_hhi"), "", 0),
    ("processing_hhi", vocabulary.short("criterion", "processing_hhi"), "", 0),
    # The top country's share at the mine (the criterion takes the higher of the two stages).
    ("mining_top1_share", f"{vocabulary.short('criterion', 'top_share')} (mining)", " %", 0),
    ("supply_risk", vocabulary.short("criterion", "supply_risk"), "", 1),
    ("risk_breadth", "Salient-risk categories", "", 0),
    ("evidence_count", "Evidence cases", "", 0),
)


# Where on Vega's orangered scale (0-1) a cell's label turns from black to white: below it black
# text reaches 4.5:1 on the fill, from it white text does (the two cross near 0.745).
WHITE_TEXT_FROM = 0.75


HEAT_ROW = 34  # px per material row
_HEAT_LINE = 14  # px between the lines of a two-line header or cell


# A text mark given an array draws one line per item: the joined lines, split in the browser.
LINES = "split(datum.text, '\\n')"


def _two_lines(text: str) -> list[str]:
    """``text`` as one line when short, else split into two lines of about equal length (at a space)."""
    words = text.split(" ")
    if len(text) <= 12 or len(words) == 1:
        return [text]
    cut = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) - len(" ".join(words[i:]))))
    return [" ".join(words[:cut]), " ".join(words[cut:])]


# A risk category's label → its short name, for the charts that shorten them on a phone.
RISK_SHORT_BY_LABEL: dict[str, str] = {r.label: constants.RISK_CATEGORY_SHORT[r.slug]
                                       for r in constants.RISK_CATEGORIES}


def _lookup(table: Mapping[str, Any], key: str = "datum.label") -> str:
    """A Vega expression that looks ``key`` up in ``table`` (``key`` itself when it is not there)."""
    return f"({json.dumps(dict(table))}[{key}] || {key})"


def overview_heat_table(df: pd.DataFrame) -> alt.Chart:
    """Materials × indicators; colour shows rank within each indicator, text the value.

    Missing cells are grey and read "no data recorded".  Clicking a row selects
    that material (selection ``pick``).  The indicators head their columns
    horizontally, on at most two lines (angled labels ran into each other); the
    top country's cell gives the country and its share on two lines, so the
    longest names fit a column.  On a phone (``responsive``: seven columns in
    about 250 px) the headers stand upright, the materials go by their short
    names and each cell holds its figure alone, with no decimals dropped: the top
    country's share without the country, and a grey cell without its words
    (both are in the tooltip and the table below); whole words were cut to "Au…"
    and "no rec…" there.
    """
    rows = []
    for _, r in df.iterrows():
        for col, label, unit, digits in INDICATORS:
            value = r.get(col)
            missing = formatting.is_missing(value)
            # "no data recorded" on two lines, the width of a figure.
            text = _two_lines(formatting.NO_DATA) if missing else [formatting.number(value, digits, unit)]
            phone = "" if missing else formatting.number(value, digits, unit)
            if col == "mining_top1_share" and not missing:
                text, phone = [str(r.get("mining_top1_country")), formatting.percent(value)], formatting.percent(value)
            # The lines travel joined: Streamlit sends the rows as Arrow, and a list column reached
            # the browser as the text "[a,b]"; the marks split them again (LINES).
            rows.append({"material": r["material"], "name": r["name"], "indicator": label,
                         "value": None if missing else float(value), "text": "\n".join(text),
                         "text_phone": phone, "tooltip": " ".join(text),
                         "text_dy": -(len(text) - 1) * _HEAT_LINE / 2})
    long = pd.DataFrame(rows)
    # Vega-Lite drops a mark whose colour field is null; missing cells get 0 here
    # and are painted grey by the isValid(value) condition below.
    long["relative"] = long.groupby("indicator")["value"].rank(pct=True).fillna(0.0)
    pick = alt.selection_point(name="pick", fields=["material"], on="click", clear="dblclick")
    order = [label for _, label, _, _ in INDICATORS]
    # Vega draws a label's second line below its first, towards the cells: every header gets two
    # lines (a short one on the lower), and the labels stand one line further from the cells.
    heads = {o: ([""] + _two_lines(o))[-2:] for o in order}
    shorts = {n: constants.MATERIAL_SHORT[m] for m, n in zip(df["material"], df["name"], strict=True)
              if m in constants.MATERIAL_SHORT}
    # Column headers: two horizontal lines each, upright on one line on a phone.
    x = alt.X("indicator:N", sort=order, title=None, axis=alt.Axis(
        orient="top", ticks=False, domain=False, labelOverlap=False, labelPadding=on_phone(6, 6 + _HEAT_LINE),
        labelExpr=f"{NARROW} ? datum.label : {_lookup(heads)}", labelFontWeight="bold", labelColor=INK,
        labelFontSize=12, labelLineHeight=_HEAT_LINE, labelAngle=on_phone(-90, 0),
        labelAlign=on_phone("left", "center"), labelBaseline=on_phone("middle", "bottom"),
        labelLimit=alt.expr(f"{NARROW} ? 200 : bandwidth('x') - 6")))
    y = alt.Y("name:N", sort=df["name"].tolist(), title=None,
              axis=alt.Axis(labelLimit=220, ticks=False, domain=False,
                            labelExpr=f"{NARROW} ? {_lookup(shorts)} : datum.label"))
    cells = alt.Chart(long).mark_rect(stroke="white", strokeWidth=2).encode(
        x=x, y=y,
        color=alt.condition("isValid(datum.value)",
                            alt.Color("relative:Q", scale=alt.Scale(scheme="orangered", domain=[0, 1]),
                                      # Ranks, not values: the legend says which end is which.
                                      legend=alt.Legend(title="Rank among the materials shown", orient="bottom",
                                                        values=[0, 1], gradientLength=220, titleLimit=400,
                                                        labelExpr="datum.value < 0.5 ? 'lowest' : 'highest'")),
                            alt.value(NO_DATA_COLOUR)),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
        tooltip=[alt.Tooltip("name:N", title="Material"), alt.Tooltip("indicator:N", title="Indicator"),
                 alt.Tooltip("tooltip:N", title="Value")],
    ).add_params(pick)
    # Never wider than its cell (the whole text is in the tooltip).
    text = alt.Chart(long).mark_text(
        fontSize=on_phone(11, 12), lineHeight=_HEAT_LINE, dy=alt.expr(f"{NARROW} ? 0 : datum.text_dy"),
        text=alt.expr(f"{NARROW} ? datum.text_phone : {LINES}"),
        limit=alt.expr("bandwidth('x') - 4")).encode(
        x=x, y=y,
        # Black below, white from the dark quarter of the scale: each reaches 4.5:1 on its cells
        # (tests/charts/test_contrast.py follows Vega's orangered scheme).
        color=alt.condition(f"datum.relative >= {WHITE_TEXT_FROM}", alt.value("white"), alt.value("black")),
    )
    chart = (cells + text).properties(
        title=chart_title("Where each material stands",
                          f"Darker = higher among the materials shown; grey = {formatting.NO_DATA}"),
        height=alt.Step(HEAT_ROW), width="container")
    return describe(chart, summaries.overview_heat(long, len(df), order))


# The bubble chart's legends lie below the plot, in a row (``configure_legend`` stacks them on a phone).
_BELOW: dict[str, Any] = {"orient": "bottom", "direction": "horizontal"}
# A phone: the app's one test of a narrow container (``responsive``), not the plot's own ``width``,
# which the layout chosen here changes.
_PHONE = NARROW


def overview_scatter(df: pd.DataFrame, stage: str = "mining") -> alt.LayerChart:
    """Top-country share (x) against recorded evidence cases (y); size = salient-risk breadth.

    Colour is the automotive share; materials without one are grey and read
    "no data recorded" in the tooltip.  Materials without production data at
    ``stage`` are left out (the page names them).  Selection ``pick`` on click.
    Each bubble's name is placed beside it where it collides with nothing
    (``bubble_labels``), else it is in the tooltip only.
    """
    data = df[["material", "name", f"{stage}_top1_share", f"{stage}_top1_country",
               "risk_breadth", "evidence_count", "auto_share_pct"]].copy()
    data.columns = ["material", "name", "top1_share", "top1_country", "risk_breadth",
                    "evidence_count", "auto_share_pct"]
    data = data.dropna(subset=["top1_share"]).reset_index(drop=True)
    data["auto_label"] = data["auto_share_pct"].map(formatting.percent)
    data["top1_label"] = [f"{c} {formatting.percent(s)}" if not formatting.is_missing(s) else formatting.NO_DATA
                          for c, s in zip(data["top1_country"], data["top1_share"], strict=True)]
    breadth = data["risk_breadth"].fillna(0)
    max_breadth = max(float(breadth.max()) if len(data) else 1.0, 1.0)
    # Explicit domains, so the label placement knows where every bubble is drawn.
    y_max = float(data["evidence_count"].max()) + 1 if len(data) else 1.0
    areas = [BUBBLE_AREA[0] + (BUBBLE_AREA[1] - BUBBLE_AREA[0]) * b / max_breadth for b in breadth]
    # The most evidence first: those labels are placed first.
    order = sorted(range(len(data)), key=lambda i: (-data["evidence_count"][i], -areas[i]))
    radius = [(a / math.pi) ** 0.5 + 1 + LABEL_GAP for a in areas]
    # Two placements: the names for a laptop or wider, the short names for a phone's narrower plot.
    data["phone_name"] = [constants.MATERIAL_SHORT.get(m, n) for m, n in zip(data["material"], data["name"],
                                                                             strict=True)]
    for prefix, names, widths in (("label", "name", (LABEL_MIN_PLOT_WIDTH, LABEL_MAX_STRETCH)),
                                  ("phone", "phone_name",
                                   (PHONE_MIN_PLOT_WIDTH, LABEL_MIN_PLOT_WIDTH / PHONE_MIN_PLOT_WIDTH))):
        placed = bubble_labels([data["top1_share"][i] for i in order], [data["evidence_count"][i] for i in order],
                               [areas[i] for i in order], [data[names][i] for i in order], y_max, *widths)
        where = dict(zip(order, placed, strict=True))
        at = [where[i] or "" for i in range(len(data))]
        data[f"{prefix}_at"] = at
        data[f"{prefix}_dx"] = [{"right": r, "left": -r}.get(w, 0.0) for r, w in zip(radius, at, strict=True)]
        data[f"{prefix}_dy"] = [{"above": -r, "below": r}.get(w, 0.0) for r, w in zip(radius, at, strict=True)]
        data[f"{prefix}_align"] = [{"right": "left", "left": "right"}.get(w, "center") for w in at]
        data[f"{prefix}_baseline"] = [{"above": "bottom", "below": "top"}.get(w, "middle") for w in at]
    pick = alt.selection_point(name="pick", fields=["material"], on="click", clear="dblclick")
    stage_label = constants.STAGE_LABELS[stage].split(":")[0].lower()
    base = alt.Chart(data).encode(
        x=alt.X("top1_share:Q", title=f"Share of the top {stage_label} country (% of world)",
                scale=alt.Scale(domain=[0, 100])),
        y=alt.Y("evidence_count:Q", title="Recorded evidence cases (count)",
                scale=alt.Scale(domain=[0, y_max], nice=False), axis=alt.Axis(tickMinStep=1)),
    )
    tooltip = [alt.Tooltip("name:N", title="Material"),
               alt.Tooltip("top1_label:N", title="Top country"),
               alt.Tooltip("evidence_count:Q", title="Evidence cases", format=formatting.VEGA_INTEGER),
               alt.Tooltip("risk_breadth:Q", title="Salient-risk categories", format=formatting.VEGA_INTEGER),
               alt.Tooltip("auto_label:N", title=vocabulary.name("criterion", "auto_share"))]
    # Whole categories in the legend, from the smallest to the largest bubble drawn.
    shown = sorted({int(breadth.min()), int(round((breadth.min() + breadth.max()) / 2)), int(breadth.max())}) \
        if len(data) else [0]
    size = alt.Size("risk_breadth:Q", title="Salient-risk categories",
                    scale=alt.Scale(domain=[0, max_breadth], range=list(BUBBLE_AREA)),
                    legend=alt.Legend(values=shown, format=formatting.VEGA_INTEGER, **_BELOW))
    opacity = alt.condition(pick, alt.value(0.95), alt.value(0.35))
    # Vega-Lite drops marks whose colour field is null, so materials without an
    # automotive share get their own grey layer instead of vanishing.
    known = base.transform_filter("isValid(datum.auto_share_pct)").mark_circle(
        stroke="#1B2631", strokeWidth=1).encode(
        size=size, opacity=opacity, tooltip=tooltip,
        color=alt.Color("auto_share_pct:Q", title=f"{vocabulary.short('criterion', 'auto_share')} (%)",
                        scale=alt.Scale(scheme="teals"),
                        legend=alt.Legend(format=formatting.vega_format(0), **_BELOW)),
    ).add_params(pick)
    unknown = base.transform_filter("!isValid(datum.auto_share_pct)").mark_circle(
        stroke="#1B2631", strokeWidth=1, color=NO_DATA_COLOUR).encode(
        size=size, opacity=opacity, tooltip=tooltip)
    def names(prefix: str, text: str, shown: str) -> alt.Chart:
        return base.transform_filter(f"datum.{prefix}_at != ''").mark_text(
            fontSize=LABEL_SIZE, fontWeight="bold", dx=alt.expr(f"datum.{prefix}_dx"),
            dy=alt.expr(f"datum.{prefix}_dy"), align=alt.expr(f"datum.{prefix}_align"),
            baseline=alt.expr(f"datum.{prefix}_baseline"), opacity=alt.expr(f"{shown} ? 1 : 0"),
        ).encode(text=f"{text}:N")

    # Each placement is drawn only at the plot widths it was made for; an unnamed bubble has a tooltip.
    labels = names("label", "name", f"width >= {LABEL_MIN_PLOT_WIDTH}")
    phone_labels = names("phone", "phone_name", f"width < {LABEL_MIN_PLOT_WIDTH}")
    title = f"Concentration at {stage_label} against recorded evidence"
    chart = alt.layer(known, unknown, labels, phone_labels).properties(
        title=chart_title(title, "Bubble size = salient-risk categories; colour = automotive share "
                                 f"(grey = {formatting.NO_DATA}); a bubble without a name shows it on hover"),
        height=SCATTER_HEIGHT, width="container")
    chart = describe(chart, summaries.overview_scatter(data, stage_label))  # from the one-line title
    # On a phone (a plot narrower than the labels need) the title takes two lines and the two
    # legends stand one under the other below the plot; beside it (Vega's default) they took half
    # a phone's width, and side by side below it they ran past its edge.
    # Anchored to the plot ("group"): from the edge of all the chart's bounds, Vega drew it past the
    # left edge of a 360 px phone.
    chart = title_on_phone(chart)
    chart.title.frame = "group"
    return chart.configure_legend(layout=alt.ExprRef(
        f"{{bottom: {{anchor: 'start', margin: 12, direction: {_PHONE} ? 'vertical' : 'horizontal'}}}}"))


# --- material profile --------------------------------------------------------

END_USE = "end_use_shares"  # named dataset of end_use_chart(None)
# Wide enough for the bars and their labels, narrow enough for a 360 px phone (328 px of content).
END_USE_WIDTH = 300


def end_use_data(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of the end-use chart: ``queries.end_use_shares`` with panel, label and kind columns.

    Each basis (panel) starts with a header row (``is_header``, its name in
    ``name_label``, no share); ``row`` orders them: a panel's header, then its
    sectors, largest share first.
    """
    data = df.copy()
    # A heading each: the basis capitalised ("Consumption by industry · global · 2016").
    data["panel"] = [f"{str(b)[:1].upper()}{str(b)[1:]} · {s}" + (f" · {int(y)}" if not pd.isna(y) else "")
                     for b, s, y in zip(data["basis"], data["scope"], data["year"], strict=True)]
    data["bound_label"] = data["bound"].map({"eq": "", "approx": "about ", "ge": "at least ",
                                             "le": "at most "}).fillna("")
    data["label"] = data["bound_label"] + data["share_pct"].map(lambda v: formatting.percent(v, None))
    data["kind"] = data["is_automotive"].map({True: "Automotive / transport", False: "Other uses"})
    # Drawn above the bar, the share first: a long sector name is cut at the chart's edge, never the share.
    data["name_label"] = data["label"] + " · " + data["sector"]
    data["is_header"] = False
    panels = list(dict.fromkeys(data["panel"]))
    heads = pd.DataFrame({"panel": panels, "name_label": panels, "label": "", "is_header": True})
    data = data.sort_values("share_pct", ascending=False, kind="stable")
    out = pd.concat([heads, data], ignore_index=True)
    out["_panel"] = out["panel"].map({p: i for i, p in enumerate(panels)})
    out = out.sort_values(["_panel", "is_header"], ascending=[True, False], kind="stable")
    out["row"] = [f"{p:02d}-{i:03d}" for p, i in zip(out["_panel"], range(len(out)), strict=True)]
    return out.drop(columns="_panel").reset_index(drop=True)


def end_use_chart(df: pd.DataFrame | None = None, width: int | None = None) -> alt.LayerChart:
    """Horizontal bars of end-use shares, one block per basis/scope/year under its name; automotive highlighted.

    With ``df`` (``queries.end_use_shares``) the rows are in the chart.  With
    ``df=None`` the chart reads them from the named dataset ``END_USE`` and the
    caller adds ``end_use_data(df)`` under that name: the spec is then the same
    for every material, so a material not shown before costs no new chart.
    Each sector's name stands above its bar, not beside it, so a phone's width
    holds it.  One view, not a facet: it takes the page's width (``width`` None;
    a number for a static image), where a facet's fixed panels left the bars in
    a quarter of a laptop's column.
    """
    data = alt.NamedData(name=END_USE) if df is None else end_use_data(df)
    base = alt.Chart(data)
    y = alt.Y("row:N", sort="ascending", title=None, axis=None)
    sectors = base.transform_filter("!datum.is_header")
    # Within each row's band: the name in its upper half, the bar in its lower half.
    bars = sectors.mark_bar(size=12, yOffset=7).encode(
        # From 0 to a little past the largest share: on 0–100, a 36 % top share left two thirds empty.
        x=alt.X("share_pct:Q", title="Share (%)", scale=alt.Scale(zero=True, nice=True),
                axis=alt.Axis(tickCount=5)),
        y=y,
        color=alt.Color("kind:N", title=None,
                        scale=alt.Scale(domain=["Automotive / transport", "Other uses"],
                                        range=[HIGHLIGHT, "#85929E"]),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("sector:N", title="Sector"), alt.Tooltip("label:N", title="Share"),
                 alt.Tooltip("panel:N", title="Basis"), alt.Tooltip("source_title:N", title="Source"),
                 alt.Tooltip("note:N", title="Note")],
    )
    # The sector and its share above the bar: a label at the bar's end would run past a long bar.
    limit = width if width is not None else alt.expr("width")
    names = sectors.mark_text(align="left", baseline="bottom", dy=-1, fontSize=12, limit=limit).encode(
        x=alt.value(0), y=y, text="name_label:N")
    heads = base.transform_filter("datum.is_header").mark_text(
        align="left", baseline="bottom", dy=4, fontSize=13, fontWeight="bold", color=INK, limit=limit).encode(
        x=alt.value(0), y=y, text="name_label:N")
    chart = alt.layer(bars, names, heads).properties(
        width="container" if width is None else width, height=alt.Step(36),
        title=chart_title("End use", "Share of use by sector"))
    # The same spec with rows inline or named: the page passes ``end_use_summary`` of its rows.
    return describe(chart, summaries.end_use(None))



def top_countries(df: pd.DataFrame, top_n: int = 6) -> pd.DataFrame:
    """Keep the ``top_n`` largest countries of the latest year; fold the rest into "All other".

    Input: production rows of ONE commodity (country_kind, country_name, year,
    quantity).  World-total rows are dropped; "Other countries" joins "All other".
    """
    rows = df[df["country_kind"] != "world"].copy()
    named = rows[(rows["country_kind"] == "country") & rows["quantity"].notna()]
    if named.empty:
        return rows.assign(group=pd.Series(dtype=str)).iloc[0:0]
    latest = named["year"].max()
    leaders = (named[named["year"] == latest].sort_values("quantity", ascending=False)
               ["country_name"].head(top_n).tolist())
    rows["group"] = rows["country_name"].where(rows["country_name"].isin(leaders), "All other")
    grouped = (rows.groupby(["year", "group"], as_index=False)
               .agg(quantity=("quantity", lambda s: s.sum(min_count=1)),
                    is_estimate=("is_estimate", "max")))
    # USGS flags estimates country by country; a year is marked when any of its country figures
    # is one, the rule of the concentration figures (metrics) drawn beside this chart.
    year_flag = rows.groupby("year")["is_estimate"].agg(lambda s: bool(s.astype(bool).any()))
    grouped["year_is_estimate"] = grouped["year"].map(year_flag)
    grouped["order"] = grouped["group"].map(lambda g: leaders.index(g) if g in leaders else len(leaders))
    return grouped


YEAR_ESTIMATE_TITLE = "Year (e = includes estimates)"  # the production and concentration charts' year axis
YEAR_LABEL_PX = 40  # the width a year label ("2025e") needs on a band axis to sit level
PRODUCTION_AXES_PX = 230  # what the production chart's y axis and country legend take of its width


def year_labels(years: pd.Series, estimated: pd.Series) -> list[str]:
    """Each year as its axis writes it: "2025e" where its figures include estimates."""
    return [f"{int(y)}{'e' if e else ''}" for y, e in zip(years, estimated, strict=True)]


def year_axis(n_years: int, reserved_px: int) -> alt.Axis:
    """A band axis of ``n_years`` year labels, upright where the chart's container leaves them no room
    to sit level beside each other (a phone, a narrow column): Vega dropped every other year there.

    ``reserved_px`` is what the chart's other parts (y axis, legend, side labels) take of the width.
    The test reads the container's width, not the plot's: the plot's own width depends on the axes.
    """
    upright = f"containerSize()[0] < {YEAR_LABEL_PX * max(1, n_years) + reserved_px}"
    return alt.Axis(labelAngle=alt.ExprRef(f"{upright} ? -90 : 0"),
                    labelAlign=alt.ExprRef(f"{upright} ? 'right' : 'center'"),
                    labelBaseline=alt.ExprRef(f"{upright} ? 'middle' : 'top'"), labelOverlap=False)


def production_chart(df: pd.DataFrame, unit: str, title: str, top_n: int = 6) -> alt.Chart:
    """Stacked bars of production by country and year for one commodity; click selects a country."""
    data = top_countries(df, top_n)
    data["year_label"] = year_labels(data["year"], data["year_is_estimate"])
    data["estimate_label"] = data["is_estimate"].map({True: "includes estimates", False: "reported"})
    pick = alt.selection_point(name="country", fields=["group"], on="click", clear="dblclick")
    # One palette colour per leading country in its order; "All other" always in the palette's grey.
    groups = data.drop_duplicates("group").sort_values("order")["group"].tolist()
    leaders = [g for g in groups if g != "All other"]
    colours = [CATEGORICAL[i % (len(CATEGORICAL) - 1)] for i in range(len(leaders))]
    if len(leaders) < len(groups):
        colours.append(CATEGORICAL[-1])
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("year_label:O", title=YEAR_ESTIMATE_TITLE,
                axis=year_axis(data["year_label"].nunique(), PRODUCTION_AXES_PX)),
        y=alt.Y("quantity:Q", title=f"Production ({unit})", stack="zero"),
        color=alt.Color("group:N", title="Country", sort=alt.SortField("order"),
                        scale=alt.Scale(domain=leaders + ["All other"] * (len(leaders) < len(groups)),
                                        range=colours)),
        order=alt.Order("order:Q", sort="ascending"),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.35)),
        tooltip=[alt.Tooltip("group:N", title="Country"), alt.Tooltip("year_label:N", title="Year"),
                 alt.Tooltip("quantity:Q", title=f"Production ({unit})", format=formatting.vega_format(0)),
                 alt.Tooltip("estimate_label:N", title="Figure")],
    ).add_params(pick).properties(title=chart_title(title, f"By country, {unit}"),
                                  height=320, width="container")
    return title_on_phone(describe(chart, summaries.production(data, unit)))



HHI_THRESHOLDS = ((1500, "moderate"), (2500, "high"))  # the usual reading of a Herfindahl-Hirschman index


TREND_AXES_PX = 160  # what the concentration trend's y axis and threshold labels take of its width


def hhi_trend_chart(df: pd.DataFrame, title: str) -> alt.Chart:
    """Concentration (HHI) by year with the usual 1,500 / 2,500 reference lines.

    The y axis runs from 0 to a little above the highest value (and at least past 2,500), not
    to 10,000, so a change over the years is visible; the lines' labels sit right of the plot,
    where the line of values never runs.
    """
    data = df.copy()
    data["year"] = data["year"].astype(int)
    # As the production chart writes them: "2025e" where the year's figures are estimates.
    estimate = (data["is_estimate"].fillna(False).astype(bool) if "is_estimate" in data.columns
                else pd.Series(False, index=data.index))
    data["year_label"] = year_labels(data["year"], estimate)
    top = max(3000.0, float(data["hhi"].max()) * 1.15 if len(data) else 0.0)
    y_max = min(10_000.0, math.ceil(top / 1000) * 1000)
    hhi_title = vocabulary.with_unit("measure", "stage_hhi")
    line = alt.Chart(data).mark_line(point=alt.OverlayMarkDef(size=70), color=BASE).encode(
        # Upright years where a "2025e" would not fit beside the next (the profile's narrow column).
        x=alt.X("year_label:O", title=YEAR_ESTIMATE_TITLE, sort=alt.SortField("year"),
                axis=year_axis(len(data), TREND_AXES_PX)),
        y=alt.Y("hhi:Q", title=hhi_title, scale=alt.Scale(domain=[0, y_max], nice=False),
                axis=alt.Axis(format=formatting.VEGA_INTEGER)),
        tooltip=[alt.Tooltip("year_label:N", title="Year"),
                 alt.Tooltip("hhi:Q", format=formatting.vega_format(0), title=hhi_title),
                 alt.Tooltip("top1_country:N", title="Top country"),
                 alt.Tooltip("top1_share:Q", format=formatting.vega_format(1),
                             title=f"{vocabulary.name('criterion', 'top_share')} (%)")],
    )
    refs = pd.DataFrame({"hhi": [v for v, _ in HHI_THRESHOLDS],
                         "label": [f"{word} ({formatting.number(v)})" for v, word in HHI_THRESHOLDS]})
    rules = alt.Chart(refs).mark_rule(strokeDash=[4, 4], color="#922B21").encode(y="hhi:Q")
    labels = alt.Chart(refs).mark_text(align="left", baseline="middle", dx=6, color="#922B21", fontSize=11).encode(
        y="hhi:Q", text="label:N", x=alt.value("width"))
    chart = (rules + labels + line).properties(
        title=chart_title(title, "Herfindahl-Hirschman index of country shares; dashed: moderately and "
                                 "highly concentrated"),
        height=280, width="container")
    return describe(chart, summaries.hhi_trend(data))


def value_chain_chart(risks: pd.DataFrame, evidence: pd.DataFrame) -> alt.Chart:
    """Stages (columns, mining → recycling) × risk categories (rows).

    A filled cell means the report names a salient risk of that category at
    that stage; the number is the evidence cases recorded there.  ``risks``
    has category and a ``stages`` list; ``evidence`` has stage and category,
    one row per case or with the number of cases in ``n``.
    """
    salient = {(c, st) for c, stages in zip(risks["category"], risks["stages"], strict=True) for st in stages}
    # ``evidence`` may be the cases themselves or counts of them (an ``n`` column,
    # as queries.evidence_cube returns), so a large store need not send every row.  With
    # a ``passage`` column, cases split from one passage of the report count once in
    # each cell and each stage's total.
    frame = evidence if "n" in evidence.columns else evidence.assign(n=1)
    counts = (evidence_rollups.count_once(frame, ["category", "stage"]).to_dict()
              if not evidence.empty else {})
    counts = {k: v for k, v in counts.items() if v}
    categories = [r.slug for r in constants.RISK_CATEGORIES
                  if any(k[0] == r.slug for k in salient) or any(k[0] == r.slug for k in counts)]
    stage_totals = evidence_rollups.count_once(frame, ["stage"]).to_dict() if not evidence.empty else {}
    stage_names = {s: f"{constants.STAGE_SHORT[s]} ({stage_totals.get(s, 0)})" for s in constants.STAGE_SLUGS}
    rows = []
    for cat in categories:
        for stage in constants.STAGE_SLUGS:
            n = int(counts.get((cat, stage), 0))
            is_salient = (cat, stage) in salient
            rows.append({"category": cat, "category_name": constants.RISK_CATEGORY_LABELS[cat],
                         "stage": stage, "stage_name": stage_names[stage], "n": n,
                         "text": str(n) if n else "", "status": (
                             "Salient risk" if is_salient else
                             ("Evidence only" if n else "Not flagged"))})
    data = pd.DataFrame(rows)
    domain = ["Salient risk", "Evidence only", "Not flagged"]
    # On a phone the risks go by their short names and the stages stand upright: the full names
    # left the six columns a strip 20 px wide, their slanted headers printed over each other.
    base = alt.Chart(data).encode(
        x=alt.X("stage_name:N", sort=[stage_names[s] for s in constants.STAGE_SLUGS], title=None,
                # Wider, each header in two short lines, level: slanted, they ran into the next one.
                axis=alt.Axis(orient="top", labelAngle=on_phone(-90, 0), labelAlign=on_phone("left", "center"),
                              labelBaseline=on_phone("middle", "bottom"), labelLimit=150, labelOverlap=False,
                              labelExpr=f"{NARROW} ? datum.label : split(datum.label, ' ')", labelLineHeight=14)),
        y=alt.Y("category_name:N", sort=[constants.RISK_CATEGORY_LABELS[c] for c in categories], title=None,
                axis=alt.Axis(labelLimit=on_phone(120, 280),
                              labelExpr=f"{NARROW} ? {_lookup(RISK_SHORT_BY_LABEL)} : datum.label")),
    )
    # A salient cell is told apart by its dark outline as well as its colour (not by colour alone).
    cells = base.mark_rect(strokeWidth=3, cornerRadius=3).encode(
        color=alt.Color("status:N", title=None, scale=alt.Scale(domain=domain,
                                                               range=["#D35400", "#F5CBA7", "#F2F3F4"]),
                        # One under the other: side by side they ran past a phone's edge.
                        legend=alt.Legend(orient="bottom", direction="vertical", symbolStrokeColor=INK)),
        stroke=alt.condition("datum.status == 'Salient risk'", alt.value(INK), alt.value("white")),
        tooltip=[alt.Tooltip("category_name:N", title="Risk category"),
                 alt.Tooltip("stage_name:N", title="Stage (all cases)"),
                 alt.Tooltip("status:N", title="Report"), alt.Tooltip("n:Q", title="Evidence cases")],
    )
    text = base.mark_text(fontSize=13, fontWeight="bold", color="black").encode(text="text:N")  # 5:1 on orange
    chart = (cells + text).properties(
        title=chart_title("Risks along the value chain",
                     "Filled = salient risk named by the report · number = evidence cases · "
                     "column header = all cases at that stage"),
        height=alt.Step(30), width="container")
    return describe(chart, summaries.value_chain(data, stage_totals))



# --- evidence ----------------------------------------------------------------

def evidence_heatmap(counts: pd.DataFrame) -> alt.Chart:
    """Risk category (rows) × stage (columns): number of cases; click selects a cell."""
    data = counts.groupby(["category", "stage"], as_index=False).agg(
        n=("n", "sum"), max_severity=("max_severity", "max"))
    data["category_name"] = data["category"].map(constants.RISK_CATEGORY_LABELS)
    data["stage_name"] = data["stage"].map(constants.STAGE_SHORT)
    pick = alt.selection_point(name="cell", fields=["category", "stage"], on="click", clear="dblclick")
    stage_order = [constants.STAGE_SHORT[s] for s in constants.STAGE_SLUGS]
    base = alt.Chart(data).encode(
        # Every stage keeps its column, even with no case, so the chain reads left to right.
        # On a phone: short row names, so the cells keep some width, and upright stage names.
        x=alt.X("stage_name:N", sort=stage_order, title="Value-chain stage",
                scale=alt.Scale(domain=stage_order),
                axis=alt.Axis(orient="top", labelAngle=on_phone(-90, 0), labelAlign=on_phone("left", "center"),
                              labelBaseline=on_phone("middle", "bottom"), labelOverlap=False)),
        # On a phone the categories' short names (the value-chain map's), whole, not cut at 140 px.
        y=alt.Y("category_name:N", sort=[r.label for r in constants.RISK_CATEGORIES], title=None,
                axis=alt.Axis(labelLimit=on_phone(130, 300),
                              labelExpr=f"{NARROW} ? {_lookup(RISK_SHORT_BY_LABEL)} : datum.label")),
    )
    top = max(int(data["n"].max()), 1) if not data.empty else 1
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        # The legend below the grid: beside it, it takes a phone's cells' width.
        color=alt.Color("n:Q", title="Cases", scale=alt.Scale(scheme="orangered", domain=[0, top]),
                        legend=alt.Legend(orient="bottom")),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.4)),
        tooltip=[alt.Tooltip("category_name:N", title="Risk category"),
                 alt.Tooltip("stage_name:N", title="Stage"), alt.Tooltip("n:Q", title="Cases"),
                 alt.Tooltip("max_severity:Q", title="Highest severity (1–5)")],
    ).add_params(pick)
    text = base.mark_text(fontSize=12).encode(
        text="n:Q", color=alt.condition(f"datum.n >= {WHITE_TEXT_FROM * top}", alt.value("white"),
                                        alt.value("black")))
    chart = (cells + text).properties(
        title=chart_title("Evidence by risk category and stage",
                          "Recorded cases per cell; a case naming several stages or risks is in each"),
        height=alt.Step(26), width="container")
    if data.empty:
        return describe(chart, "No case in view.")
    top = data.loc[data["n"].idxmax()]
    # Not the sum of the cells: a case naming several stages or risks is in each of their cells, so
    # the sum (46) read as a count of cases beside the page's "Cases shown" (35).
    return describe(chart, f"Cases in {len(data)} cells; a case that names several stages or risks counts in "
                           f"each. Most: {top['category_name']} at {top['stage_name']} ({number_text(top['n'])}).")


@lru_cache(maxsize=1)
def world_topology() -> dict[str, Any]:
    """World country outlines (world-atlas 110m TopoJSON, shipped in assets/)."""
    return json.loads((ASSETS / "countries-110m.json").read_text(encoding="utf-8"))


WORLD_DATASET = "world_countries_110m"


def world_datasets() -> dict[str, Any]:
    """The world geometry as a named Vega-Lite dataset, for ``evidence_map(..., named_geometry=True)``."""
    return {WORLD_DATASET: world_topology()}


def evidence_map(by_country: pd.DataFrame, named_geometry: bool = False) -> alt.Chart:
    """World map of evidence cases per country, drawn offline from shipped geometry.

    ``by_country`` has iso_numeric, country_name, n.  Click selects a country.
    With ``named_geometry`` the chart refers to the geometry by name
    (``WORLD_DATASET``) and the caller adds ``world_datasets()`` to the spec:
    Altair walks every coordinate of inline data each time a chart is built and
    converted (~0.3 s for this map), a named dataset is added as it is.
    """
    data = by_country.dropna(subset=["iso_numeric"]).copy()
    data["id"] = data["iso_numeric"].astype(int).map(lambda n: f"{n:03d}")
    topo_format = alt.DataFormat(feature="countries", type="topojson")
    topo = (alt.NamedData(name=WORLD_DATASET, format=topo_format) if named_geometry
            else alt.Data(values=world_topology(), format=topo_format))
    pick = alt.selection_point(name="country", fields=["country_name"], on="click", clear="dblclick")
    # The grey land under the data is decoration: no ARIA role, so a screen reader skips it.
    background = alt.Chart(topo).mark_geoshape(fill="#EEF0F2", stroke="white", strokeWidth=0.5, aria=False)
    filled = alt.Chart(topo).mark_geoshape(stroke="white", strokeWidth=0.5).transform_lookup(
        lookup="id", from_=alt.LookupData(data, "id", ["country_name", "n"]),
    ).transform_filter("isValid(datum.n)").encode(
        color=alt.Color("n:Q", title="Cases", scale=alt.Scale(scheme="orangered")),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.4)),
        tooltip=[alt.Tooltip("country_name:N", title="Country"), alt.Tooltip("n:Q", title="Cases")],
    ).add_params(pick)
    chart = (background + filled).project("equalEarth").properties(
        title=chart_title("Evidence by country", "Cases recorded per country; grey = none recorded"),
        height=360, width="container")
    if data.empty:
        return describe(chart, "No case with a country in view.")
    top = data.sort_values("n", ascending=False)
    leaders = [f"{r.country_name} ({number_text(r.n)})" for r in top.head(3).itertuples(index=False)]
    return describe(chart, f"Cases in {len(data)} countries. Most: {listing(leaders)}.")


def severity_bars(df: pd.DataFrame, labels: Mapping[str, str] | None = None) -> alt.Chart:
    """Cases per material, coloured by severity.

    ``df`` holds one row per case (material, severity, id) or counts of them
    (material, severity, ``n``).  ``labels`` names the materials (default: the
    ten of the report); bars follow its order.
    """
    names = dict(labels) if labels is not None else constants.MATERIAL_LABELS
    if "n" in df.columns:
        data = df.groupby(["material", "severity"], as_index=False).agg(n=("n", "sum"))
    else:
        data = df.groupby(["material", "severity"], as_index=False).agg(n=("id", "count"))
    data["material_name"] = data["material"].map(lambda m: names.get(m, m))
    data["severity_label"] = data["severity"].map(constants.SEVERITY_LABELS)
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("material_name:N", title=None, sort=list(names.values()),
                axis=alt.Axis(labelLimit=on_phone(130, 220))),  # "Bauxite (aluminium)" whole
        x=alt.X("n:Q", title="Cases (count)", axis=alt.Axis(tickMinStep=1)),
        # Below the bars: on a phone a legend beside them took half the width from the bars.
        color=alt.Color("severity_label:N", title=vocabulary.short("measure", "case_severity"),
                        scale=alt.Scale(domain=list(constants.SEVERITY_LABELS.values()), scheme="orangered"),
                        legend=alt.Legend(orient="bottom", columns=on_phone(2, 5))),
        tooltip=[alt.Tooltip("material_name:N", title="Material"),
                 alt.Tooltip("severity_label:N", title=vocabulary.name("measure", "case_severity")),
                 alt.Tooltip("n:Q", title="Cases")],
    ).properties(title=chart_title("Cases by material and severity"), height=alt.Step(24), width="container")
    if data.empty:
        return describe(chart, "No case in view.")
    per = data.groupby("material_name")["n"].sum().sort_values(ascending=False)
    severe = int(data.loc[data["severity"] >= 4, "n"].sum())
    return describe(chart, f"{number_text(per.sum())} cases. Most: {per.index[0]} ({number_text(per.iloc[0])}). "
                           f"{number_text(severe)} rated 4 or 5 (severe or worse).")


# --- stakeholders and leverage ---------------------------------------------------

HEAD_MARK = "§type:"  # the y value of a type's header row in the organisation matrix (never an organisation's)
PHONE_LABELS = 150  # px for an organisation's name on a phone
PHONE_AXIS = 160  # how far left of the grid a phone's type names start: the names' width and their gap


def org_material_matrix(df: pd.DataFrame, short_names: Mapping[str, str] | None = None) -> alt.Chart:
    """Organisation (rows, grouped by type) × material: a filled cell where they are linked.

    Each group of rows opens with its type's name in bold across an empty row,
    so the grouping reads without telling ten colours apart; the colour repeats
    it.  ``short_names`` names the materials (default: the ten of the report);
    columns follow its order.
    """
    short = dict(short_names) if short_names is not None else constants.MATERIAL_SHORT
    data = df.copy()
    data["material_name"] = data["material"].map(lambda m: short.get(m, m))
    data["type_name"] = data["type"].map(constants.ORGANISATION_TYPE_LABELS)
    data["label"] = data["acronym"].fillna(data["name"])
    type_order = {t: i for i, t in enumerate(constants.ORGANISATION_TYPE_SLUGS)}
    columns = list(short.values())
    first_column = columns[0] if columns else ""
    orgs = (data.drop_duplicates("slug").assign(order=lambda f: f["type"].map(type_order))
            .sort_values(["order", "label"]))
    rows: list[str] = []
    heads: list[dict[str, str]] = []
    for _, group in orgs.groupby("order", sort=True)["type"]:
        slug = str(group.iloc[0])
        heads.append({"label": HEAD_MARK + slug, "text": constants.ORGANISATION_TYPE_LABELS[slug],
                      "material_name": first_column})
        rows += [HEAD_MARK + slug, *orgs.loc[group.index, "label"]]
    cells = alt.Chart(data).mark_rect(stroke="white", strokeWidth=2, cornerRadius=2).encode(
        # As wide as the page; on a phone shorter row names and upright material names.
        x=alt.X("material_name:N", title=None, sort=columns, scale=alt.Scale(domain=columns),
                axis=alt.Axis(orient="top", labelAngle=alt.ExprRef(
                    f"{NARROW} ? -90 : containerSize()[0] < 900 ? -60 : -45"), labelOverlap=False, labelAlign="left")),
        # A type's header is a row of the scale's domain that no cell fills.  The rows are named by
        # text marks, not axis labels, so a long name cut short keeps its full name as a tooltip.
        y=alt.Y("label:N", title=None, scale=alt.Scale(domain=rows), axis=None),
        color=alt.Color("type_name:N", title="Type", scale=alt.Scale(range=list(CATEGORICAL)), legend=None),
        tooltip=[alt.Tooltip("name:N", title="Organisation"), alt.Tooltip("type_name:N", title="Type"),
                 alt.Tooltip("material_name:N", title="Material")],
    )
    at_left = alt.X("material_name:N", sort=columns, bandPosition=0)  # the grid's left edge
    org_rows = orgs.assign(material_name=first_column)[["label", "name", "type_name", "material_name"]]
    org_names = alt.Chart(org_rows).mark_text(align="right", baseline="middle", fontSize=11, color=INK, dx=-6,
                                              limit=on_phone(PHONE_LABELS, 240)).encode(
        x=at_left, y=alt.Y("label:N"), text="label:N",
        tooltip=[alt.Tooltip("name:N", title="Organisation"), alt.Tooltip("type_name:N", title="Type")])
    # The type's name across its empty header row: from the grid's left edge on a wide screen,
    # from the names' left edge on a phone (PHONE_AXIS), so it is never cut there either.
    type_names = alt.Chart(pd.DataFrame(heads, columns=["label", "text", "material_name"])).mark_text(
        align="left", baseline="middle", fontWeight="bold", fontSize=12, color=INK,
        dx=on_phone(-PHONE_AXIS, 2)).encode(x=at_left, y=alt.Y("label:N"), text="text:N")
    names = org_names + type_names
    chart = alt.layer(cells, names).properties(
        title=chart_title("Organisations by material", "Rows grouped by type; a filled cell = linked"),
        height=alt.Step(20), width="container")
    if data.empty:
        return describe(chart, "No organisation linked to a material in view.")
    links = data.drop_duplicates(["label", "material_name"]).groupby("label")["material_name"].count()
    most = links.sort_values(ascending=False, kind="stable")
    return describe(chart, f"{len(links)} organisations linked to {data['material_name'].nunique()} materials. "
                           f"Most materials: {most.index[0]} ({most.iloc[0]}).")


def category_counts_chart(df: pd.DataFrame) -> alt.Chart:
    """Number of leverage cards per Shift category, in the category colours."""
    counts = df.groupby("category", as_index=False).agg(n=("id", "count"))
    counts["label"] = counts["category"].map(constants.LEVERAGE_CATEGORY_LABELS)
    domain = [c.label for c in constants.LEVERAGE_CATEGORIES]
    # Some category colours are light (Okabe–Ito orange and sky blue): an ink outline gives every
    # bar 3:1 against the background; the axis names each bar, so colour is not the key.
    chart = alt.Chart(counts).mark_bar(stroke=INK, strokeWidth=1).encode(
        y=alt.Y("label:N", title=None, sort=domain, axis=alt.Axis(labelLimit=260)),
        x=alt.X("n:Q", title="Cards (count)", axis=alt.Axis(tickMinStep=1)),
        color=alt.Color("label:N", legend=None,
                        scale=alt.Scale(domain=domain, range=[c.colour for c in constants.LEVERAGE_CATEGORIES])),
        tooltip=[alt.Tooltip("label:N", title="Category"), alt.Tooltip("n:Q", title="Cards")],
    ).properties(title=chart_title("Cards per leverage category"), height=alt.Step(22), width="container")
    if counts.empty:
        return describe(chart, "No card in view.")
    top = counts.sort_values("n", ascending=False).iloc[0]
    return describe(chart, f"{number_text(counts['n'].sum())} cards in {len(counts)} categories. Most: "
                           f"{top['label']} ({number_text(top['n'])}).")
