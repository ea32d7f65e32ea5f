"""One number format and one missing wording, through ``rmo_data.formatting`` only.

The heat map said "2,141" and "no data" where the table said "2141" and "no data recorded"
(issue 15).  These tests pin the helper's output, scan the display code for formats written
anywhere else, and check that the Overview's heat map and comparison table show what the
helper writes.
"""

from __future__ import annotations

import ast
import io
import math
import re
import tokenize
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from rmo_data import constants, formatting, vocabulary
from rmo_data.charts import material_charts

ROOT = Path(__file__).resolve().parents[1]
# The code that writes what users read: pages, their components, the charts and the analysis texts.
DISPLAY_CODE = [*ROOT.glob("pages/*.py"), *ROOT.glob("components/*.py"), *ROOT.glob("rmo_data/charts/*.py"),
                *(ROOT / "rmo_data/analysis" / f"{name}.py" for name in ("findings", "statements", "facts",
                                                                         "scoring"))]
# Not in this scan: the briefing packs' own modules and their download helper (components/pack_downloads.py),
# whose texts are the packs' work; numbers in CSS (a bar's width) are not read as figures.
NOT_SCANNED = {ROOT / "components" / "pack_downloads.py"}

STRAY = {
    # A number format given to a table column or a chart by hand (dates are not numbers).
    "format literal": re.compile(r"""\bformat\s*=\s*["'](?!YYYY)[^"']*["']"""),
    # Streamlit's preset percent format writes "35%", without the app's space.
    "preset percent": re.compile(r"""["']percent["']"""),
    # A Python format spec on a number inside an f-string: {v:.0f}, {v:g}, {v:,}, {v:.0%}.
    "f-string number format": re.compile(r"\{[^{}:!'\"]+:[,]?(?:\.\d+)?[fge%]\}|\{[^{}:!]+:,\}"),
    # The missing wording typed out instead of taken from the one source.
    "missing wording": re.compile(r"""["'](?:no data(?: recorded)?|n/?a|N/A)["']"""),
    # Thousands grouped with a space ("10 000"): the app groups with a comma.
    "space-grouped number": re.compile(r"\b\d{1,3}[  ]\d{3}\b"),
}


def _code_lines(path: Path) -> list[tuple[int, str]]:
    """The file's lines as code: comments dropped and docstrings (prose about the rule) blanked."""
    source = path.read_text(encoding="utf-8")
    prose = {n for node in ast.walk(ast.parse(source))
             if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
             for n in range(node.lineno, (node.end_lineno or node.lineno) + 1)}
    lines = source.splitlines()
    comments = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.start[1]
    return [(n, lines[n - 1][:comments.get(n, len(lines[n - 1]))]) for n in range(1, len(lines) + 1)
            if n not in prose]


def _stray_formats() -> list[str]:
    found = []
    for path in DISPLAY_CODE:
        if path in NOT_SCANNED:
            continue
        for number, code in _code_lines(path):
            if "style=" in code or "width:" in code:  # CSS lengths, not figures
                continue
            for what, pattern in STRAY.items():
                if pattern.search(code):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {what}: {code.strip()}")
    return found


def test_no_display_code_formats_a_number_or_a_gap_by_hand() -> None:
    assert len(DISPLAY_CODE) > 30
    assert not _stray_formats(), "\n".join(_stray_formats())


def test_the_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    """The patterns catch the faults the issue names (so the scan above cannot pass by matching nothing)."""
    faults = ['st.column_config.NumberColumn("HHI", format="%.0f")', 'text = "no data"',
              'label = f"{value:.0f} %"', 'NumberColumn(format="percent")', 'alt.Tooltip("hhi:Q", format=",.0f")', '"HHI 0–10 000"']
    for fault in faults:
        assert any(p.search(fault) for p in STRAY.values()), fault
    assert not any(p.search('format=formatting.table_format(0)') for p in STRAY.values())


def test_one_number_style() -> None:
    assert formatting.number(2141) == "2,141"
    assert formatting.number(2141.26, 1) == "2,141.3"
    assert formatting.number(1500, None) == "1,500" and formatting.number(0.5, None) == "0.5"
    assert formatting.percent(35.2) == "35 %" and formatting.fraction_percent(0.352) == "35 %"
    assert formatting.year(2025.0) == "2025"
    assert formatting.number(-0.001, 1) == "0.0"
    for gap in (None, math.nan, pd.NA, pd.NaT):
        assert formatting.number(gap) == formatting.percent(gap) == formatting.year(gap) == vocabulary.NO_DATA
    assert vocabulary.NO_DATA == constants.MISSING == "no data recorded"
    # The same rule in a chart's and a table's terms.
    assert formatting.vega_format(0) == ",.0f" and formatting.table_format(0) == "%,.0f"
    assert formatting.table_format(1, " %") == "%,.1f %%"
    # A fraction in a table reads "35 %" like every other share ("percent", Streamlit's own, wrote "35%").
    assert formatting.TABLE_PERCENT == formatting.table_format(0, formatting.PERCENT)
    frame = pd.DataFrame({"share": [0.352, None], "n": [1, 2]})
    shown = formatting.as_percent(frame, "share")
    assert shown["share"].iloc[0] == pytest.approx(35.2) and pd.isna(shown["share"].iloc[1])
    assert frame["share"].iloc[0] == 0.352 and shown["n"].tolist() == [1, 2]  # the frame keeps its fractions
    assert formatting.vega_label(0, " %", 100) == "format(datum.value * 100, ',.0f') + ' %'"


def test_heat_map_and_table_write_figures_and_gaps_alike(built_engine: Engine) -> None:
    """The heat map's cells are the helper's text; the table's number columns take its formats."""
    from rmo_data.store import queries

    table = queries.overview(engine=built_engine)
    cells = material_charts.overview_heat_table(table).data
    hhi = cells[cells["indicator"] == vocabulary.short("criterion", "mining_hhi")]
    for (_, cell), value in zip(hhi.iterrows(), table["mining_hhi"], strict=True):
        assert cell["text"].replace("\n", " ") == formatting.number(value)
    assert any("," in t for t in hhi["text"]), "no HHI above 999 to show the grouping"
    gaps = cells[cells["value"].isna()]
    assert len(gaps) and (gaps["tooltip"] == formatting.NO_DATA).all()
    assert (gaps["text"].str.replace("\n", " ") == formatting.NO_DATA).all()
    page = (ROOT / "pages" / "overview.py").read_text(encoding="utf-8")
    assert 'vocabulary.name("criterion", "mining_hhi"), format=formatting.table_format(0)' in page


@pytest.mark.parametrize(("value", "table_text"), [(0, "0"), (7, "7"), (2141, "2,141"), (9166.4, "9,166"),
                                                 (50.5, "51"), (2.5, "3"), (0.5, "1"), (1234.5, "1,235")])
def test_table_format_matches_the_text_format(value: float, table_text: str) -> None:
    """What sprintf-js makes of ``table_format`` is what ``number`` writes.  Streamlit's %,.Nf groups
    thousands with a comma and rounds with JavaScript's toFixed, which takes the larger of two
    equally near results (ECMA-262), so a half rounds up: 50.5 is "51" in a table.  Python's own
    format rounds it to even ("50"), and a robustness label read 50 % beside a table's 51 %."""
    assert formatting.table_format(0) == "%,.0f"
    assert formatting.number(value) == table_text


def test_heat_map_rows_hold_no_lists_for_the_browser(built_engine: Engine) -> None:
    """Streamlit sends a chart's rows as Arrow, and a list cell reached the browser as "[a,b]":
    the heat map's two-line texts travel joined and are split by the marks."""
    from rmo_data.store import queries

    chart = material_charts.overview_heat_table(queries.overview(engine=built_engine))
    for layer in chart.layer:
        data = layer.data if isinstance(layer.data, pd.DataFrame) else chart.data
        assert not data.map(lambda v: isinstance(v, list | tuple)).any().any()
    assert any("\n" in t for t in chart.data["text"])  # two-line cells exist, so the split matters


def test_a_stored_time_reads_as_people_read_it() -> None:
    assert formatting.moment("2026-12-07T14:59:46+00:00") == "7 Dec 2026, 14:59 UTC"
    assert formatting.moment("2026-12-07T15:59:46+01:00") == "7 Dec 2026, 14:59 UTC"  # shown in UTC
    assert formatting.moment(None) == formatting.NO_DATA
    assert formatting.moment("last Tuesday") == "last Tuesday"  # not a time: shown as stored, not lost


@pytest.mark.parametrize(("values", "digits", "want"), [
    ([0.875, 0.125], 0, [88, 12]),  # each rounded alone: 88 + 13 = 101
    ([1, 1, 1], 0, [34, 33, 33]),
    ([1, 1, 1], 1, [33.4, 33.3, 33.3]),
    ([2, 1, 1], 0, [50, 25, 25]),
    ([5, 0, 3], 0, [63, 0, 37]),  # 62.5 and 37.5: the larger share takes the unit on a tie
])
def test_shares_shown_side_by_side_add_up_to_100(values: list[float], digits: int, want: list[float]) -> None:
    got = formatting.shares(values, digits)
    assert got == pytest.approx(want)
    assert round(sum(got), digits) == 100
    exact = [100 * v / sum(values) for v in values]
    assert all(abs(g - e) < 10 ** -digits for g, e in zip(got, exact))  # never more than one unit off


def test_shares_keep_a_missing_value_missing_and_invent_no_zero() -> None:
    got = formatting.shares([3, None, float("nan"), 1])
    assert got[0] == 75 and got[3] == 25 and math.isnan(got[1]) and math.isnan(got[2])
    assert all(math.isnan(v) for v in formatting.shares([0, 0]))  # no total: no share at all
    assert formatting.shares([]) == []
