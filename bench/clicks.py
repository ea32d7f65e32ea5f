"""What users wait for on the real path: a real server, a real Chromium, beside Streamlit's own floor.

Usage (from the repository root; builds its own copy of the real store)::

    python bench/clicks.py                      # every page, 10 interleaved rounds
    python bench/clicks.py --rounds 20 --url sqlite:////tmp/real.sqlite
    python bench/clicks.py --pages prioritisation leverage_cards --rounds 5
    python bench/clicks.py --profile /tmp/prof  # also py-spy the app server (raw stacks)
    python bench/clicks.py --trace /tmp/trace   # one more round under a Chromium trace, summed up

Two servers are started as users start them: the app (``python scripts/serve.py``,
signed in as a partner through the sign-in form, so later tabs are signed in by
the cookie) and the floor page (``bench/floor_app.py``, one slider, ``streamlit
run`` on Streamlit's stock settings); a third, ``bench/floor_charts_app.py``, the
floor plus two Altair charts and a table, is a reference for first renders only
(what Streamlit itself takes to draw the kinds of element the Overview shows).
Two things are measured, each interleaved
with the floor so a busy moment on the shared machine weighs on both alike:

* **First render** of every page a partner opens: a new tab at the page's address,
  from the navigation's start to the end of the last run (the cookie's sign-in
  included); beside a new tab of the floor page.  Static files are cached, as for
  anyone who has opened the app before.
* **Clicks**: the interactions ``bench/run.py``'s rerun table lists, made with real
  input events in one tab per page: on every page the sidebar's focus material (a
  selectbox: type, Enter), materials in view and value-chain stages (multiselects:
  add one with Enter, take it off with Backspace); on Prioritisation a weight (an
  arrow key), the ranking's "Open leverage cards" button and the menu link back; on
  Leverage cards a search (type, Enter) and the category filter.  Before each page's
  group the floor's slider is moved once.

Per click it records the wall time from the last input event (key press or click) to
Streamlit's ``script_finished`` message (read from the websocket, as
``tests/browser/conftest.py`` WATCH_RUNS does), the bytes the server sent over the
websocket, and the server process's CPU-seconds (utime + stime from
``/proc/<pid>/stat``, read before the input and once the server has gone quiet
after the run).  It prints the medians, their ratio to the floor, and whether the
issue's targets are met; ``--output`` writes them as JSON.  ``main(argv)``
returns what was measured.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a plain script from anywhere

from scripts.live_server import CHROMIUM, CHROMIUM_ARGS, running_server

USER = "clicks.partner"
PASSWORD = secrets.token_urlsafe(24)  # made afresh each run, never printed
TICK = os.sysconf("SC_CLK_TCK")
QUIET_S = 0.15  # the server counts as done once its CPU time has not moved for this long
# The times come from timestamps taken in the page, so how often the bench looks does not change them;
# a fixed interval (not animation frames) also works in a tab Chromium has put in the background.
POLL_MS = 25
TIMEOUT_MS = int(os.environ.get("RMO_CLICKS_TIMEOUT_MS", 120_000))

# Installed before Streamlit's scripts: counts runs that ended (ForwardMsg.script_finished, field 6,
# except FINISHED_EARLY_FOR_RERUN = 2), when the last ended, the bytes received, and the last key
# press.  Field numbers are Streamlit 1.67's (streamlit/proto/ForwardMsg_pb2.py).
WATCH = """
(() => {
  const r = window.__clk = {input: 0, sent: 0, first: 0, finished: 0, runs: 0, bytes: 0};
  const varint = (b, i) => {
    let x = 0, s = 0;
    for (;;) { const c = b[i++]; x += (c & 0x7f) * 2 ** s; s += 7; if (!(c & 0x80)) return [x, i]; }
  };
  const received = (event) => {
    try {
      const d = event.data;
      const b = d instanceof ArrayBuffer ? new Uint8Array(d) : null;
      if (!b) return;
      r.bytes += b.length;
      if (r.first < r.sent) r.first = performance.now();  // the server's first answer to the request
      let i = 0;
      while (i < b.length) {
        let t, v; [t, i] = varint(b, i);
        const f = Math.floor(t / 8), wt = t & 7;
        if (wt === 0) { [v, i] = varint(b, i); if (f === 6 && v !== 2) { r.finished = performance.now(); r.runs += 1; console.timeStamp('clk-finished'); } }
        else if (wt === 2) { [v, i] = varint(b, i); i += v; }
        else if (wt === 1) { i += 8; } else if (wt === 5) { i += 4; } else { break; }
      }
    } catch (e) { /* never break the page */ }
  };
  // The last input event before a run: a key press, or a click on a button or link.
  // console.timeStamp marks the same moments in a Chromium trace (bench/browser_trace.py).
  const input = () => { r.input = performance.now(); console.timeStamp('clk-input'); };
  document.addEventListener('keydown', input, true);
  document.addEventListener('click', input, true);
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function () {
    if (!this.__clkWatched) { this.addEventListener('message', received); this.__clkWatched = true; }
    if (r.sent < r.input) r.sent = performance.now();  // the first message out after the input: the rerun request
    return send.apply(this, arguments);
  };
})();
"""
STATE = ("() => [window.__clk.runs, document.querySelector('[data-testid=\"stApp\"]')"
         ".getAttribute('data-test-script-state')]")
IDLE = ("(runs) => window.__clk.runs > runs && document.querySelector('[data-testid=\"stApp\"]')"
        ".getAttribute('data-test-script-state') === 'notRunning'")


@dataclass
class Interaction:
    """One kind of click: where it happens and the input events that make it."""

    name: str
    page: Any
    pid: int
    act: Callable[[int], None]  # does click number i
    after: Callable[[], None] | None = None  # tidies up after a click, outside the figures (e.g. Escape)
    wall_ms: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)
    bytes_: list[int] = field(default_factory=list)
    to_send_ms: list[float] = field(default_factory=list)  # input → the rerun request leaves the browser
    to_first_ms: list[float] = field(default_factory=list)  # input → the server's first answer arrives
    trace: dict[str, float] | None = None  # the traced click's main-thread figures (``--trace``)
    done: int = 0  # clicks made so far, warm-up included: click n of this kind is act(n)

    def figures(self) -> tuple[list[Any], ...]:
        """Every list of per-click figures."""
        return self.wall_ms, self.cpu_s, self.bytes_, self.to_send_ms, self.to_first_ms

    def clear(self) -> None:
        """Forget the figures so far (the warm-up's)."""
        for figures in self.figures():
            figures.clear()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (its threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def _quiet_cpu(pid: int) -> float:
    """The process's CPU time once it has stopped moving for ``QUIET_S`` (the run's tail included)."""
    last, since = cpu_seconds(pid), time.monotonic()
    while time.monotonic() - since < QUIET_S:
        time.sleep(0.03)
        now = cpu_seconds(pid)
        if now != last:
            last, since = now, time.monotonic()
    return last


def _errors(page: Any, where: str) -> None:
    """A page that shows an exception measures nothing: stop the run loudly."""
    shown = page.locator("[data-testid='stException']").count()
    if shown:
        raise RuntimeError(f"{where}: the page shows {shown} exception(s); the figures would be wrong")


def click(item: Interaction) -> None:
    """Do ``item``'s next click and record its wall time, server CPU and bytes.

    Each kind counts its own clicks, so one that is made more often than once a round
    (the floor) still goes back and forth instead of running into the slider's end.
    """
    page, i = item.page, item.done
    item.done += 1
    runs, sent = page.evaluate("() => [window.__clk.runs, window.__clk.bytes]")
    page.bring_to_front()  # a tab in the background may be throttled
    cpu0 = _quiet_cpu(item.pid)
    try:
        item.act(i)
        page.wait_for_function(IDLE, arg=runs, polling=POLL_MS, timeout=TIMEOUT_MS)
    except Exception:
        shot = ROOT / "test-output" / "clicks-failed.png"
        shot.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        print(f"{item.name}: click {i} failed or its run never finished; the page is in {shot}",
              file=sys.stderr, flush=True)
        raise
    wall, to_send, to_first, got = page.evaluate(
        "() => { const r = window.__clk; return [r.finished - r.input, r.sent - r.input, r.first - r.input, r.bytes]; }")
    item.cpu_s.append(_quiet_cpu(item.pid) - cpu0)
    item.wall_ms.append(float(wall))
    item.bytes_.append(int(got) - int(sent))
    if 0 <= to_send <= to_first <= wall:  # a click that sent nothing (a link) has no such moments
        item.to_send_ms.append(float(to_send)), item.to_first_ms.append(float(to_first))
    _errors(page, item.name)
    if item.after is not None:
        item.after()


def traced_click(browser: Any, item: Interaction, folder: Path) -> None:
    """``item``'s next click under a Chromium trace, kept in ``folder`` and summed up in ``item.trace``.

    The tracer slows the browser, so this click's own figures are dropped: only the trace is kept.
    """
    from bench import browser_trace

    kept = [(figures, len(figures)) for figures in item.figures()]
    browser.start_tracing(page=item.page, categories=list(browser_trace.CATEGORIES))
    try:
        click(item)
    finally:
        raw = browser.stop_tracing()
    for figures, n in kept:
        del figures[n:]
    (folder / f"{re.sub(r'[^a-z0-9]+', '-', item.name.lower()).strip('-')}.json").write_bytes(raw)
    loaded = json.loads(raw)
    item.trace = browser_trace.summarise(loaded["traceEvents"] if isinstance(loaded, dict) else loaded)


def _new_page(context: Any) -> Any:
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def _new_context(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(WATCH)
    return context


def _settle(page: Any, pid: int) -> None:
    """Until the page has run at least once and neither it nor the server is busy (a rerun included)."""
    runs = 0
    while True:
        page.wait_for_function(IDLE, arg=runs, polling=POLL_MS, timeout=TIMEOUT_MS)
        runs = page.evaluate("() => window.__clk.runs")
        _quiet_cpu(pid)
        # A run that asks for another (a sign-in from the cookie, a page hand-over) has started by now.
        now, state = page.evaluate(STATE)
        if now == runs and state == "notRunning":
            return


def sign_in(context: Any, base: str, pid: int) -> None:
    """Sign the bench partner in through the form; the cookie signs in every later tab of ``context``."""
    page = _new_page(context)
    page.goto(f"{base}/sign_in", timeout=TIMEOUT_MS)
    page.get_by_label("User name").fill(USER)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as").first.wait_for()
    _settle(page, pid)
    page.close()


def first_render(context: Any, url: str, pid: int) -> tuple[float, float, int]:
    """A new tab at ``url``: ms from navigation to the last run's end, server CPU-seconds, bytes."""
    cpu0 = _quiet_cpu(pid)
    page = _new_page(context)
    try:
        page.goto(url, timeout=TIMEOUT_MS)
        _settle(page, pid)
        _errors(page, url)
        # performance.now() counts from the navigation's start in the new document.
        wall, got = page.evaluate("() => [window.__clk.finished, window.__clk.bytes]")
        return float(wall), cpu_seconds(pid) - cpu0, int(got)
    finally:
        page.close()


# --- input events, as a person makes them --------------------------------------------------------

def _arrows(slider: Any) -> Callable[[int], None]:
    """Click i moves the slider one step right (even i) or back left (odd i)."""
    def act(i: int) -> None:
        slider.focus()
        slider.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
    return act


SEARCHES = ("audit", "union", "traceability", "grievance")


def _search(box: Any) -> Callable[[int], None]:
    def act(i: int) -> None:
        box.fill(SEARCHES[i % len(SEARCHES)])
        box.press("Enter")
    return act


def _pick(page: Any, box: Any, options: Sequence[str]) -> Callable[[int], None]:
    """A selectbox: open it, type option i's label, Enter (the key press that starts the run)."""
    def act(i: int) -> None:
        box.locator("input").click()
        page.keyboard.type(options[i % len(options)])
        page.get_by_role("option", name=options[i % len(options)], exact=True).wait_for(timeout=TIMEOUT_MS)
        page.keyboard.press("Enter")
    return act


def _toggle_one(page: Any, box: Any, option: str) -> Callable[[int], None]:
    """A multiselect: click i adds ``option`` (even i: type it, click it) or takes it off again (Backspace)."""
    def act(i: int) -> None:
        # Mid-screen first: near the sidebar's bottom edge the menu opened off screen, and the scroll
        # that the option's click then made closed it, so nothing was picked and no run came.
        box.evaluate("(el) => el.scrollIntoView({block: 'center'})")
        box.locator("input").click()
        if i % 2 == 0:
            page.keyboard.type(option)
            # A click on the option, not Enter: on a loaded machine the menu can show the option before
            # it is highlighted, and Enter then picked nothing (the run never came).
            page.get_by_role("option", name=option, exact=True).click(timeout=TIMEOUT_MS)
        else:
            page.keyboard.press("Backspace")
    return act


def _press_escape(page: Any) -> Callable[[], None]:
    return lambda: page.keyboard.press("Escape")  # closes an open menu; starts no run


def _button(locator: Any) -> Callable[[int], None]:
    return lambda i: locator.click()


# --- the interactions of every page ---------------------------------------------------------------

# Each page's tab opens on this view, so the sidebar clicks move between two views that are
# both full pages: all materials but zinc (+ zinc), processing only (+ mining).
START_VIEW = ("materials=aluminium,graphite,iron_steel,magnesium,manganese,molybdenum,nickel,ree,tantalum"
              "&stages=processing")


def page_interactions(page: Any, pid: int, title: str) -> list[Interaction]:
    """The typical interactions on the app page open in ``page`` (titled ``title`` in the menu)."""
    from rmo_data import constants
    from rmo_data.access import roles

    sidebar = page.get_by_test_id("stSidebar")
    main = page.get_by_test_id("stMain")
    focus = [constants.MATERIAL_LABELS[s] for s in ("nickel", "zinc", "graphite")]
    # A page that draws no shared filters (PageSpec.filters, e.g. Sources & method) has no sidebar clicks.
    filters = next(spec.filters for spec in roles.PAGES if spec.title == title)
    items = [] if not filters else [
        Interaction(f"{title}: focus material", page, pid,
                    _pick(page, sidebar.get_by_test_id("stSelectbox").filter(has_text="Focus material"), focus),
                    _press_escape(page)),
        Interaction(f"{title}: materials in view", page, pid,
                    _toggle_one(page, sidebar.get_by_test_id("stMultiSelect").filter(has_text="Materials in view"),
                                constants.MATERIAL_LABELS["zinc"]), _press_escape(page)),
        Interaction(f"{title}: stage filter", page, pid,
                    _toggle_one(page, sidebar.get_by_test_id("stMultiSelect").filter(has_text="Value-chain stages"),
                                constants.STAGE_LABELS["mining"]), _press_escape(page)),
    ]
    if title == "Prioritisation":
        items.append(Interaction(f"{title}: move a weight", page, pid, _arrows(main.get_by_role("slider").first)))
        # The ranking's button opens the cards of the top material; the menu brings the page back.
        items.append(Interaction(f"{title}: open the top material's cards", page, pid,
                                 _button(main.get_by_role("button", name=re.compile("^Open leverage cards for")))))
        items.append(Interaction("menu: back to Prioritisation", page, pid,
                                 _button(sidebar.get_by_test_id("stSidebarNav").get_by_role(
                                     "link", name=title, exact=True))))
    if title == "Leverage cards":
        items.append(Interaction(f"{title}: search the action text", page, pid,
                                 _search(main.get_by_label("Search action text"))))
        # The category is a pill (with its count in the label): a click puts it on, the next takes it off.
        peers = constants.LEVERAGE_CATEGORY_LABELS["peers"]
        items.append(Interaction(f"{title}: category filter", page, pid,
                                 _button(main.get_by_role("button", name=re.compile(
                                     rf"^{re.escape(peers)} \(\d+\)$")))))
    return items


def users_file(folder: Path) -> None:
    """This run's partner in a users file of its own; the app server inherits RMO_USERS_FILE."""
    from rmo_data.access import accounts

    path = folder / "users.toml"
    accounts.add_user(path, USER, "partner", PASSWORD, replace_existing=True)
    os.environ[accounts.USERS_ENV] = str(path)


def app_pages(only: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """(address, menu title) of every page a partner opens, in menu order; the sign-in form left out.

    ``only`` names pages by their file name (``overview``, ``prioritisation``).
    """
    return [("" if p.default else p.url_path, p.title)  # the default page lives at "/", not at its name
            for p in _partner_pages() if not only or p.url_path in only]


def _partner_pages() -> list[Any]:
    """The router's pages a partner opens (``rmo_data.access.roles``), in menu order, without the sign-in form."""
    from rmo_data.access import roles

    return [p for p in roles.pages_for(roles.PARTNER, ROOT) if p.path != "pages/sign_in.py"]


def _py_spy(pid: int, out: Path) -> subprocess.Popen[bytes]:
    """py-spy (installed by hand, for profiling only) sampling ``pid`` into collapsed stacks."""
    return subprocess.Popen(["py-spy", "record", "--pid", str(pid), "--format", "raw", "--rate", "250",
                             "--output", str(out), "--nonblocking", "--threads"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@dataclass
class Results:
    """What one run measured: the clicks (floor first) and the first renders (floor first)."""

    clicks: list[Interaction]
    renders: list[Interaction]


def measure(db_url: str, rounds: int, workdir: Path, profile: Path | None = None,
            pages: Sequence[str] | None = None, render_rounds: int | None = None,
            trace: Path | None = None) -> Results:
    """Start both servers and the browser, warm up, then interleaved rounds of first renders and clicks."""
    from playwright.sync_api import sync_playwright

    users_file(workdir)
    with contextlib.ExitStack() as stack:
        app_base, app_pid = stack.enter_context(running_server(db_url, workdir / "app.log"))
        # Run from the work folder: no .streamlit/config.toml there, so the floor has stock settings.
        floor_base, floor_pid = stack.enter_context(
            running_server("sqlite:///unused.sqlite", workdir / "floor.log", script="bench/floor_app.py",
                           cwd=workdir))
        charts_base, charts_pid = stack.enter_context(
            running_server("sqlite:///unused.sqlite", workdir / "floor_charts.log",
                           script="bench/floor_charts_app.py", cwd=workdir))
        pw = stack.enter_context(sync_playwright())
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        stack.callback(browser.close)
        floor_context, app_context = _new_context(browser), _new_context(browser)
        charts_context = _new_context(browser)
        sign_in(app_context, app_base, app_pid)
        listed = app_pages(pages)

        # First renders: a new tab per page (signed in by the cookie, static files cached), interleaved.
        # (figures, address, browser context): the floor's tab, then each page's.
        tabs = [(Interaction("floor: first render", None, floor_pid, lambda i: None), floor_base, floor_context),
                (Interaction(CHARTS_FLOOR, None, charts_pid, lambda i: None), charts_base, charts_context)]
        tabs += [(Interaction(f"{title}: first render", None, app_pid, lambda i: None), f"{app_base}/{path}",
                  app_context) for path, title in listed]
        renders = [item for item, _, _ in tabs]
        for r in range(-1, render_rounds if render_rounds is not None else rounds):
            for item, url, context in tabs:
                wall, cpu, got = first_render(context, url, item.pid)
                if r >= 0:  # round -1 warms caches and imports
                    item.wall_ms.append(wall), item.cpu_s.append(cpu), item.bytes_.append(got)

        floor_page = _new_page(floor_context)
        floor_page.goto(floor_base, timeout=TIMEOUT_MS)
        _settle(floor_page, floor_pid)
        floor = Interaction("floor: move the slider", floor_page, floor_pid,
                            _arrows(floor_page.get_by_role("slider").first))
        groups: list[list[Interaction]] = []
        for path, title in listed:
            page = _new_page(app_context)
            page.goto(f"{app_base}/{path}?{START_VIEW}", timeout=TIMEOUT_MS)
            _settle(page, app_pid)
            groups.append(page_interactions(page, app_pid, title))
        everything = [floor, *(i for g in groups for i in g)]
        spy = None
        # Two warm-up rounds first (they fill caches, not figures), in the same order: a group's
        # clicks depend on the one before (the "Open leverage cards" button leaves the page).
        for i in range(-2, rounds):
            if i == 0:
                for item in everything:
                    item.clear()
                spy = _py_spy(app_pid, profile / "app.raw.txt") if profile else None
            # The floor is clicked before each page's group: sampled as often, at the same moments.
            for group in groups:
                click(floor)
                for item in group:
                    click(item)
        if trace is not None:  # one more round, traced, after the measured ones
            for group in groups:
                traced_click(browser, floor, trace)
                for item in group:
                    traced_click(browser, item, trace)
        peak = [line.split()[1] for line in Path(f"/proc/{app_pid}/status").read_text().splitlines()
                if line.startswith("VmHWM:")]
        print(f"app server peak memory (VmHWM): {int(peak[0]) / 1024:.0f} MB" if peak else "", flush=True)
        if spy is not None:
            spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT, not on SIGTERM
            spy.wait(timeout=30)
    return Results(everything, renders)


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def print_table(items: list[Interaction], heading: str) -> list[dict[str, Any]]:
    """One row per interaction: medians and their ratio to the floor (the first row); returns the rows."""
    floor = items[0]
    f_wall, f_cpu = _median(floor.wall_ms), _median(floor.cpu_s)
    print(f"\n{heading} · load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} · "
          f"{len(floor.wall_ms)} samples of the floor · {os.cpu_count()} cores")
    print(f"{'interaction':52} {'wall ms':>8} {'p90':>6} {'CPU s':>6} {'KB sent':>8} "
          f"{'wall/floor':>10} {'CPU/floor':>9} {'→ sent':>7} {'→ 1st':>6}")
    rows = []
    for item in items:
        wall, cpu = _median(item.wall_ms), _median(item.cpu_s)
        p90 = statistics.quantiles(item.wall_ms, n=10)[-1] if len(item.wall_ms) > 1 else float("nan")
        kb = _median([float(b) for b in item.bytes_]) / 1024
        rows.append({"interaction": item.name, "wall_ms": wall, "p90_ms": p90, "cpu_s": cpu, "kb_sent": kb,
                     "wall_ratio": wall / f_wall, "cpu_ratio": cpu / f_cpu if f_cpu else float("nan"),
                     "to_send_ms": _median(item.to_send_ms), "to_first_ms": _median(item.to_first_ms)})
        print(f"{item.name:52} {wall:8.0f} {p90:6.0f} {cpu:6.3f} {kb:8.1f} {wall / f_wall:10.1f} "
              f"{rows[-1]['cpu_ratio']:9.1f} {rows[-1]['to_send_ms']:7.0f} {rows[-1]['to_first_ms']:6.0f}")
    return rows


def print_traces(items: list[Interaction]) -> list[dict[str, Any]]:
    """The traced round: per click, the page's main thread between the input and the run's end (ms)."""
    from bench import browser_trace

    traced = [item for item in items if item.trace]
    if not traced:
        return []
    print("\nTraced round (Chromium trace, the page's main thread from the input to the run's end, ms)")
    keys = browser_trace.FIGURES
    print(f"{'interaction':52} " + " ".join(f"{k.removesuffix('_ms').split()[0]:>9}" for k in keys))
    rows = []
    for item in traced:
        assert item.trace is not None
        rows.append({"interaction": item.name, **item.trace})
        print(f"{item.name:52} " + " ".join(f"{item.trace[k]:9.0f}" for k in keys))
    return rows


def verdict(clicks: list[dict[str, Any]], renders: list[dict[str, Any]]) -> list[str]:
    """The issue's targets, each line saying met or not (figures, not a test: they move with the load)."""
    app = clicks[1:]
    worst_wall = max(app, key=lambda r: r["wall_ms"])
    worst_cpu = max(app, key=lambda r: r["cpu_s"])
    pages = [r for r in renders if not r["interaction"].startswith("floor")]
    worst_render = max(pages, key=lambda r: r["wall_ratio"])
    charts = next((r for r in renders if r["interaction"] == CHARTS_FLOOR), None)
    return [
        f"{'met' if worst_wall['wall_ms'] <= WALL_TARGET_MS else 'NOT met'}: every click's median wall "
        f"≤ {WALL_TARGET_MS:g} ms (slowest {worst_wall['interaction']}: {worst_wall['wall_ms']:.0f} ms)",
        f"{'met' if round(worst_cpu['cpu_s'], 3) <= CPU_TARGET_S else 'NOT met'}: server CPU ≤ {CPU_TARGET_S:g} s a click "
        f"(highest {worst_cpu['interaction']}: {worst_cpu['cpu_s']:.3f} s, {worst_cpu['cpu_ratio']:.1f}× the floor)",
        f"{'met' if worst_render['wall_ratio'] <= RENDER_RATIO else 'NOT met'}: first render ≤ {RENDER_RATIO:g}× "
        f"the floor's (slowest {worst_render['interaction']}: {worst_render['wall_ratio']:.2f}×)",
        *([f"for reading it: Streamlit's stock page with two charts and a table takes {charts['wall_ratio']:.2f}× "
           "the floor's first render (bench/floor_charts_app.py)"] if charts else []),
    ]


CHARTS_FLOOR = "floor + two charts and a table: first render"  # bench/floor_charts_app.py, a reference
WALL_TARGET_MS = 250.0
CPU_TARGET_S = 0.15
RENDER_RATIO = 1.2


def main(argv: list[str] | None = None) -> Results:
    """Parse options, build the store unless given, measure and print; returns what was measured."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="rounds of clicks (and of first renders)")
    parser.add_argument("--render-rounds", type=int, default=None, help="rounds of first renders (default: --rounds)")
    parser.add_argument("--url", default=None, help="a built store (default: build a fresh real store)")
    parser.add_argument("--pages", nargs="+", default=None, metavar="URL_PATH",
                        help="only these pages (their address, e.g. prioritisation leverage_cards)")
    parser.add_argument("--profile", type=Path, default=None, help="py-spy the app server into this folder")
    parser.add_argument("--output", type=Path, default=None, help="also write the tables as JSON here")
    parser.add_argument("--trace", type=Path, default=None,
                        help="one more round under a Chromium trace, kept in this folder and summed up")
    args = parser.parse_args(argv)
    known = [p.url_path for p in _partner_pages()]
    unknown = sorted(set(args.pages or ()) - set(known))
    if unknown:
        parser.error(f"no such page: {', '.join(unknown)} (the pages are: {' '.join(known)})")
    workdir = Path(tempfile.mkdtemp(prefix="rmo-clicks-"))
    try:
        url = args.url
        if url is None:
            url = f"sqlite:///{workdir / 'real.sqlite'}"
            subprocess.run([sys.executable, "-m", "rmo_data", "build", "--url", url], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL)
        for folder in (args.profile, args.trace):
            if folder:
                folder.mkdir(parents=True, exist_ok=True)
        results = measure(url, args.rounds, workdir, args.profile, args.pages, args.render_rounds, args.trace)
        renders = print_table(results.renders, "First render (a new tab at the page's address, signed in)")
        clicks = print_table(results.clicks, "Clicks (input event → script finished)")
        traces = print_traces(results.clicks)
        lines = verdict(clicks, renders)
        print("\n" + "\n".join(lines))
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (after)")
        if args.output:
            args.output.write_text(json.dumps({"renders": renders, "clicks": clicks, "traces": traces, "verdict": lines},
                                              indent=1))
        return results
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
