"""Cards for leverages and risk evidence.

Text that comes from data is escaped (``components.safe.escape_html``) before it
reaches markdown, so a stray ``*``, ``[link](…)`` or ``<script>`` in a seed or
upload shows as plain text.
Only labels and colours from ``rmo_data.constants`` are put into markup.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

import streamlit as st

from components import cached
from components.safe import escape_html, safe_url
from rmo_data import constants, formatting
from rmo_data.analysis import evidence_rollups
from rmo_data.charts.contrast import text_on


def category_pill(category: str) -> str:
    """A coloured pill for a Shift category (HTML built only from constants)."""
    cat = next(c for c in constants.LEVERAGE_CATEGORIES if c.slug == category)
    return (f'<span class="rmo-pill" style="background:{cat.colour};color:{text_on(cat.colour)}">'
            f"{html.escape(cat.label)}</span>")


def _labels(values: Iterable[str], mapping: Mapping[str, str]) -> str:
    """The labels of ``values`` in the mapping's own order (stages in chain order on every page)."""
    order = {key: i for i, key in enumerate(mapping)}
    ranked = sorted(values, key=lambda v: order.get(v, len(order)))
    return ", ".join(escape_html(mapping.get(v, v)) for v in ranked) or formatting.NO_DATA


def leverage_card(row: Mapping[str, Any], org_names: Mapping[str, str] | None = None,
                  footer: Any = None) -> None:
    """One leverage as a bordered card: action, category, actor, targets, stages, risks, organisations, source."""
    material = row.get("material")
    # Names from the store, so materials added after the report's ten are named too.
    scope = (cached.material_labels().get(material, constants.CROSS_MATERIAL_LABEL) if isinstance(material, str)
             and material else constants.CROSS_MATERIAL_LABEL)
    names = org_names or {}
    # One markdown element per card, not six: the browser's cost of a rerun grows
    # with the number of elements, and the leverage page shows ten cards at once.
    body = "\n\n".join((
        f"{category_pill(row['category'])} <span class='rmo-muted'>{escape_html(row['id'])} · "
        f"{escape_html(scope)} · {escape_html(constants.ACTOR_LABELS[row['actor']])}</span>",
        f"**{escape_html(row['title'])}**",
        escape_html(row["action"]),
        f"**Target:** {_labels(row.get('targets', []), constants.TARGET_LABELS)}  \n"
        f"**Stages:** {_labels(row.get('stages', []), constants.STAGE_LABELS)}  \n"
        f"**Risks addressed:** {_labels(row.get('risks', []), constants.RISK_CATEGORY_LABELS)}  \n"
        f"**Engage:** {_labels(row.get('organisations', []), names)}",
        f"<span class='rmo-source'>Source: {escape_html(row.get('source_title'))}, "
        f"{escape_html(row.get('section'))}</span>"))
    with st.container(border=True):
        st.markdown(body, unsafe_allow_html=True)
        if footer is not None:
            footer(row)


def column_of(i: int, n: int) -> int:
    """The column (0 or 1) of card ``i`` of ``n`` in a two-column grid: the first half down the
    left, the rest down the right.  A phone stacks the columns, and cards taken in turn (left,
    right) read AL-01, 03, 05, …, 02, 04 there."""
    return 0 if i < -(-n // 2) else 1


def evidence_card(row: Mapping[str, Any]) -> None:
    """One risk evidence case as a compact card with its source link."""
    with st.container(border=True):
        where = " · ".join(escape_html(v) for v in (row.get("site"), row.get("company"), row.get("country_name"))
                           if v and v == v) or "place not stated"
        st.markdown(f"**{escape_html(constants.RISK_CATEGORY_LABELS.get(row['category'], row['category']))}** "
                    f"at {escape_html(constants.STAGE_LABELS.get(row['stage'], row['stage']))} — {where}")
        st.markdown(escape_html(row["summary"]))
        reason = row.get("confidence_reason")
        st.markdown(f"**Confidence:** {escape_html(evidence_rollups.confidence_name(row.get('confidence')))}"
                    + (f" — {escape_html(reason)}" if isinstance(reason, str) and reason else ""))
        year = int(row["year"]) if row.get("year") == row.get("year") and row.get("year") else "year not stated"
        link = safe_url(row.get("url")) or safe_url(row.get("source_url"))
        src = escape_html(row.get("source_title"))
        st.caption(f"Severity {int(row['severity'])}/5 (scale {row['scale']}, scope {row['scope']}, "
                   f"irremediability {row['irremediability']}; project rating) · {year} · Source: "
                   + (f"[{src}]({link})" if link else src))


def finding_grid(findings: Iterable[tuple[str, str]]) -> None:
    """Short findings as a grid of bordered cards, each its text and its source line, in one element.

    ``findings`` are (text, source line) pairs of plain text (escaped here).  Seven
    cards drawn as Streamlit columns and bordered containers were 31 elements: a new
    tab of the Overview took 165 ms longer to draw them than this one element
    (``bench/clicks.py``'s first render).  Four to a row on a laptop, one on a phone.
    """
    # HTML, not markdown (st.html reads no markdown), so the text is escaped as HTML only.
    cells = "".join(f'<div class="rmo-finding"><p>{html.escape(text)}</p>'
                    f'<p class="rmo-source">{html.escape(source)}</p></div>' for text, source in findings)
    st.html(f'<div class="rmo-findings">{cells}</div>')


CARD_CSS = """
<style>
.rmo-pill {padding: 2px 10px; border-radius: 12px; font-size: 0.8rem;
           font-weight: 600; white-space: nowrap;}
.rmo-muted {color: #566573; font-size: 0.85rem; margin-left: 6px;}
.rmo-source {color: #566573; font-size: 0.85rem;}
.rmo-findings {display: grid; grid-template-columns: repeat(auto-fill, minmax(max(13rem, calc(25% - 0.75rem)), 1fr));
               gap: 1rem;}
.rmo-finding {border: 1px solid rgba(49, 51, 63, 0.2); border-radius: 0.5rem; padding: 1rem;}
.rmo-finding p {margin: 0 0 0.5rem 0;}
.rmo-finding p.rmo-source {margin: 0;}
</style>
"""


def inject_css() -> None:
    """Add the small stylesheet the cards use (once per page run)."""
    st.html(CARD_CSS)
