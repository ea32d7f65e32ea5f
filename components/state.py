"""Filter state shared across pages and mirrored in the URL.

Every filter that a link should reproduce is registered here as a ``Param``.
Its value lives in session state under its own key (``materials``), whether or
not a widget shows it.

Done by Streamlit: a widget drawn with ``**widget(key)`` takes that key and
``persist_state="session"``, so Streamlit keeps its value while a run does not
draw it (a filter of another page) and across page switches, and callbacks (a
click on a chart, a link from another page) may set it before it is drawn
(once a run has drawn the widget Streamlit refuses a change: set it in a callback).
The one exception is a free list (countries, companies, organisations): a link
may name a value its widget does not offer, which the widget would drop while
the filter must still apply, so there the widget has its own key (``w_…``)
that ``widget`` fills from the value and copies back on change.

Written here, because ``bind="query-params"`` cannot keep the links people
share: it writes a list as repeated parameters holding the labels shown
(``?materials=Nickel&materials=Zinc``, and a select box its label), where our
links hold ``?materials=nickel,zinc``; a bound parameter leaves the address on a
page that does not draw its widget, where our links keep every filter in use;
it drops an unknown value silently, where we say what the link asked for that
was ignored; some values have no widget (``org``, the workshop's ``p``); and a
link's first page on a fresh server hands over to the router with
``st.switch_page`` (``components.router``), which drops the address before any
widget could read it.  So ``load_from_url`` reads the link once per session
and ``write_to_url`` writes the current values at the end of every run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from components import cached
from components.safe import escape_html
from rmo_data import constants
from rmo_data.analysis import regulatory
from rmo_data.store import report_facts
from rmo_data.store.engine import store_status

_LOADED = "_url_state_loaded"
_NOTES = "_url_state_notes"
MAX_TEXT = 200  # longest free-text value a link may set
MAX_ITEMS = 100  # most values a link may set for one list filter


@dataclass(frozen=True)
class Param:
    """A filter value that lives in session state under ``key`` and in the URL."""

    key: str
    kind: str  # "str", "list", "int", "bool" (written "1", read from 1/0, true/false, yes/no, on/off)
    default: Any
    choices: Callable[[], Sequence[Any]] | None = None
    label: str = ""
    bounds: tuple[int, int] | None = None


def _materials() -> Sequence[str]:
    """Materials a link may name: those of the store (the ten of the report when it is not built yet)."""
    # Read the store only when it is usable: the URL is parsed before the router
    # makes sure the store exists, and a read must not create an empty file.
    if store_status() != "ok":
        return constants.MATERIAL_SLUGS
    return (*constants.MATERIAL_SLUGS, *cached.material_slugs())


PARAMS: dict[str, Param] = {p.key: p for p in (
    Param("material", "str", constants.MATERIAL_SLUGS[0], _materials, "material"),
    Param("materials", "list", [], _materials, "materials in view"),
    Param("lists", "list", [], lambda: constants.REGULATORY_LIST_SLUGS, "EU lists"),
    Param("stages", "list", [], lambda: constants.STAGE_SLUGS, "stages"),
    Param("risks", "list", [], lambda: constants.RISK_CATEGORY_SLUGS, "risk categories"),
    Param("ev_country", "list", [], None, "evidence countries"),
    Param("ev_company", "list", [], None, "evidence companies"),
    Param("ev_min_sev", "int", 1, None, "minimum severity", bounds=(1, 5)),
    Param("ev_text", "str", "", None, "evidence search"),
    Param("org_type", "list", [], lambda: constants.ORGANISATION_TYPE_SLUGS, "organisation types"),
    Param("org_text", "str", "", None, "organisation search"),
    Param("org", "str", "", None, "organisation"),
    # Prioritisation weights, one short param per criterion (0-10); defaults = "balanced".
    *(Param(f"wt_{c.slug}", "int", constants.WEIGHT_PRESETS["balanced"][c.slug], None,
            f"weight of {c.label.lower()}", bounds=(0, constants.WEIGHT_MAX)) for c in constants.CRITERIA),
    # Leverage cards page filters (its own, so a link from the matrix leaves the sidebar alone).
    Param("lc_mat", "list", [], lambda: (*constants.MATERIAL_SLUGS, constants.CROSS_MATERIAL), "card materials"),
    Param("lc_cat", "list", [], lambda: constants.LEVERAGE_CATEGORY_SLUGS, "leverage categories"),
    Param("lc_actor", "list", [], lambda: constants.ACTOR_SLUGS, "actors"),
    Param("lc_target", "list", [], lambda: constants.TARGET_SLUGS, "targets"),
    Param("lc_stage", "list", [], lambda: constants.STAGE_SLUGS, "card stages"),
    Param("lc_risk", "list", [], lambda: constants.RISK_CATEGORY_SLUGS, "card risk categories"),
    Param("lc_org", "list", [], None, "organisations to engage"),
    Param("lc_text", "str", "", None, "card search"),
    # Workshop page: its mode, the code a participant joins with (a shared link says
    # ``?join=CODE``), the workshop a facilitator runs, the closed one on view, projector mode.
    Param("ws_mode", "str", "join", lambda: ("join", "run", "closed"), "workshop mode"),
    Param("join", "str", "", None, "workshop code"),
    # A participant's private token (rmo_data.workshops.workshop): it owns their submission, so the
    # address they keep (``?join=CODE&p=TOKEN``) brings back their own answer.
    Param("p", "str", "", None, "participant key"),
    Param("ws", "str", "", None, "workshop"),
    Param("ws_closed", "str", "", None, "closed workshop"),
    Param("present", "int", 0, None, "presentation mode", bounds=(0, 1)),
    # Prioritisation's "Leave gaps out" toggle: a ranking that leaves gaps out is a different ranking.
    Param("pr_leave_gaps", "bool", False, None, "“Leave gaps out” setting"),
)}
# How a link may write a yes/no setting (any case); a link this app writes uses "1".
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


# The leverage cards page's own filters (their keys start with ``lc_``), and its page-number widget.
CARD_FILTERS: tuple[str, ...] = tuple(key for key in PARAMS if key.startswith("lc_"))
CARD_PAGE = "lc_page"


def _parse(param: Param, raw: list[str]) -> tuple[Any, list[str]]:
    """Parse URL values for ``param``; return the value and the parts that were rejected."""
    allowed = set(param.choices()) if param.choices else None
    if param.kind == "list":
        items = [part for value in raw for part in value.split(",") if part]
        # Free lists (countries, companies) are capped: a crafted link must not become a huge query.
        good = [i for i in items if (i in allowed if allowed is not None else len(i) <= MAX_TEXT)]
        kept = list(dict.fromkeys(good))[:MAX_ITEMS]
        return kept, [i for i in items if i not in kept]
    value = raw[-1] if raw else ""
    if param.kind == "bool":
        word = value.strip().lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE, []
        return param.default, [value]
    if param.kind == "int":
        try:
            number = int(value)
        except ValueError:
            return param.default, [value]
        low, high = param.bounds or (number, number)
        return (number, []) if low <= number <= high else (param.default, [value])
    if allowed is not None and value not in allowed:
        return param.default, [value]
    return value[:MAX_TEXT], []


def _shorten(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[:limit] + "…"


def load_from_url() -> None:
    """Fill session state from the URL once per session; remember what was rejected."""
    if st.session_state.get(_LOADED):
        return
    notes = []
    for param in PARAMS.values():
        raw = st.query_params.get_all(param.key)
        if not raw:
            st.session_state.setdefault(param.key, param.default)
            continue
        value, rejected = _parse(param, raw)
        st.session_state[param.key] = value
        if rejected:
            # Link values are user text: escaped, and cut short so a huge value cannot fill the page.
            shown = ", ".join(escape_html(_shorten(r)) for r in rejected[:10]) + (" …" if len(rejected) > 10 else "")
            notes.append(f"Ignored unknown {param.label} in the link: {shown}")
    st.session_state[_NOTES] = notes
    st.session_state[_LOADED] = True


def _offers_every_value(param: Param) -> bool:
    """False for a free list (countries, companies, organisations): a link may name one its widget lacks."""
    return not (param.kind == "list" and param.choices is None)


def _copy_back(key: str) -> None:
    st.session_state[key] = st.session_state[f"w_{key}"]


def widget(key: str) -> dict[str, Any]:
    """Keyword arguments that bind a widget to the registered value ``key``.

    Use as ``st.multiselect(label, options, **state.widget("materials"))``: the
    widget shows and sets ``st.session_state[key]``, which Streamlit keeps while
    the widget is not drawn.
    """
    if key not in PARAMS:
        raise KeyError(f"{key!r} is not a registered filter")
    if _offers_every_value(PARAMS[key]):
        return {"key": key, "persist_state": "session"}
    # A free list may hold values its widget does not offer (a link's unknown country): the
    # widget would drop them, yet they filter as the link says.  So its widget has a key of
    # its own, filled from the value before each draw and copied back on a change.
    widget_key = f"w_{key}"
    value = st.session_state.get(key, PARAMS[key].default)
    if st.session_state.get(widget_key) != value:
        st.session_state[widget_key] = value
    return {"key": widget_key, "on_change": _copy_back, "args": (key,)}


def url_params(values: Mapping[str, Any]) -> dict[str, str]:
    """The query string for ``values``: defaults left out, lists joined with commas."""
    wanted: dict[str, str] = {}
    for param in PARAMS.values():
        value = values.get(param.key, param.default)
        if value == param.default or value in ([], "", None):
            continue
        if param.kind == "bool":
            wanted[param.key] = "1" if value else "0"
        else:
            wanted[param.key] = ",".join(value) if isinstance(value, list | tuple) else str(value)
    return wanted


def write_to_url() -> None:
    """Mirror current values into the URL, leaving defaults out to keep links short."""
    wanted = url_params({k: st.session_state.get(k) for k in PARAMS if k in st.session_state})
    current = {k: st.query_params.get(k) for k in PARAMS if k in st.query_params}
    if current != wanted:
        for key in PARAMS:
            if key in st.query_params and key not in wanted:
                del st.query_params[key]
        for key, value in wanted.items():
            st.query_params[key] = value


def show_url_notes() -> None:
    """Tell the user once about link values that were ignored."""
    for note in st.session_state.pop(_NOTES, []):
        st.warning(note, icon=":material/link_off:")


def get(key: str) -> Any:
    """Current value of a registered filter."""
    return st.session_state.get(key, PARAMS[key].default)


def _on_lists() -> set[str] | None:
    """Materials on any EU list chosen in the sidebar; None when no list is chosen."""
    lists = get("lists")
    if not lists:
        return None
    return regulatory.on_lists(cached.read(report_facts.regulatory_lists), lists)


def material_filter() -> list[str]:
    """Materials in view as a query filter: the sidebar's materials narrowed by its EU lists; [] = no limit.

    When the chosen lists leave none of the chosen materials, the lists are not
    applied (the sidebar says so): an empty view would read as "all materials".
    """
    chosen = list(get("materials"))
    listed = _on_lists()
    if listed is None:
        return chosen
    narrowed = [m for m in (chosen or cached.material_slugs()) if m in listed]
    return narrowed or chosen


def lists_leave_nothing() -> bool:
    """True when EU lists are chosen but none of the materials in view is on them."""
    listed = _on_lists()
    return listed is not None and not [m for m in (get("materials") or cached.material_slugs()) if m in listed]


def selected_materials() -> list[str]:
    """Materials in view (narrowed by the sidebar's EU lists); an empty selection means every material."""
    return material_filter() or cached.material_slugs()


def reset(keys: Iterable[str] | None = None) -> None:
    """Put the registered values ``keys`` (every one when None) back to their defaults.

    Call it from a callback: a widget's value cannot change once the widget is drawn.
    """
    for key in PARAMS if keys is None else keys:
        st.session_state[key] = PARAMS[key].default


def set_card_filters(materials: Sequence[str] = (), categories: Sequence[str] = ()) -> None:
    """A fresh view of the leverage cards: these materials and categories, every other card
    filter at its default, and the first page of cards.  Call it from a callback.
    """
    reset(CARD_FILTERS)
    st.session_state["lc_mat"] = list(materials)
    st.session_state["lc_cat"] = list(categories)
    st.session_state[CARD_PAGE] = 1
