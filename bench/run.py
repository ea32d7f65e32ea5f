"""Performance benchmark of the app on the real store and on a synthetic one, in one run.

Usage (from the repository root)::

    python bench/run.py                       # full run, about 10 minutes on 2 cores
    python bench/run.py --quick               # fewer reruns, a smoke run of a few minutes
    python bench/run.py --reuse --synthetic-url sqlite:////tmp/rmo-syn.sqlite --output bench.json
    python bench/run.py --room                # everything below, then the workshop room (bench/room.py)
    python bench/run.py --only room           # only the workshop room (same as python bench/room.py)
    python bench/run.py --clicks              # everything, then clicks on a real server for each store
    python bench/run.py --only clicks         # only those clicks (same as python bench/clicks.py)

What it measures, for the real store (built from the repository's files) and for a
synthetic store (``python -m rmo_data synth``, 100 extra materials, 200 000 evidence
cases, 50 000 production rows):

* the build time of each store (``python -m rmo_data build`` / ``synth`` as a user runs it);
* per page of ``app.py`` (discovered from ``rmo_data.access.roles.PAGES``, so pages added later
  are measured too), signed in as a partner through the sign-in form, with
  streamlit's AppTest: the first run on a cold cache, then the median and 95th percentile
  of reruns after typical interactions: change the focus material, change the materials
  in view, change the stage filter, move a weight slider (Prioritisation), change a card
  filter (Leverage cards) and open the cards from the ranking;
* per page, in headless Debian chromium against a real server started as users start it
  (``python scripts/serve.py``, i.e. ``streamlit run app.py`` after the preload): the time
  from navigation to the first rendered chart or table with the script finished (a page
  for partners is opened from the menu right after signing in, in the same new session);
* the peak resident memory (VmHWM) of that server process after every page was opened;
* the time to build a briefing pack (PowerPoint and PDF) for the ten materials and for one
  material, when ``rmo_data.briefing.pack`` offers a function for it (the pack's chart
  cache is emptied before each, so no figure reuses another's charts; the salience cells
  and criteria, which the page offering the pack already holds, are made before the clock
  starts and handed over as the page does, and the chart workers, which that page starts
  while the reader chooses, are running).

It prints one table (figure, real, synthetic, ratio synthetic/real, target, pass/fail)
and, with ``--output``, writes the same as JSON.  The workshop room (forty participants
on one server, a projector, server CPU per interaction beside a trivial app, static
first visits with and without nginx; then the same room split across two servers on one
PostgreSQL store) is its own section, ``bench/room.py``: ``--room`` adds it after this
table, ``--only room`` runs it alone (``--quick`` makes it a ten-participant smoke run).  The targets are those of the
performance issue; tests never time anything, this script does.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a plain script from anywhere

from scripts.live_server import CHROMIUM, CHROMIUM_ARGS, running_server  # noqa: E402 - importable once ROOT is on the path

# A page counts as rendered when a chart or table has drawn and the script has stopped.
CONTENT = ("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg, "
           "[data-testid='stDataFrame'] canvas")
CHART_OR_TABLE = "[data-testid='stVegaLiteChart'], [data-testid='stDataFrame']"
NOT_RUNNING = ("() => !document.querySelector('[data-testid=\"stStatusWidget\"]') || "
               "!document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')")

# Targets of the issue.
RERUN_REAL_MS = 150.0
RERUN_SYN_MS = 500.0
RERUN_RATIO = 2.0
FIRST_RENDER_S = 3.0
BUILD_S = 20.0
SYNTH_BUILD_S = 120.0
PACK_S = 4.0  # issue 14: the ten-material pack
PACK_ONE_S = 1.5  # issue 14: a one-material pack
PACK_RATIO = 1.5  # issue 14: the synthetic store within 1.5× of the real one
MEMORY_MB = 600.0


# --- pages ---------------------------------------------------------------------------

@dataclass(frozen=True)
class PageInfo:
    """One ``st.Page`` of the router: its script, URL path and title."""

    script: str
    url_path: str
    title: str
    needs_sign_in: bool = False


def discover_pages(app_dir: Path = ROOT) -> list[PageInfo]:
    """Every page of the router (``rmo_data.access.roles.PAGES``, whose files exist), in menu order.

    The mapping is the one app.py builds its navigation from, so pages added
    later are measured too.  The sign-in page is left out: it draws only a form.
    """
    sys.path.insert(0, str(ROOT))
    from rmo_data.access import roles  # no streamlit import: safe in the parent process

    return [PageInfo(p.path, p.url_path, p.title, p.min_role != roles.PUBLIC)
            for p in roles.pages_for(roles.PARTNER, app_dir) if p.path != SIGN_IN_PAGE]


# --- signing in: the bench's own users file, one user per role, made for this run only ----------

SIGN_IN_PAGE = "pages/sign_in.py"
BENCH_USER = "bench.partner"
_BENCH_PASSWORD = secrets.token_urlsafe(24)  # made afresh each run; never printed


def bench_users_file(folder: Path) -> Path:
    """Write a users file with one partner and point RMO_USERS_FILE at it (children inherit it)."""
    sys.path.insert(0, str(ROOT))
    from rmo_data.access import accounts

    path = folder / "users.toml"
    accounts.add_user(path, BENCH_USER, "partner", _BENCH_PASSWORD, replace_existing=True)
    os.environ[accounts.USERS_ENV] = str(path)
    os.environ["RMO_BENCH_PASSWORD"] = _BENCH_PASSWORD  # for the AppTest child process only
    return path


def apptest_sign_in(at: Any) -> None:
    """Sign in as the bench partner through the real sign-in form (not timed)."""
    at.switch_page(SIGN_IN_PAGE).run()
    at.text_input(key="signin_name").input(BENCH_USER)
    at.text_input(key="signin_password").input(os.environ.get("RMO_BENCH_PASSWORD", _BENCH_PASSWORD))
    at.button(key="signin_submit").click().run()
    if not any("Signed in as" in str(s.value) for s in at.success):
        raise RuntimeError("the bench could not sign in as a partner: "
                           + "; ".join(str(e.value) for e in at.error))


# --- results ---------------------------------------------------------------------------

@dataclass
class Figure:
    """One row of the result table."""

    name: str
    unit: str
    real: float | None = None
    synthetic: float | None = None
    target: str = ""
    passed: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.real is None or self.synthetic is None or self.real <= 0:
            return None
        return self.synthetic / self.real


@dataclass
class StoreTimings:
    """What one store yielded: AppTest timings, browser timings, memory, pack time."""

    apptest: dict[str, Any] = field(default_factory=dict)
    browser: dict[str, float | None] = field(default_factory=dict)
    memory_mb: float | None = None
    rss_mb: float | None = None
    pack_s: float | None = None
    pack_note: str = ""
    pack_one_s: float | None = None
    pack_one_note: str = ""
    build_s: float | None = None


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: with 10 reruns p95 is the slowest one)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-pct * len(ordered) // 100))))
    return ordered[rank - 1]


# --- store builds ------------------------------------------------------------------------

def timed_command(args: list[str]) -> float:
    """Run a command from the repository root and return its wall time in seconds."""
    started = time.perf_counter()
    subprocess.run(args, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def store_ok(url: str) -> bool:
    from rmo_data.store.engine import store_status

    return store_status(url) == "ok"


# --- AppTest reruns (runs in a child process per store, so caches start cold) ------------

def _store_materials(url: str) -> tuple[list[str], str]:
    """Material slugs in display order, and the one with the most evidence (the heaviest)."""
    from sqlalchemy import func, select

    from rmo_data.store import schema
    from rmo_data.store.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            slugs = [r[0] for r in conn.execute(select(schema.material.c.slug)
                                                .order_by(schema.material.c.sort_order))]
            ev = schema.risk_evidence
            heaviest = conn.execute(select(ev.c.material).group_by(ev.c.material)
                                    .order_by(func.count().desc()).limit(1)).scalar()
    finally:
        engine.dispose()
    return slugs, heaviest or slugs[0]


def _spread(items: list[str], n: int) -> list[str]:
    """``n`` items spread evenly over the list (all of them when it is short)."""
    if len(items) <= n:
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def _plan(url: str, reruns: int) -> dict[str, list[Any]]:
    """The values each interaction cycles through on one store (each differs from the one before)."""
    from rmo_data import constants

    slugs, heaviest = _store_materials(url)
    # Focus materials spread over the store, the one with most evidence included: every
    # rerun shows a material not shown before, the slow case (no cached chart for it).
    focus = _spread([s for s in slugs if s != heaviest], max(reruns - 1, 1)) + [heaviest]
    views: list[list[str]] = []
    for i in range(reruns):
        chosen = _spread(slugs, 2 + i % 4)
        views.append([] if i % 3 == 0 else chosen[i % len(chosen):] + [heaviest])
    return {
        "focus": focus, "views": views,
        "stages": [[s] for s in constants.STAGE_SLUGS] + [["mining", "processing"], []],
        "weights": [f"wt_{c.slug}" for c in getattr(constants, "CRITERIA", ())],
        "card_categories": [[c] for c in constants.LEVERAGE_CATEGORY_SLUGS] + [[]],
        # The ranking ranks the report's materials, so its button opens cards of those.
        "card_materials": [s for s in focus if s in constants.MATERIAL_SLUGS] or list(constants.MATERIAL_SLUGS),
    }


def _interactions(page: str, plan: dict[str, list[Any]]) -> dict[str, Callable[[Any, int], None]]:
    """Typical interactions on ``page``: each sets what the widget or chart click would set."""
    def setter(key: str, values: list[Any]) -> Callable[[Any, int], None]:
        return lambda at, i: at.session_state.__setitem__(key, values[i % len(values)])

    out = {"focus material": setter("material", plan["focus"]),
           "materials in view": setter("materials", plan["views"]),
           "stage filter": setter("stages", plan["stages"])}
    if page.endswith("prioritisation.py") and plan["weights"]:
        keys = plan["weights"]
        out["weight slider"] = lambda at, i: at.session_state.__setitem__(keys[i % len(keys)], (i * 3 + 1) % 11)
    if page.endswith("leverage_cards.py"):
        out["card filter"] = setter("lc_cat", plan["card_categories"])
    return out


def apptest_timings(urls: dict[str, str], reruns: int, only: list[str] | None = None) -> dict[str, Any]:
    """First run and reruns of every page with AppTest, on every store, interleaved.

    Returns ``{label: {"pages": {page: {"first": s, "reruns": {interaction: [s, ...]}, "errors": [...]}}}}``.
    Each rerun is run on one store and then the same on the other, so a busy
    moment of the machine weighs on both alike and the ratios stay fair.
    """
    os.chdir(ROOT)
    import streamlit as st
    import streamlit.testing.v1.app_test as app_test_module
    import streamlit.testing.v1.local_script_runner as local_runner_module
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import AppTest

    # AppTest makes a new script cache on every run, so it recompiles app.py and the
    # page (with streamlit's "magic" pass) each time: 20-40 ms a server pays only
    # once.  One shared cache, as a server has, keeps that artefact out of the figures.
    shared_cache = ScriptCache()
    app_test_module.ScriptCache = lambda: shared_cache  # type: ignore[assignment,misc]
    local_runner_module.ScriptCache = lambda: shared_cache  # type: ignore[assignment,misc]

    plans = {label: _plan(url, reruns) for label, url in urls.items()}
    pages = [p.script for p in discover_pages()]
    has_cards = "pages/leverage_cards.py" in pages
    if only:
        pages = [p for p in pages if Path(p).stem in only]

    def timed_run(label: str, run: Callable[[], Any]) -> float:
        os.environ["RMO_DATABASE_URL"] = urls[label]  # read on every query, so one process serves both
        started = time.perf_counter()
        run()
        return time.perf_counter() - started

    # One throwaway run imports every module, so the first timed page is not charged for it.
    for label in urls:
        timed_run(label, AppTest.from_file(str(ROOT / "app.py"), default_timeout=600).run)
    results: dict[str, Any] = {label: {"pages": {}} for label in urls}
    for page in pages:
        apps: dict[str, Any] = {}
        for label in urls:  # partner pages need a partner: sign in first, outside the figures
            apps[label] = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
            os.environ["RMO_DATABASE_URL"] = urls[label]
            apptest_sign_in(apps[label])
        # Each page's first run starts from cold caches (data and chart specs).
        st.cache_data.clear()
        st.cache_resource.clear()
        for label in urls:
            first = timed_run(label, apps[label].switch_page(page).run)
            results[label]["pages"][page] = {"first": first, "reruns": {},
                                             "errors": [str(e.value) for e in apps[label].exception]}
        for name in _interactions(page, plans[next(iter(urls))]):
            for label in urls:
                results[label]["pages"][page]["reruns"][name] = []
            for i in range(reruns):
                for label, at in apps.items():
                    _interactions(page, plans[label])[name](at, i)
                    took = timed_run(label, at.run)
                    entry = results[label]["pages"][page]
                    entry["reruns"][name].append(took)
                    entry["errors"] += [f"{name}: {e.value}" for e in at.exception]
        if page.endswith("prioritisation.py") and has_cards:
            # "Open cards": the ranking's button pre-sets the card filters and switches page.
            for label in urls:
                results[label]["pages"][page]["reruns"]["open cards"] = []
            for i in range(reruns):
                for label, at in apps.items():
                    materials = plans[label]["card_materials"]
                    at.session_state["lc_mat"] = [materials[i % len(materials)]]
                    took = timed_run(label, at.switch_page("pages/leverage_cards.py").run)
                    entry = results[label]["pages"][page]
                    entry["reruns"]["open cards"].append(took)
                    entry["errors"] += [f"open cards: {e.value}" for e in at.exception]
                    timed_run(label, at.switch_page(page).run)
        for label in urls:
            entry = results[label]["pages"][page]
            entry["errors"] = list(dict.fromkeys(entry["errors"]))[:5]
    return results


def run_apptest_child(urls: dict[str, str], reruns: int, only: list[str] | None = None) -> dict[str, Any]:
    """AppTest timings in a fresh interpreter (cold caches, no import already paid)."""
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as tmp:
        out = Path(tmp.name)
    try:
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--apptest-child",
                        *[f"{label}={url}" for label, url in urls.items()],
                        "--reruns", str(reruns), "--child-output", str(out),
                        *(["--pages", *only] if only else [])], cwd=ROOT, check=True)
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)


# --- real server and browser ---------------------------------------------------------

# The server is started, waited for and stopped by scripts/live_server.py (shared with the
# browser tests); it yields (base address, pid).
SERVER_WAIT_S = 90


def proc_memory_mb(pid: int) -> tuple[float | None, float | None]:
    """(peak, current) resident memory of a process in MB, from /proc (Linux)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None, None
    values = {}
    for line in status.splitlines():
        key, _, rest = line.partition(":")
        if key in {"VmHWM", "VmRSS"}:
            values[key] = int(rest.split()[0]) / 1024  # kB -> MB
    return values.get("VmHWM"), values.get("VmRSS")


COLD = "(cold server)"  # key of the very first visit in the browser timings


def _browser_sign_in(page: Any, base: str) -> None:
    """Sign in as the bench partner through the sign-in page's form (not timed)."""
    page.goto(f"{base}/sign_in", timeout=120_000)
    page.get_by_label("User name").fill(BENCH_USER)
    page.get_by_label("Password", exact=True).fill(_BENCH_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as").first.wait_for(timeout=120_000)
    page.wait_for_function(NOT_RUNNING, timeout=120_000)


def _first_render(browser: Any, address: str, sign_in_at: str | None = None, title: str = "") -> float | None:
    """Seconds from navigation to the page drawn: its first chart or table, and the script finished.

    A page with neither (a form, say) counts as drawn when its title is shown and
    the script has finished.  With ``sign_in_at`` (the base address), the new
    session signs in first and then opens the page from the menu (a new address
    would start a new, public session).
    """
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        if sign_in_at:
            _browser_sign_in(page, sign_in_at)
            link = page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True)
            started = time.perf_counter()
            link.click()
            page.wait_for_url(address, timeout=120_000)
            # The account page is still drawn until the new page's script starts: wait for its title.
            page.locator("[data-testid='stMain'] h1", has_text=title).first.wait_for(timeout=120_000)
        else:
            started = time.perf_counter()
            page.goto(address, wait_until="commit", timeout=120_000)
        page.wait_for_selector(f"{CONTENT}, [data-testid='stMain'] h1", state="visible", timeout=120_000)
        page.wait_for_function(NOT_RUNNING, timeout=120_000)
        if page.locator(CHART_OR_TABLE).count():  # then wait until one of them has drawn
            page.wait_for_selector(CONTENT, state="visible", timeout=120_000)
        return time.perf_counter() - started
    except Exception as err:  # noqa: BLE001 - reported in the table, the run goes on
        print(f"  browser: {address} did not render: {err}", file=sys.stderr)
        return None
    finally:
        context.close()


def browser_timings(urls: dict[str, str], log_dir: Path, only: list[str] | None = None, visits: int = 3
                    ) -> dict[str, tuple[dict[str, float | None], float | None, float | None]]:
    """First render in fresh browser sessions on one server per store, then each server's peak memory.

    The browser first draws the app once on a throwaway server (its own start
    is not the app's).  Then the first visit to each measured server goes to the
    app's address right after it answers its health check (no session has run
    the app there yet): the ``COLD`` figure.  Then every page is opened ``visits`` times on each server,
    each time in a new browser session (no cache, a new streamlit session),
    alternating between the servers, and the median is kept.

    Returns ``{label: (seconds per page, peak MB, current MB)}``.
    """
    from playwright.sync_api import sync_playwright

    pages = [p for p in discover_pages() if not only or Path(p.script).stem in only]
    times: dict[str, dict[str, float | None]] = {label: {} for label in urls}
    with contextlib.ExitStack() as stack:
        servers = {label: stack.enter_context(running_server(url, log_dir / f"server-{label}.log",
                                                             wait_s=SERVER_WAIT_S))
                   for label, url in urls.items()}
        pw = stack.enter_context(sync_playwright())
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            # Warm the browser first, on a throwaway server of its own: the browser's first page
            # (starting its renderer, compiling streamlit's scripts) is neither store's cold
            # visit, and the measured servers stay untouched until their first visit.
            with running_server(next(iter(urls.values())), log_dir / "server-browser-warm-up.log",
                                wait_s=SERVER_WAIT_S) as (warm, _):
                _first_render(browser, f"{warm}/")
            for label, (base, _pid) in servers.items():
                times[label][COLD] = _first_render(browser, f"{base}/")
            for page_info in pages:
                got: dict[str, list[float | None]] = {label: [] for label in urls}
                for _ in range(visits):
                    for label, (base, _pid) in servers.items():
                        got[label].append(_first_render(browser, f"{base}/{page_info.url_path}",
                                                        base if page_info.needs_sign_in else None,
                                                        page_info.title))
                for label, values in got.items():
                    done = [t for t in values if t is not None]
                    times[label][page_info.script] = statistics.median(done) if len(done) == len(values) else None
        finally:
            browser.close()
        memory = {label: proc_memory_mb(pid) for label, (_base, pid) in servers.items()}
    return {label: (times[label], *memory[label]) for label in urls}


# --- briefing pack -----------------------------------------------------------------------

# The UI's button builds every format at once (build_packs); older names are tried after it.
PACK_FUNCTIONS = ("build_packs", "build_pack", "build_briefing_pack", "briefing_pack", "make_pack")


def pack_timing(url: str, count: int | None = None) -> tuple[float | None, str]:
    """Seconds to build a briefing pack for the ten materials (or the first ``count``), or None with the reason."""
    try:
        from rmo_data.briefing import pack  # type: ignore[attr-defined]
    except ImportError:
        return None, "not available (no rmo_data.briefing.pack yet)"
    func = next((getattr(pack, n) for n in PACK_FUNCTIONS if callable(getattr(pack, n, None))), None)
    if func is None:
        return None, "not available (rmo_data.briefing.pack has no pack function)"
    from rmo_data import constants
    from rmo_data.store.engine import make_engine

    params = inspect.signature(func).parameters
    kwargs: dict[str, Any] = {}
    engine = make_engine(url)
    for name in ("materials", "slugs", "material_slugs"):
        if name in params:
            kwargs[name] = list(constants.MATERIAL_SLUGS)[:count]
            break
    try:  # charts drawn for an earlier figure would make this one look faster than a first pack
        from rmo_data.briefing import chart_images  # type: ignore[attr-defined]

        chart_images.clear_cache()
        # The page that offers a pack starts the chart workers while the reader chooses
        # (components/pack_downloads.py): they are running before a click, as here.
        for started in chart_images.warm_up() or ():
            started.result(timeout=60)
    except (ImportError, AttributeError):
        pass
    if "engine" in params:
        kwargs["engine"] = engine
    elif "url" in params:
        kwargs["url"] = url
    try:  # build_packs hands its keyword arguments to collect
        from rmo_data.briefing.content import collect  # type: ignore[attr-defined]

        takes = inspect.signature(collect).parameters
    except (ImportError, AttributeError):
        takes = params
    if "cells" in takes and "criteria" in takes:
        # What the user waits for after clicking: the page that offers the pack already holds the
        # store's salience cells and criteria (components/cached.py) and hands them over, so they
        # are made here before the clock starts, by the same functions.
        import datetime as dt

        from rmo_data.store import salience_reads
        from rmo_data.store.criteria import criteria_table

        kwargs["cells"] = salience_reads.salience_table(engine, as_of=dt.date.today().year)
        kwargs["criteria"] = criteria_table(engine, cells=kwargs["cells"])
    try:
        started = time.perf_counter()
        func(**kwargs)
        return time.perf_counter() - started, f"{func.__name__}({', '.join(kwargs)})"
    except Exception as err:  # noqa: BLE001 - a failing pack is reported, not fatal
        return None, f"failed: {type(err).__name__}: {err}"[:120]
    finally:
        engine.dispose()


# --- table ---------------------------------------------------------------------------------

def figures_from(real: StoreTimings, syn: StoreTimings) -> list[Figure]:
    """Turn both stores' timings into table rows with targets and pass/fail."""
    rows: list[Figure] = []
    rows.append(Figure("store build (python -m rmo_data build / synth)", "s", real.build_s, syn.build_s,
                       f"real ≤ {BUILD_S:g} s; synthetic ≤ {SYNTH_BUILD_S:g} s",
                       _all(real.build_s is not None and real.build_s <= BUILD_S,
                            syn.build_s is None or syn.build_s <= SYNTH_BUILD_S)))
    for page in [COLD, *[p.script for p in discover_pages()]]:
        r = real.browser.get(page)
        s = syn.browser.get(page)
        name = ("first render in browser · app address, first visit after server start" if page == COLD
                else f"first render in browser · {Path(page).stem} (median of fresh sessions)")
        rows.append(Figure(name, "s", r, s, f"real ≤ {FIRST_RENDER_S:g} s",
                           None if r is None else r <= FIRST_RENDER_S,
                           "did not render" if page in real.browser and r is None else ""))
    for page in [p.script for p in discover_pages()]:
        rp = real.apptest.get("pages", {}).get(page, {})
        sp = syn.apptest.get("pages", {}).get(page, {})
        stem = Path(page).stem
        rows.append(Figure(f"first run, cold cache (AppTest) · {stem}", "ms", _ms(rp.get("first")),
                           _ms(sp.get("first")), "info", None,
                           "; ".join(rp.get("errors", []) + sp.get("errors", []))[:100]))
        for name in rp.get("reruns", {}) | sp.get("reruns", {}):
            rt, stt = rp.get("reruns", {}).get(name), sp.get("reruns", {}).get(name)
            r_med = _ms(statistics.median(rt)) if rt else None
            s_med = _ms(statistics.median(stt)) if stt else None
            ok = _all(r_med is not None and r_med <= RERUN_REAL_MS,
                      s_med is not None and s_med <= RERUN_SYN_MS,
                      r_med is not None and s_med is not None and s_med <= max(RERUN_RATIO * r_med, 1.0))
            rows.append(Figure(f"rerun median · {stem} · {name}", "ms", r_med, s_med,
                               f"real ≤ {RERUN_REAL_MS:g}; syn ≤ {RERUN_RATIO:g}× real and ≤ {RERUN_SYN_MS:g}",
                               ok))
            rows.append(Figure(f"rerun p95 · {stem} · {name}", "ms",
                               _ms(percentile(rt, 95)) if rt else None,
                               _ms(percentile(stt, 95)) if stt else None, "info", None))
    for name, r_s, s_s, note, target in (
            ("briefing pack, ten materials", real.pack_s, syn.pack_s, real.pack_note, PACK_S),
            ("briefing pack, one material", real.pack_one_s, syn.pack_one_s, real.pack_one_note, PACK_ONE_S)):
        rows.append(Figure(name, "s", r_s, s_s, f"≤ {target:g} s; synthetic ≤ {PACK_RATIO:g}× real",
                           None if r_s is None else _all(r_s <= target, s_s is None or s_s <= target,
                                                         s_s is None or s_s <= PACK_RATIO * r_s),
                           note if r_s is None else ""))
    rows.append(Figure("server peak memory after opening every page", "MB", real.memory_mb, syn.memory_mb,
                       f"synthetic ≤ {MEMORY_MB:g} MB",
                       None if syn.memory_mb is None else syn.memory_mb <= MEMORY_MB))
    return rows


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def _all(*checks: bool) -> bool:
    return all(checks)


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if unit in {"ms", "MB"} else f"{value:,.2f}"


def print_table(rows: list[Figure]) -> None:
    """A plain fixed-width table: figure, real, synthetic, ratio, target, pass/fail."""
    head = ("figure", "unit", "real", "synthetic", "ratio", "target", "result")
    body = []
    for r in rows:
        result = "—" if r.passed is None else ("pass" if r.passed else "FAIL")
        if r.note:
            result += f" ({r.note})"
        body.append((r.name, r.unit, _fmt(r.real, r.unit), _fmt(r.synthetic, r.unit),
                     "—" if r.ratio is None else f"{r.ratio:.2f}×", r.target, result))
    widths = [max(len(str(x[i])) for x in [head, *body]) for i in range(len(head))]
    widths[5] = min(widths[5], 44)
    line = "  ".join("{:<%d}" % w for w in widths)
    print(line.format(*head))
    print("  ".join("-" * w for w in widths))
    for row in body:
        print(line.format(*row))


def machine() -> dict[str, Any]:
    """Cores, memory and versions, so figures can be read against the machine."""
    mem_gb = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    import streamlit

    return {"cores": os.cpu_count(), "memory_gb": mem_gb, "python": platform.python_version(),
            "streamlit": streamlit.__version__, "platform": platform.platform()}


# --- main ------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    """Build both stores, measure them, print the table (and write JSON); return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 reruns per interaction instead of 10")
    parser.add_argument("--reruns", type=int, default=None, help="reruns per interaction")
    parser.add_argument("--synthetic-url", default=None,
                        help="where to build the synthetic store (default: a temporary SQLite file)")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse the synthetic store at --synthetic-url when it is already built")
    parser.add_argument("--output", type=Path, default=None, help="also write the results as JSON here")
    parser.add_argument("--skip-browser", action="store_true", help="leave out the browser and memory figures")
    parser.add_argument("--skip-pack", action="store_true", help="leave out the briefing-pack figure")
    parser.add_argument("--pages", nargs="+", default=None, metavar="STEM",
                        help="only these pages (file stems, e.g. overview evidence); default: every page")
    parser.add_argument("--materials", type=int, default=100)
    parser.add_argument("--evidence", type=int, default=200_000)
    parser.add_argument("--production", type=int, default=50_000)
    parser.add_argument("--room", action="store_true",
                        help="also run the workshop-room section (bench/room.py) after the table")
    parser.add_argument("--clicks", action="store_true",
                        help="also time clicks on a real server against the floor (bench/clicks.py), per store")
    parser.add_argument("--only", choices=["room", "clicks"], default=None,
                        help="run only this section: 'room' is python bench/room.py, 'clicks' bench/clicks.py")
    parser.add_argument("--apptest-child", nargs="+", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--child-output", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    reruns = args.reruns or (3 if args.quick else 10)

    if args.apptest_child:  # internal: AppTest timings of the stores, in this fresh process
        import logging

        logging.disable(logging.WARNING)  # AppTest's "missing ScriptRunContext" noise
        urls = dict(pair.split("=", 1) for pair in args.apptest_child)
        result = apptest_timings(urls, reruns, args.pages)
        args.child_output.write_text(json.dumps(result))
        return 0

    if args.only == "room":
        return run_room_section(args)
    if args.only == "clicks":
        return run_clicks_section(args, None)

    workdir = Path(tempfile.mkdtemp(prefix="rmo-bench-"))
    bench_users_file(workdir)  # the bench's own partner; the AppTest child and servers inherit it
    real_url = f"sqlite:///{workdir / 'real.sqlite'}"
    syn_url = args.synthetic_url or f"sqlite:///{workdir / 'synthetic.sqlite'}"
    real, syn = StoreTimings(), StoreTimings()
    print(f"Machine: {machine()}", flush=True)
    try:
        print("Building the real store…", flush=True)
        real.build_s = timed_command([sys.executable, "-m", "rmo_data", "build", "--url", real_url])
        if args.reuse and store_ok(syn_url):
            print(f"Reusing the synthetic store at {syn_url}", flush=True)
            syn.build_s = None
        else:
            print("Building the synthetic store…", flush=True)
            syn.build_s = timed_command([sys.executable, "-m", "rmo_data", "synth", "--url", syn_url,
                                         "--materials", str(args.materials), "--evidence", str(args.evidence),
                                         "--production", str(args.production)])
        urls = {"real": real_url, "synthetic": syn_url}
        stores = {"real": real, "synthetic": syn}
        print(f"AppTest reruns ({reruns} per interaction), both stores interleaved…", flush=True)
        for label, result in run_apptest_child(urls, reruns, args.pages).items():
            stores[label].apptest = result
        if not args.skip_browser:
            print("Browser first render (a server per store) and server memory…", flush=True)
            for label, (times, peak, rss) in browser_timings(urls, workdir, args.pages,
                                                             visits=1 if args.quick else 3).items():
                stores[label].browser, stores[label].memory_mb, stores[label].rss_mb = times, peak, rss
        for label, url, timings in (("real", real_url, real), ("synthetic", syn_url, syn)):
            if not args.skip_pack:
                print(f"[{label}] briefing pack…", flush=True)
                timings.pack_s, timings.pack_note = pack_timing(url)
                timings.pack_one_s, timings.pack_one_note = pack_timing(url, 1)
            else:
                timings.pack_note = timings.pack_one_note = "skipped (--skip-pack)"
        rows = figures_from(real, syn)
        print()
        print_table(rows)
        failed = [r.name for r in rows if r.passed is False]
        print(f"\n{len(failed)} figure(s) miss their target." if failed else "\nEvery checked figure meets its target.")
        if args.output:
            args.output.write_text(json.dumps({
                "machine": machine(), "reruns": reruns,
                "figures": [{**asdict(r), "ratio": r.ratio} for r in rows],
                "raw": {"real": asdict(real), "synthetic": asdict(syn)},
            }, indent=2, default=str))
            print(f"Results written to {args.output}")
        if args.clicks:
            for label, url in (("real", real_url), ("synthetic", syn_url)):
                print(f"\n[{label}] clicks on a real server (bench/clicks.py)…", flush=True)
                run_clicks_section(args, url)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.room:
        return run_room_section(args)
    return 0


def run_room_section(args: argparse.Namespace) -> int:
    """The workshop room (bench/room.py) twice: one server on SQLite, then two servers on PostgreSQL.

    Its defaults (forty participants), or a smaller room with ``--quick``.  The second
    room splits the phones between two servers on one throw-away PostgreSQL store, so a
    submission made on server 2 must reach the projector on server 1 (the data version).
    """
    from bench import room

    base = ["--participants", "10", "--spread", "15", "--sequential", "3"] if args.quick else []
    status = 0
    for label, extra, stem in (("one server, SQLite", [], "room"),
                               ("two servers, PostgreSQL", ["--servers", "2", "--postgres", "--skip-static"],
                                "room-2-servers")):
        room_args = base + extra
        if args.output:
            room_args += ["--output", str(args.output.with_name(f"{args.output.stem}-{stem}.json"))]
        print(f"\nWorkshop room, {label} (bench/room.py {' '.join(room_args)})…", flush=True)
        status = room.main(room_args) or status
    return status


def run_clicks_section(args: argparse.Namespace, url: str | None) -> int:
    """``bench/clicks.py`` in its own process (it sets its own users file), on ``url`` or a fresh store."""
    command = [sys.executable, str(ROOT / "bench" / "clicks.py"), "--rounds", "5" if args.quick else "15"]
    if url:
        command += ["--url", url]
    return subprocess.run(command, cwd=ROOT, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
