"""Text from data is shown literally: never rendered as HTML, links, images or Streamlit markup.

A private copy of the built store gets hostile values in the places users and
seed authors write (a material name, a source title, an organisation, a
leverage card, a risk evidence case, a scenario name, an action-plan note, a
workshop name); every page that shows them is opened in AppTest and every
string Streamlit renders as markdown (bodies, labels, help tooltips, metric
values) is checked: the values appear, escaped, and no raw ``<script>``, live
link, image, bold or ``:red[…]`` built from them is left.  Unit tests cover the
one helper that escapes, ``components.safe.escape_html``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, update
from streamlit.testing.v1 import AppTest

from components.safe import escape_html, safe_url
from rmo_data.store import schema
from rmo_data.store import action_plan
from rmo_data.store import scenarios
from rmo_data.workshops import lifecycle
from rmo_data.store.engine import make_engine
from tests.apptest import app_for, each_tab, open_as

ROOT = Path(__file__).resolve().parents[2]

# Each hostile piece, and the character in it that must arrive backslash-escaped.
# Short enough for a scenario name (80 characters) with its marker in front.
PAYLOAD = "<script>x</script><img src=x>[click](javascript:y)![x](e)**b**:red[r]"
LIVE_TOKENS = (("[click](", 0), ("![x](", 1), ("**b**", 0), ("**b**", 1), (":red[", 4))
RAW_HTML = ("<script", "<img", "</script")

MARKERS = {  # what was put where; each value is stored as "<marker> <PAYLOAD>"
    "material": "ZQMAT", "source": "ZQSRC", "org": "ZQORG", "lev_title": "ZQLEVT", "lev_action": "ZQLEVA",
    "ev_summary": "ZQEVS", "ev_company": "ZQEVC", "ev_site": "ZQEVP", "scenario": "ZQSCN",
    "plan_note": "ZQNOTE", "plan_owner": "ZQOWN", "workshop": "ZQWS",
}
ORG_SLUG = "zq_evil_org"
LEV_ID = "A-00"  # sorts before every card id of the report, so it is on the first page of cards
MATERIAL = "nickel"
WORKSHOP_MATERIALS = [MATERIAL, "zinc", "graphite"]


def hostile(part: str) -> str:
    return f"{MARKERS[part]} {PAYLOAD}"


# --- the helper ---------------------------------------------------------------------------------

def _escaped(text: str, index: int) -> bool:
    """True when the character at ``index`` is preceded by an odd number of backslashes."""
    n = 0
    while index - n - 1 >= 0 and text[index - n - 1] == "\\":
        n += 1
    return n % 2 == 1


def live_markup(text: str) -> list[str]:
    """The hostile constructs in ``text`` that markdown would still render (empty: all inert)."""
    found = [tag for tag in RAW_HTML if tag in text]
    for token, offset in LIVE_TOKENS:
        # Backslashes are dropped to find the token, then the critical character is checked.
        for match in re.finditer(r"\\?".join(re.escape(ch) for ch in token), text):
            chars = [i for i in range(match.start(), match.end()) if text[i] != "\\" or _escaped(text, i)]
            if not _escaped(text, chars[offset]):
                found.append(token)
    return found


@pytest.mark.parametrize("value", [
    PAYLOAD, "[click](javascript:alert(1))", "![x](http://evil/)", "<script>alert(1)</script>",
    "a_b*c*", "# heading", "1. item", "1) item", "- item", "> quote", "| a | b |", "~~x~~", "$x^2$",
    ":material/home: :smile:", "`code`", "back\\slash", "=====", "AT&T &amp; co", "http://evil.example/x",
])
def test_escape_html_leaves_no_live_markup_and_keeps_every_character(value: str) -> None:
    out = escape_html(value)
    assert live_markup(out) == [], out
    assert "<" not in out and ">" not in out.replace("\\>", "")  # no tag can open
    # Reading the escapes back (what markdown shows) gives exactly the original text.
    shown = html.unescape(re.sub(r"\\(.)", r"\1", out))
    assert shown == value


def test_escape_html_escapes_every_markdown_line_start_and_streamlit_directive() -> None:
    assert escape_html("# x").startswith("\\#")
    assert escape_html("1. x") == "1\\. x" and escape_html("2) x") == "2\\) x"
    assert escape_html(":red[x]") == "\\:red\\[x\\]"
    assert escape_html("Bauxite (aluminium)") == "Bauxite (aluminium)"  # readable names stay as they are
    assert escape_html(None) == "" and escape_html(float("nan")) == ""
    assert escape_html(3) == "3"


def test_live_markup_detector_finds_unescaped_constructs() -> None:
    """The check the page tests rely on really fails on raw values (so it cannot pass vacuously)."""
    assert set(live_markup(PAYLOAD)) == {"<script", "</script", "<img", "[click](", "![x](", "**b**", ":red["}
    assert live_markup(r"\[click\](x) \!\[x\](y) \*\*b\*\* \:red\[r\]") == []
    assert live_markup(r"\\[click](x)") == ["[click]("]  # an escaped backslash escapes nothing


@pytest.mark.parametrize("url,ok", [
    ("https://example.org/a?b=1", True), ("http://x.org", True), ("javascript:alert(1)", False),
    ("https://x.org/a)(b", False), (" data:text/html,<script>", False), (None, False), ("ftp://x", False),
])
def test_safe_url_only_passes_plain_web_addresses(url: Any, ok: bool) -> None:
    assert (safe_url(url) is not None) is ok


# --- a store holding hostile values --------------------------------------------------------------

def _first(engine: Engine, table: Any, *where: Any) -> dict[str, Any]:
    with engine.connect() as conn:
        return dict(conn.execute(select(table).where(*where).limit(1)).mappings().one())


@pytest.fixture()
def hostile_store(store_copy_url: str) -> Iterator[tuple[str, str]]:
    """URL of a store copy with a hostile value in every data-text place, and the workshop's code."""
    url = store_copy_url
    engine = make_engine(url)
    src = _first(engine, schema.source)
    org = _first(engine, schema.organisation)
    lev = _first(engine, schema.leverage, schema.leverage.c.material == MATERIAL)
    ev = _first(engine, schema.risk_evidence, schema.risk_evidence.c.material == MATERIAL)
    with engine.begin() as conn:
        conn.execute(update(schema.material).where(schema.material.c.slug == MATERIAL).values(name=hostile("material")))
        for other in WORKSHOP_MATERIALS[1:]:  # every workshop material hostile, whichever ranks first
            conn.execute(update(schema.material).where(schema.material.c.slug == other).values(name=f"ZQ{other} {PAYLOAD}"))
        conn.execute(insert(schema.source).values({**src, "id": "zq_src", "title": hostile("source")}))
        conn.execute(insert(schema.organisation).values({**org, "slug": ORG_SLUG, "name": hostile("org"),
                                                    "acronym": None, "source_id": "zq_src"}))
        conn.execute(insert(schema.organisation_material).values(organisation=ORG_SLUG, material=MATERIAL))
        conn.execute(insert(schema.leverage).values({**lev, "id": LEV_ID, "title": hostile("lev_title"),
                                                "action": hostile("lev_action"), "source_id": "zq_src"}))
        conn.execute(insert(schema.leverage_organisation).values(leverage_id=LEV_ID, organisation=ORG_SLUG))
        conn.execute(insert(schema.risk_evidence).values({
            **ev, "id": "EV-ZQ-01", "summary": hostile("ev_summary"), "company": hostile("ev_company"),
            "site": hostile("ev_site"), "scale": 5, "scope": 5, "irremediability": 5, "severity": 5,
            "url": "javascript:alert(1)", "source_id": "zq_src"}))
    scenarios.save_scenario(hostile("scenario"), {"severity": 10}, engine=engine)
    action_plan.add_plan_item(LEV_ID, owner=hostile("plan_owner"), note=hostile("plan_note"), engine=engine)
    _, code = lifecycle.create_workshop(hostile("workshop"), WORKSHOP_MATERIALS,
                                        ["severity", "processing_hhi"], engine=engine)
    engine.dispose()
    yield url, code


# Proto fields that Streamlit renders as markdown: element bodies (markdown, captions, titles,
# alerts, toasts, metric values), widget and tab labels, help tooltips.
MARKDOWN_FIELDS = frozenset({"body", "label", "help"})


def _repeated(field: Any) -> bool:
    # protobuf 6 has ``is_repeated``; older versions only ``label``.
    return bool(getattr(field, "is_repeated", False) or getattr(field, "label", None) == 3)


def _strings(message: Any) -> Iterator[str]:
    for field, value in message.ListFields():
        values = list(value) if _repeated(field) else [value]
        if field.type == field.TYPE_MESSAGE:
            for item in values:
                yield from _strings(item)
        elif field.type == field.TYPE_STRING and field.name in MARKDOWN_FIELDS:
            yield from values


def _protos(at: AppTest) -> Iterator[Any]:
    for node in at._tree:
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ListFields"):
            yield proto


def rendered(at: AppTest) -> list[str]:
    """Every string of the page that Streamlit renders as markdown (``st.html`` reads none: ``html_shown``)."""
    return [text for proto in _protos(at) if type(proto).__name__ != "Html" for text in _strings(proto)]


def html_shown(at: AppTest) -> list[str]:
    """The bodies of the page's ``st.html`` elements: HTML, where only a tag could be live."""
    return [proto.body for proto in _protos(at) if type(proto).__name__ == "Html"]


def _check(at: AppTest, *parts: str, tabs: str | None = None) -> None:
    """Every part is shown escaped and nothing renders live markup; with ``tabs``, over each tab (built when open)."""
    texts = rendered(at) if tabs is None else [t for _ in each_tab(at, tabs) for t in rendered(at)]
    assert texts, "nothing rendered"
    for text in texts:
        assert live_markup(text) == [], text
    shown_html = html_shown(at) if tabs is None else []
    for body in shown_html:
        assert not [tag for tag in RAW_HTML if tag in body], body
    joined = "\n".join(texts)
    for part in parts:
        assert (escape_html(hostile(part)) in joined
                or any(html.escape(hostile(part)) in body for body in shown_html)), \
            f"{part} not shown (escaped) on the page"


def test_material_profile_shows_hostile_values_escaped(hostile_store: tuple[str, str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    url, _ = hostile_store
    at = open_as(app_for(url, monkeypatch), "pages/material.py", material=MATERIAL)
    assert at.title[0].value == escape_html(hostile("material"))
    _check(at, "material", "source", "org", "lev_title", "lev_action", "ev_summary", "ev_company", "ev_site",
           tabs="mp_tab")
    # The evidence card's own link (a javascript: URL) is dropped, the source's link is kept.
    shown = [t for _ in each_tab(at, "mp_tab") for t in rendered(at)]
    assert shown and not any("javascript:" in t for t in shown)


def test_leverage_cards_and_plan_show_hostile_values_escaped(hostile_store: tuple[str, str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    url, _ = hostile_store
    at = open_as(app_for(url, monkeypatch), "pages/leverage_cards.py", lc_mat=[MATERIAL])
    # Over both tabs (each built only when open); each_tab leaves the plan tab open.
    _check(at, "material", "source", "org", "lev_title", "lev_action", tabs="lc_tab")
    # The plan's note and owner sit in a table (plain text there), never in markdown.
    plan = next(df.value for df in at.dataframe if "Note" in df.value.columns)
    assert hostile("plan_note") in set(plan["Note"]) and hostile("plan_owner") in set(plan["Owner"])


def test_stakeholders_show_hostile_organisation_escaped(hostile_store: tuple[str, str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    url, _ = hostile_store
    at = open_as(app_for(url, monkeypatch), "pages/stakeholders.py", org=ORG_SLUG)
    _check(at, "org", "lev_title", "lev_action", "source")
    assert at.subheader[0].value == f"Leverage cards naming {escape_html(hostile('org'))}"


def test_evidence_page_shows_hostile_values_escaped(hostile_store: tuple[str, str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    url, _ = hostile_store
    at = open_as(app_for(url, monkeypatch), "pages/evidence.py", materials=[MATERIAL])
    _check(at, "source")
    table = at.dataframe[0].value
    case = table[table["summary"] == hostile("ev_summary")]
    assert len(case) == 1 and case["company"].iloc[0] == hostile("ev_company")
    assert case["link"].iloc[0] != "javascript:alert(1)"  # the unsafe URL never becomes a link


def test_prioritisation_shows_hostile_scenario_and_material_escaped(hostile_store: tuple[str, str],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    url, _ = hostile_store
    at = open_as(app_for(url, monkeypatch), "pages/prioritisation.py", pr_cmp_b=hostile("scenario"))
    # The comparison's download buttons name both scenarios; the top three name the material.
    _check(at, "scenario", "material", tabs="pr_tab")
    assert at.selectbox(key="pr_cmp_b").value == hostile("scenario")  # each_tab ends on Scenarios


def test_overview_shows_hostile_material_escaped(hostile_store: tuple[str, str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    url, _ = hostile_store
    at = open_as(app_for(url, monkeypatch), "pages/overview.py", material=MATERIAL)
    _check(at, "material")


def test_workshop_shows_hostile_name_escaped(hostile_store: tuple[str, str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    url, code = hostile_store
    at = open_as(app_for(url, monkeypatch), "pages/workshop.py", ws_mode="run", ws=code)
    _check(at, "workshop", "material")
    # A participant with a hostile name: the facilitator's live list shows it escaped.
    participant = "ZQPART <script>x</script> [a](javascript:b)"
    engine = make_engine(url)
    try:
        lifecycle.submit_weights(code, participant, {"severity": 3, "processing_hhi": 7}, engine=engine)
        top = lifecycle.aggregate(code, engine=engine).ranking.iloc[0]["name"]
    finally:
        engine.dispose()
    at.run()
    assert not at.exception
    _check(at, "workshop")
    assert escape_html(participant) in "\n".join(rendered(at))
    # The group's first priority is a material name, shown in a metric (markdown): escaped.
    assert next(m.value for m in at.metric if m.label == "Group's first priority") == escape_html(top)
