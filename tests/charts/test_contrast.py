"""Colour contrast of the charts and the app's own markup against the theme (WCAG 2.2 AA, issue 15 item 6).

Ratios are computed with WCAG's formula (``rmo_data.charts.contrast``), checked
first against values the criteria and axe-core give, then applied to: every
categorical colour a chart draws marks in (3:1 on the background), the text
colours the charts and the app's stylesheets use (4.5:1), the text on the
pills (4.5:1 on their colour), and the labels of heat-map cells on Vega's
orangered scale (4.5:1 on every fill they can land on).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from components import a11y, cards
from rmo_data import constants
from rmo_data.charts import material_charts, palette, plotly_charts, salience_charts, style, workshop_charts
from rmo_data.charts.contrast import (
    BLACK,
    INK,
    MARK_MIN,
    TEXT_MIN,
    WHITE,
    luminance,
    ratio,
    text_on,
)
from rmo_data.analysis import salience

ROOT = Path(__file__).resolve().parents[2]
THEME = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))["theme"]
BACKGROUND = THEME["backgroundColor"]

# Vega's continuous "orangered" scheme as its bundle defines it (vega-scale, shipped in Streamlit's
# frontend): the stops it interpolates between, light to dark.
ORANGERED = [f"#{s}" for s in re.findall("......", "fddcaffdcf9bfdc18afdad77fb9562f67d53ee6545e24932d32d1ebf130da70403")]


def _orangered(t: float) -> str:
    """The scheme's colour at ``t`` (0-1), interpolated linearly in RGB between its stops."""
    n = len(ORANGERED) - 1
    i = min(int(t * n), n - 1)
    f = t * n - i
    a = [int(ORANGERED[i][k:k + 2], 16) for k in (1, 3, 5)]
    b = [int(ORANGERED[i + 1][k:k + 2], 16) for k in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * f):02x}" for x, y in zip(a, b, strict=True))


def test_ratio_follows_the_wcag_formula() -> None:
    assert ratio(BLACK, WHITE) == pytest.approx(21.0)
    assert ratio("#777777", "#777777") == pytest.approx(1.0)
    assert luminance("#FFF") == pytest.approx(1.0)
    # The two values axe-core reported for Streamlit's captions and their links on white.
    assert ratio("#767d83", WHITE) == pytest.approx(4.17, abs=0.01)
    assert ratio("#7c95d2", WHITE) == pytest.approx(2.96, abs=0.01)
    with pytest.raises(ValueError):
        luminance("teal")


def test_the_theme_text_reads_on_its_backgrounds() -> None:
    for background in (THEME["backgroundColor"], THEME["secondaryBackgroundColor"]):
        assert ratio(THEME["textColor"], background) >= TEXT_MIN
        assert ratio(THEME["primaryColor"], background) >= TEXT_MIN
    assert THEME["textColor"].upper() == INK


MARK_COLOURS: dict[str, list[str]] = {
    "categorical palette": list(palette.CATEGORICAL),
    "criteria": list(constants.CRITERION_COLOURS.values()),
    "quadrants": [q.colour for q in constants.QUADRANTS],
    "highlight and base": [style.HIGHLIGHT, style.BASE],
    "workshop agreement": [workshop_charts.AGREE, workshop_charts.DISAGREE, workshop_charts.DEFAULT_COLOUR],
    "weight profiles": [plotly_charts.BASE],
}


@pytest.mark.parametrize("name", list(MARK_COLOURS))
def test_chart_marks_stand_out_from_the_background(name: str) -> None:
    """SC 1.4.11: 3:1 between a mark that carries meaning and the background."""
    weak = {c: round(ratio(c, BACKGROUND), 2) for c in MARK_COLOURS[name] if ratio(c, BACKGROUND) < MARK_MIN}
    assert not weak, f"{name}: below {MARK_MIN}:1 on {BACKGROUND}: {weak}"


def test_categorical_colours_are_told_apart() -> None:
    """No two colours of one palette are the same, so a legend can tell every category apart."""
    for name, colours in MARK_COLOURS.items():
        assert len({c.upper() for c in colours}) == len(colours), name


TEXT_COLOURS: dict[str, str] = {
    "chart subtitles, axes, legends, panel headers": style.CHART_TEXT,
    "caption (app stylesheet)": a11y.CAPTION_TEXT,
    "caption links (app stylesheet)": a11y.LINK_TEXT,
    "card muted text": re.search(r"\.rmo-muted \{color: (#\w+)", cards.CARD_CSS).group(1),  # type: ignore[union-attr]
    "card source": re.search(r"\.rmo-source \{color: (#\w+)", cards.CARD_CSS).group(1),  # type: ignore[union-attr]
    "chart ink": INK,
    "salience gap word": salience_charts.GAP_STROKE,
}


@pytest.mark.parametrize("name", list(TEXT_COLOURS))
def test_text_colours_reach_4_5_to_1(name: str) -> None:
    assert ratio(TEXT_COLOURS[name], BACKGROUND) >= TEXT_MIN, name


def test_charts_set_their_text_colours_over_streamlits_theme() -> None:
    """Streamlit's chart theme draws axis and legend text in #808495 (3.8:1): the shared style overrides it."""
    assert ratio("#808495", WHITE) < TEXT_MIN
    config = style.configure(material_charts.severity_bars(pd.DataFrame(
        {"material": ["zinc"], "severity": [3], "n": [2]}))).to_dict()["config"]
    for part, keys in (("axis", ("labelColor", "titleColor")), ("legend", ("labelColor", "titleColor")),
                       ("header", ("labelColor", "titleColor"))):
        for key in keys:
            assert ratio(config[part][key], BACKGROUND) >= TEXT_MIN, (part, key)


def test_the_salience_gap_word_reads_on_the_gap_fill() -> None:
    assert ratio(salience_charts.GAP_STROKE, salience_charts.GAP_FILL) >= TEXT_MIN


@pytest.mark.parametrize("fill", [c.colour for c in constants.LEVERAGE_CATEGORIES] + [q.colour for q in constants.QUADRANTS])
def test_pill_text_reads_on_its_colour(fill: str) -> None:
    assert ratio(text_on(fill), fill) >= TEXT_MIN


def test_category_pills_carry_their_text_colour() -> None:
    for category in constants.LEVERAGE_CATEGORIES:
        pill = cards.category_pill(category.slug)
        assert f"color:{text_on(category.colour)}" in pill, pill


def test_text_on_gives_black_where_neither_ink_nor_white_would_do() -> None:
    mid = "#E24932"  # orangered at 0.7: ink 3.8:1, white 4.0:1
    assert ratio(INK, mid) < TEXT_MIN and ratio(WHITE, mid) < TEXT_MIN
    assert text_on(mid) == BLACK and ratio(BLACK, mid) >= TEXT_MIN


def _label_colour(t: float, white_from: float) -> str:
    return WHITE if t >= white_from else BLACK


@pytest.mark.parametrize("white_from", [
    material_charts.WHITE_TEXT_FROM,  # overview heat table and evidence heat map (0-1 of the scale)
    (salience_charts.DARK_TEXT_BELOW - salience.SALIENCE_SCALE[0])
    / (salience.SALIENCE_SCALE[1] - salience.SALIENCE_SCALE[0]),  # salience 1-25
])
def test_heat_map_labels_read_on_every_fill(white_from: float) -> None:
    bad = []
    for step in range(101):
        t = step / 100
        fill = _orangered(t)
        if ratio(_label_colour(t, white_from), fill) < TEXT_MIN:
            bad.append((t, fill, round(ratio(_label_colour(t, white_from), fill), 2)))
    assert not bad, bad


def test_the_old_thresholds_would_have_failed() -> None:
    """The check can fail: the labels as they were (ink below 0.7, white from 0.7) miss 4.5:1."""
    assert ratio(INK, _orangered(0.69)) < TEXT_MIN
    assert ratio(WHITE, _orangered(0.70)) < TEXT_MIN


def test_the_palette_gives_every_organisation_type_its_own_colour() -> None:
    """The organisation matrix colours its ten types from the palette: no two types may share one."""
    chart = material_charts.org_material_matrix(pd.DataFrame({
        "slug": list(constants.ORGANISATION_TYPE_SLUGS), "name": list(constants.ORGANISATION_TYPE_SLUGS),
        "acronym": [None] * len(constants.ORGANISATION_TYPE_SLUGS), "type": list(constants.ORGANISATION_TYPE_SLUGS),
        "material": ["nickel"] * len(constants.ORGANISATION_TYPE_SLUGS)}))
    cells = next(layer for layer in chart.to_dict()["layer"] if "color" in layer.get("encoding", {}))
    colours = cells["encoding"]["color"]["scale"]["range"]
    assert len(set(colours)) >= len(constants.ORGANISATION_TYPE_SLUGS), colours
