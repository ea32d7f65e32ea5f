"""How a workshop's group result is drawn (live, on a projector, or frozen), and what every mode shares.

The participant's mode is drawn by ``components.workshop_participant``, the
partners' modes by ``components.workshop_facilitator``; both use the pieces
here: ``fetch`` and ``about`` (a workshop and its caption), ``mode_allowed``,
``when`` and ``join_link``.

The same blocks serve all three: a chart from ``rmo_data.charts.workshop_charts``,
the table behind it and a source line with CSV and XLSX downloads.  A closed
workshop is drawn only from its frozen record (``GroupResult.from_record``);
``named=False`` draws only the group result (no names, no one's own weights or
ranking), which is all a public code holder sees of a closed workshop.

Wrong join codes are throttled here (``code_wait`` / ``code_failed``): per
session and per client address, each a ``rmo_data.access.throttle.Throttle`` shared
by every session of this server process.

Text typed by people (workshop and participant names) goes through
``safe.escape_html``; the only HTML here is the constant presentation stylesheet.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import streamlit as st

from components import cached, render, signin, tables
from components.pack_downloads import PackChoice, pack_chooser
from rmo_data.briefing.summary import workshop_decision
from components.provenance import figure_footer, view_link
from components.workshop_consensus import consensus_block
from components.safe import escape_html
from rmo_data import constants, faults, formatting, vocabulary
from rmo_data.about import about_rows
from rmo_data.access import roles
from rmo_data.access.throttle import Throttle
from rmo_data.charts import alt_text, workshop_charts
from rmo_data.exports import XLSX_MIME
from rmo_data.store import data_version, queries
from rmo_data.store.engine import database_url, get_engine
from rmo_data.store.workshops import utc
from rmo_data.workshops import lifecycle, records
from rmo_data.workshops.group_result import GroupResult

SUBMISSIONS_SOURCE = records.SUBMISSIONS_SOURCE

# Wrong join codes: a session gets 5 free tries in 10 minutes, then waits 2 s, 4 s, 8 s … (at most
# 10 min) before the next. A client address gets more (30), since a room of participants on one
# network, or behind the server's proxy, shares one address.
CODE_WINDOW_S = 600
SESSION_CODES = Throttle(limit=5, window_s=CODE_WINDOW_S, first_wait_s=2)
ADDRESS_CODES = Throttle(limit=30, window_s=CODE_WINDOW_S, first_wait_s=2)
_CLIENT = "_ws_client"

# Presentation mode: hide the sidebar, its toggle and the toolbar; projector-sized text.
# Constant CSS only; nothing typed by users or read from data goes into it.
PRESENT_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], header[data-testid="stHeader"] {display: none !important;}
[data-testid="stMainBlockContainer"] {padding-top: 1.2rem; padding-bottom: 1rem; max-width: 100%;}
[data-testid="stMainBlockContainer"] [data-testid="stMarkdownContainer"] p {font-size: 1.3rem;}
[data-testid="stMainBlockContainer"] [data-testid="stMetricValue"] p {font-size: 3.4rem; line-height: 1.1;
  font-weight: 600;}
[data-testid="stMainBlockContainer"] [data-testid="stMetricLabel"] p {font-size: 1.3rem;}
[data-testid="stMainBlockContainer"] [data-testid="stCaptionContainer"] p {font-size: 1rem;}
[data-testid="stMainBlockContainer"] [data-testid="stCode"] code {font-size: 1.3rem;}
</style>
"""


def _zone() -> dt.tzinfo:
    """The reader's time zone when the browser reports one, else UTC."""
    try:
        return ZoneInfo(st.context.timezone) if st.context.timezone else dt.UTC
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def when(value: Any) -> str:
    """A stored time in the reader's zone, e.g. "14:03:12 on 5 May 2026 (Europe/Berlin)"."""
    moment = utc(value)
    if moment is None:
        return "time not recorded"
    zone = _zone()
    local = moment.astimezone(zone)
    return f"{local:%H:%M:%S} on {local.day} {local:%b %Y} ({getattr(zone, 'key', 'UTC')})"


def join_link(code: str, token: str | None = None) -> str:
    """The address participants open: the Workshop page of this server with ``?join=CODE``.

    With ``token``, a participant's own link (``&p=TOKEN``) that brings back their answer.
    """
    query = urlencode({"join": code, **({"p": token} if token else {})})
    url = st.context.url
    if not url:  # no browser (AppTest): a link relative to the server
        return f"/workshop?{query}"
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    if not path.endswith("/workshop"):
        path = f"{path}/workshop"
    return f"{parts.scheme}://{parts.netloc}{path}?{query}"


# An open page polls the workshop's phase; one read per workshop and server every PHASE_TTL_S.
PHASE_TTL_S = 0.5
_RERUN_FOR = "_ws_rerun_for"  # the polled phase a page last reran for, by key


@st.cache_data(ttl=PHASE_TTL_S, show_spinner=False, max_entries=1000)
def _phase(url: str, code: str, at: data_version.Version) -> str | None:
    return lifecycle.phase_of(code, get_engine())


def polled_phase(code: str) -> str | None:
    """The workshop's phase (``lifecycle.phase_of``), read at most once per ``PHASE_TTL_S`` for all
    sessions of this server, and again as soon as the workshops' data version moves (a reveal or a
    close made on another server)."""
    return _phase(database_url(), code, cached.version(data_version.WORKSHOPS))


def forget_phase() -> None:
    """Drop the polled phases of this server: call after a write that changes a phase (reveal, round, close)."""
    _phase.clear()


def rerun_on_phase_change(code: str, shown: str, key: str) -> None:
    """Rerun the whole page when the polled phase is not the ``shown`` one; once per polled value.

    The poll may lag the page by up to ``PHASE_TTL_S`` (the page read the
    workshop itself, after the last poll): rerunning once for a value, never
    twice, keeps such a lag from rerunning the page on every tick.
    """
    try:
        now = polled_phase(code)
    except faults.WRITE_ERRORS:  # the store faults a read can meet too (SQLAlchemy, OS)
        return  # a busy or lost store: try again at the next tick, the page stays as it is
    last = st.session_state.setdefault(_RERUN_FOR, {})
    if now != shown and last.get(key) != now:
        last[key] = now
        st.rerun(scope="app")


def mode_allowed(mode: str) -> bool:
    """True when the session's role may use this mode of the Workshop page (``roles.WORKSHOP_MODES``)."""
    return roles.allows(signin.role(), roles.WORKSHOP_MODES.get(mode, roles.EDITOR))


def fetch(code: str) -> dict[str, Any] | None:
    """The workshop for ``code``, or None with the reason shown."""
    try:
        return lifecycle.get_workshop(code, get_engine())
    except ValueError as err:
        st.error(escape_html(str(err)), icon=":material/error:")
        return None


def about(ws: dict[str, Any]) -> None:
    """A caption naming the workshop's materials and criteria."""
    names = cached.material_labels()
    materials = ", ".join(escape_html(names.get(m, m)) for m in ws["materials"])
    # Short names: the console keeps its live ranking within the projector's first screens.
    st.caption(f"Materials: {materials} · Criteria: "
               f"{', '.join(vocabulary.short('criterion', c) for c in ws['criteria'])}")


# --- wrong codes ------------------------------------------------------------------------------------

def _keys() -> tuple[str, str | None]:
    session = st.session_state.setdefault(_CLIENT, secrets.token_hex(8))
    address = signin.client_address()
    return f"session:{session}", f"address:{address}" if address else None


def code_wait() -> float:
    """Seconds this client must wait before another join code is looked up (0 = look it up)."""
    session, address = _keys()
    return max(SESSION_CODES.check(session), ADDRESS_CODES.check(address) if address else 0.0)


def code_failed() -> None:
    """Count one unknown join code against this session and this client's address."""
    session, address = _keys()
    SESSION_CODES.fail(session)
    if address:
        ADDRESS_CODES.fail(address)


def disagreements(result: GroupResult) -> str:
    """Markdown naming the criteria and materials flagged as disagreements ("" when none)."""
    crits = [constants.CRITERION_LABELS[c] for c in result.spread.loc[result.spread["disagree"], "criterion"]]
    mats = result.ranking.loc[result.ranking["disagree"], "name"].tolist()
    parts = []
    if crits:
        parts.append(f"**Weights far apart on:** {', '.join(crits)}")
    if mats:
        parts.append(f"**Ranked far apart:** {', '.join(escape_html(m) for m in mats)}")
    return "  \n".join(parts)


# --- blocks: chart, numbers, source line and downloads ------------------------------------------

def _footer(result: GroupResult, frame: pd.DataFrame, title: str, unit: str, note: str,
            key: str) -> None:
    figure_footer(frame, title, [SUBMISSIONS_SOURCE, *result.sources], result.years, unit=unit, note=note,
                  key=key)


def _chart(builder: Callable[..., Any], *args: Any, key: str, big: bool = False, **kwargs: Any) -> None:
    """Draw ``builder(*args, big=big, **kwargs)`` of ``workshop_charts``; remembered for its footer's PNG and SVG.

    The image is built again at the normal (not the projector's) size when its button is clicked.
    """
    chart = builder(*args, big=big, **kwargs)
    st.altair_chart(workshop_charts.present(chart, big), width="stretch", key=key)
    render.remember(builder, *args, **kwargs)
    # The chart's text alternative, shown for every reader (rmo_data.charts.alt_text).
    summary = alt_text.chart_summary(chart)
    if summary:
        st.caption(escape_html(summary))


def _numbers(table: pd.DataFrame, key: str, big: bool) -> None:
    """The figures behind a chart, folded away (left out on the projector)."""
    if big:
        return
    with st.expander("The numbers behind this chart"):
        tables.dataframe(table, hide_index=True, width="stretch", key=key)


def ranking_block(result: GroupResult, key: str, big: bool = False, fold: bool = False) -> None:
    """Group ranking chart with Borda ranks, its table (not on the projector) and footer.

    ``fold=True`` puts the table in an expander (the facilitator's live view keeps the chart in view).
    """
    _chart(workshop_charts.group_ranking_chart, result.ranking, key=f"{key}_rank", big=big)
    table = records.ranking_frame(result)
    if not big:
        holder = st.expander("The numbers behind this chart") if fold else st.container()
        config = {"Group rank": st.column_config.NumberColumn(format=formatting.TABLE_INTEGER, width="small"),
                  "Material": st.column_config.TextColumn(pinned=True),
                  "Group score (0–1)": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0,
                                                                       format=formatting.table_format(2)),
                  "Borda points": st.column_config.NumberColumn(format=formatting.table_format(1)),
                  "Model default score (0–1)": st.column_config.NumberColumn(format=formatting.table_format(2))}
        tables.dataframe(table, container=holder, hide_index=True, width="stretch", key=f"{key}_rank_table",
                         column_config=config)
    _footer(result, table, f"Group ranking {result.code}",
            "score 0–1; Borda points (n − 1 for a first place, 0 for the last)",
            # The workshop's materials are its "materials in view": say so in one clause.
            f"{result.n} participant(s). Criteria scaled 0–1 across the workshop's materials; a criterion "
            f"with {constants.MISSING} takes their median, never 0.", f"{key}_dl_rank")


def default_block(result: GroupResult, key: str, big: bool = False) -> None:
    """The group's ranks beside the model default's."""
    _chart(workshop_charts.group_vs_default_chart, result.ranking, key=f"{key}_default", big=big)
    frame = records.ranking_frame(result)[["Material", "Group rank", "Model default rank",
                                             "Model default score (0–1)"]]
    _footer(result, frame, f"Group and model default {result.code}", "rank (1 = act first)",
            "Model default = every criterion of the workshop weighted equally.", f"{key}_dl_default")


def weights_block(result: GroupResult, key: str, big: bool = False) -> None:
    """Spread of the participants' weights per criterion."""
    std_flag = float(result.thresholds["weight_std"])
    _chart(workshop_charts.weight_spread_chart, result.shares, result.spread, key=f"{key}_weights", big=big,
           std_flag=std_flag)
    table = records.spread_frame(result)
    _numbers(table, f"{key}_weights_table", big)
    _footer(result, table, f"Weight spread {result.code}",
            "share of the score in % (each participant's weights rescaled to 100 %)",
            f"Flagged when the standard deviation reaches {formatting.number(std_flag * 100, None)} percentage points.",
            f"{key}_dl_weights")


def ranks_block(result: GroupResult, key: str, big: bool = False) -> None:
    """Spread of the ranks the participants' own weights give each material."""
    range_flag = int(result.thresholds["rank_range"])
    _chart(workshop_charts.rank_spread_chart, result.ranking, result.participant_ranks, key=f"{key}_ranks",
           big=big, range_flag=range_flag)
    table = records.participant_ranks_frame(result)
    _numbers(table, f"{key}_ranks_table", big)
    _footer(result, table, f"Participant rankings {result.code}", "rank (1 = act first)",
            f"Flagged when ranks span {range_flag} places or more; ties share the better rank.",
            f"{key}_dl_ranks")


PRESENT_BLOCKS = {"ranking": ("Group ranking", ranking_block), "weights": ("Weights", weights_block),
                  "ranks": ("Rank spread", ranks_block), "default": ("Versus model default", default_block)}


# --- whole views ----------------------------------------------------------------------------------

def result_view(result: GroupResult, key: str, show_count: bool = True, named: bool = True) -> None:
    """Headline, disagreements and the four charts, each with its sources and downloads.

    ``named=False`` leaves out the two charts of single participants (their
    weights and their own rankings, with names): only the group result remains.
    """
    if result.missing_materials:
        st.caption("Left out because the store no longer holds them: "
                   f"{', '.join(escape_html(m) for m in result.missing_materials)}.")
    if result.n == 0:
        st.info("No submission yet: the group ranking appears with the first one. Until then, the "
                "model default (equal weights) is shown.", icon=":material/hourglass_empty:")
        default_block(result, key)
        return
    top = result.ranking.iloc[0]
    borda_top = result.ranking.sort_values(["borda_rank"], kind="stable").iloc[0]
    cols = st.columns(3 if show_count else 2)
    # A metric's value is markdown too: the names come from the store.
    cols[0].metric("Group's first priority", escape_html(top["name"]), help="Highest score with the mean of the weights.")
    cols[1].metric("First by Borda count", escape_html(borda_top["name"]),
                   help="Most points when every participant's own ranking is counted.")
    if show_count:
        cols[2].metric("Participants", result.n)
    text = disagreements(result)
    if text:
        st.warning(text, icon=":material/call_split:")
    else:
        st.success("No strong disagreement: weights and rankings stay close.", icon=":material/handshake:")
    ranking_block(result, key)
    default_block(result, key)
    if named:
        weights_block(result, key)
        ranks_block(result, key)


def _pack(result: Any, info: Mapping[str, Any]) -> None:
    """The closed workshop's briefing packs, near the top: its frozen record, or one material of it.

    The frozen group ranking, the group's weights (in % of the score) and what the
    workshop decided go into the pack; nothing of the record is recomputed.
    """
    title = f"Workshop: {info['name']}"
    decision = workshop_decision(result, info)

    def frozen() -> dict[str, Any]:
        if result.n:
            return {"ranking": result.ranking, "weights": result.pack_weights(), "title": title,
                    "workshop": decision}
        return {"title": title, "workshop": decision}

    order = result.group_order()
    pack_chooser([PackChoice("workshop", "The workshop's frozen record", order, frozen),
                  PackChoice("one", "One material of it", order, frozen, pick_one=True)],
                 key=f"ws_pack_{result.code}", labels=result.names)


def frozen_view(ws: dict[str, Any], key: str, facilitator: bool, named: bool = True,
                notice: bool = True) -> None:
    """A closed workshop, entirely from its frozen record: result, submissions, exports, pack.

    ``facilitator`` adds the briefing pack (the frozen ranking and the group weights).
    ``named=False`` (a public code holder) shows the group result only: no
    participant's name, weights or own ranking, and no record download.
    ``notice=False`` leaves out the "closed at" note, for a page that has said so already.
    """
    record = ws["record"]
    result = records.record_result(record)
    info = record["workshop"]
    # Who closed it is told to partners only (named), like every other name in the record.
    by = f" by {escape_html(str(info['closed_by']))}" if named and info.get("closed_by") else ""
    if notice:
        st.info(f"Closed at {when(info['closed_at'])}{by} with {result.n} submission(s). This record was "
                "frozen at closing: it is read back as stored, never recomputed, so later changes to the "
                "data cannot alter it.", icon=":material/lock:")
    method = info.get("method", "sliders")
    rounds = records.round_results(record)
    st.caption(f"{records.MODE_LABELS.get(info.get('mode', 'named'), '')} · "
               f"{records.METHOD_LABELS.get(method, '')} · {len(rounds)} round(s)")
    if facilitator:
        _pack(result, info)
    if facilitator:
        consensus_block(result, key)  # as frozen; an older record says it was not computed
    result_view(result, key, named=named)
    if len(rounds) > 1:
        st.markdown(f"**Round {rounds[0][0]} against round {rounds[-1][0]}**")
        summary = records.rounds_summary_frame(rounds)
        tables.dataframe(summary, hide_index=True, width="stretch", key=f"{key}_rounds_sum")
        moved = records.rounds_frame(rounds)
        tables.dataframe(moved, hide_index=True, width="stretch", key=f"{key}_rounds")
        _footer(result, moved, f"Rounds {result.code}", "group rank per round",
                "Places moved: a positive number is a climb between the first and the last round.",
                f"{key}_dl_rounds")
    if not named:
        signin.partner_note("who submitted what, each participant's weights and ranking, and the whole record")
        return
    st.markdown("**Who submitted what, and when**")
    subs = records.submissions_frame(record["submissions"], result.criteria, result.names, method)
    tables.dataframe(subs, hide_index=True, width="stretch", key=f"{key}_subs",
                 column_config={"Participant": st.column_config.TextColumn(pinned=True)})
    _footer(result, subs, f"Submissions {result.code}",
            "shares in % derived from pairwise comparisons" if method == "pairwise" else "weights 0–10 as entered",
            "Times in UTC; a revision replaces the participant's earlier weights.", f"{key}_dl_subs")
    if not signin.can("downloads"):
        signin.partner_note("downloads of the whole record")
        return
    st.markdown("**The whole record**")
    row = st.container(horizontal=True, gap="small")
    stem = f"workshop-{result.code}-record"
    # The link and the store are read now; the workbook is written only when its button is clicked.
    link, engine = view_link("pages/workshop.py"), get_engine()

    def workbook() -> bytes:
        facts = records.record_about(record, link)
        rows = about_rows(facts, queries.sources(engine=engine), {},
                          records.record_rules(records.record_frames(record)))
        return records.record_xlsx(record, rows)

    row.download_button("Record (JSON)", lambda: records.record_json(record), file_name=f"{stem}.json",
                        mime="application/json", key=f"{key}_json", icon=":material/data_object:",
                        on_click="ignore", help="Everything frozen at closing, exactly as stored (the data "
                                                "version it was computed on included).")
    row.download_button("Record (XLSX)", workbook, file_name=f"{stem}.xlsx",
                        mime=XLSX_MIME, key=f"{key}_xlsx", icon=":material/table_view:", on_click="ignore",
                        help="One sheet each: workshop, group ranking, criterion spread, submissions, "
                             "participants' rankings; and an About sheet: sources and licences, criteria, "
                             "group weights, the data version frozen at closing, date and the link to this view.")

