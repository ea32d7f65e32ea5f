"""Benchmark of a workshop room: forty phones, one projector, one server.

Usage (from the repository root; also a section of ``python bench/run.py --room``)::

    python bench/room.py                      # 40 participants over a minute, then the CPU passes
    python bench/room.py --participants 10 --spread 15 --sequential 4 --skip-nginx   # a smoke run
    python bench/room.py --profile            # also py-spy profiles of the server (pip install py-spy)
    python bench/room.py --servers 2 --postgres   # the room split across two servers on one PostgreSQL

What it does, in one run:

1. Builds a fresh store in a temporary folder (``python -m rmo_data build --url``, as
   ``bench/run.py`` does), writes a users file with one partner (``python -m rmo_data users
   add``), creates a workshop of all ten materials and all criteria with
   ``lifecycle.create_workshop`` directly on that store, and starts one server as users start
   it (``python scripts/serve.py``, ``scripts/live_server.py``).
2. The facilitator: one headless Chromium signs in through the form and opens the
   presentation view (``/workshop?ws_mode=run&ws=CODE&present=1``), which then polls by itself
   as a projector does.  A MutationObserver in the page stamps every change of the
   "Submitted" metric, at the next animation frame (``OBSERVER_JS``): no sleeps.
3. The room: ``--participants`` clients of Streamlit's websocket protocol
   (``bench/st_client.py``), their starts spread over ``--spread`` seconds; each opens the
   join link, enters a name, submits weights and revises them once, with human pauses
   between, while its page's status fragment polls as a phone's would.  Each interaction is
   timed from sending to ``script_finished``.
4. Server CPU per interaction kind, from ``/proc/PID/stat`` (utime + stime, all threads of
   the one process): a sequential pass (one participant at a time, fragment timers off,
   the projector closed, each reading taken once the server is quiet again), then the same
   pass on ``bench/trivial_app.py`` started the same way, with the same client.  The
   background costs are measured apart: the projector alone, and the room's open pages
   polling with no one clicking.
5. Peak memory (VmHWM), then the static files: 40 concurrent first visits straight to the
   server and through nginx with ``deploy/nginx.conf`` (``bench/room_static.py``).

Figures on a shared machine are noisy: the load average is printed beside them.

Long because: one run's set-up, room, CPU passes and report read best in one place
(the static files, the profile and the client are modules of their own).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a plain script from anywhere

from bench.st_client import RunResult, StreamlitClient, WidgetMissing  # noqa: E402
from scripts import throwaway_pg  # noqa: E402
from scripts.live_server import CHROMIUM, CHROMIUM_ARGS, running_server  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

FACILITATOR = "bench.facilitator"
PAGE = "workshop"
FORM, NAME_KEY, SUBMIT_KEY = "ws_form", "ws_name", "ws_submit"
KINDS = ("open", "name", "submit", "revise")
SERVER_WAIT_S = 90
PROJECTOR_ALONE_S = 15.0  # three of its 5-second refreshes
ROOM_IDLE_S = 10.0  # every phone open and polling, no one clicking
ROOM_LIMIT_S = 300.0  # after the last arrival: a participant not done by then is an error
PROGRESS_EVERY_S = 10.0
SHOTS = ROOT / "test-output" / "screenshots"

# Targets of the brief.
LOST_MAX, ERRORS_MAX = 0, 0
VISIBLE_P95_S = 2.0
INTERACTION_P95_MS = 500.0
CPU_OVER_TRIVIAL_S = 0.1
MEMORY_MB = 1200.0

# Stamps each change of the "Submitted" metric: when the DOM changed and the next frame after it.
OBSERVER_JS = """
() => {
  if (window.__submitted) return;
  const log = window.__submitted = [];
  let last = null;
  const read = () => {
    for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
      const label = m.querySelector('[data-testid="stMetricLabel"]');
      if (label && label.textContent.trim().startsWith('Submitted')) {
        const v = m.querySelector('[data-testid="stMetricValue"]');
        return v ? v.textContent.trim() : null;
      }
    }
    return null;
  };
  const check = () => {
    const v = read();
    if (v === null || v === last) return;
    last = v;
    const dom = Date.now();
    requestAnimationFrame(() => log.push({value: v, dom: dom, frame: Date.now()}));
  };
  new MutationObserver(check).observe(document.body, {subtree: true, childList: true, characterData: true});
  check();
}
"""
SUBMITTED_SHOWN_JS = """
() => [...document.querySelectorAll('[data-testid="stMetric"]')].some(m => {
  const l = m.querySelector('[data-testid="stMetricLabel"]');
  return l && l.textContent.trim().startsWith('Submitted');
})
"""


# --- the machine ---------------------------------------------------------------------------------

def cpu_seconds(pid: int) -> float:
    """utime + stime of the whole process (every thread), in seconds, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_memory_mb(pid: int) -> float | None:
    """VmHWM (peak resident set) of the process in MB."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as /proc/loadavg gives them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


async def quiet_cpu(pid: int, quiet_s: float = 0.08, max_s: float = 1.5, idle_share: float = 0.05) -> float:
    """The server's CPU seconds once it used at most ``idle_share`` of a core over the last ``quiet_s``.

    Messages still being sent after ``script_finished`` belong to the interaction, so its
    reading is taken when the process has gone quiet, not at the finish (at most ``max_s``
    of watching).  With the default window no clock tick (10 ms) may pass in 80 ms.
    """
    start = time.monotonic()
    samples = [(start, cpu_seconds(pid))]
    while time.monotonic() - start < max_s:
        await asyncio.sleep(0.02)
        now = time.monotonic()
        samples.append((now, cpu_seconds(pid)))
        older = [cpu for t, cpu in samples if t <= now - quiet_s]
        if older and samples[-1][1] - older[-1] <= idle_share * quiet_s:
            break
    return samples[-1][1]


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-pct * len(ordered) // 100))))
    return ordered[rank - 1]


# --- set-up ---------------------------------------------------------------------------------------

def build_store(url: str) -> None:
    """A fresh store, built from the repository's files as ``python -m rmo_data build`` does."""
    done = subprocess.run([sys.executable, "-m", "rmo_data", "build", "--url", url], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    if done.returncode:  # its progress lines are noise, but a failure must say why
        raise RuntimeError(f"the store build failed: {done.stderr[-2000:]}")


def add_partner(users_file: Path, name: str) -> str:
    """Add a partner with ``python -m rmo_data users add`` (README) and return the password made for it."""
    password = secrets.token_urlsafe(24)
    subprocess.run([sys.executable, "-m", "rmo_data", "users", "add", name, "--role", "partner",
                    "--password-stdin", "--file", str(users_file)], cwd=ROOT, check=True,
                   input=f"{password}\n", text=True, stdout=subprocess.DEVNULL)
    return password


def create_room(url: str, name: str) -> tuple[str, list[str]]:
    """A workshop of every material and criterion on the store at ``url``: its code and criteria."""
    from rmo_data import constants
    from rmo_data.store.engine import make_engine
    from rmo_data.workshops import lifecycle

    engine = make_engine(url)
    try:
        _, code = lifecycle.create_workshop(name, constants.MATERIAL_SLUGS, constants.CRITERION_SLUGS,
                                            engine=engine, actor=FACILITATOR)
    finally:
        engine.dispose()
    return code, list(constants.CRITERION_SLUGS)


# --- the projector ----------------------------------------------------------------------------------

async def open_projector(browser: Any, base: str, code: str, password: str) -> Any:
    """Sign the facilitator in through the form, open the presentation view, start the observer."""
    from rmo_data.access import session_route

    context = await browser.new_context(viewport={"width": 1920, "height": 1080})
    page = await context.new_page()
    page.set_default_timeout(120_000)
    await page.goto(f"{base}/sign_in")
    await page.get_by_label("User name").fill(FACILITATOR)
    await page.get_by_label("Password", exact=True).fill(password)
    # The cookie is set by the answer to the page's post: only then does a new address keep the sign-in.
    async with page.expect_response(lambda r: r.url.endswith(session_route.PATH)
                                    and r.request.method == "POST"):
        await page.get_by_role("button", name="Sign in").click()
    await page.get_by_text("Signed in as").first.wait_for()
    await page.goto(f"{base}/{PAGE}?ws_mode=run&ws={code}&present=1")
    try:
        await page.wait_for_function(SUBMITTED_SHOWN_JS)
    except Exception as err:
        raise RuntimeError("the presentation view shows no 'Submitted' metric: was the facilitator "
                           f"signed in? ({err})") from err
    await page.evaluate(OBSERVER_JS)
    return page


# --- the room ---------------------------------------------------------------------------------------

@dataclass
class Participant:
    """One phone: its name, what it was told was stored, and its timed interactions."""

    name: str
    timings: dict[str, float] = field(default_factory=dict)  # kind -> seconds to script_finished
    errors: list[str] = field(default_factory=list)
    confirmed: dict[str, int] | None = None  # the weights the last confirmed submit or revise stored
    attempted: dict[str, int] | None = None  # weights sent after that and never confirmed (a timeout)
    submitted_at: float | None = None  # time.time() when the first submit was confirmed
    fragment_runs: int = 0


def check_page(client: StreamlitClient, criteria: list[str]) -> None:
    """The join page must draw the widgets the room uses, by key; say which is missing, and what is there."""
    client.widget(NAME_KEY, "text_input")
    submit = client.widget(SUBMIT_KEY, "button")
    if submit.form_id != FORM or not submit.proto.is_form_submitter:
        raise WidgetMissing(f"{SUBMIT_KEY!r} is not the submit button of the form {FORM!r} "
                            f"(form {submit.form_id!r})")
    for crit in criteria:
        slider = client.widget(f"ws_w_{crit}", "slider")
        if slider.form_id != FORM:
            raise WidgetMissing(f"the slider ws_w_{crit} is not in the form {FORM!r}")


def _problems(kind: str, result: RunResult) -> list[str]:
    out = [] if result.status == "ok" else [f"{kind}: {result.status}"]
    out += [f"{kind}: exception {e}" for e in result.exceptions]
    out += [f"{kind}: error shown: {e[:120]}" for e in result.errors]
    return out


def _confirmed(client: StreamlitClient, before: list[tuple[str, str]]) -> bool:
    """The page says the answer is in: a success message it did not show before the click, and no error.

    (A participant who has answered sees a success line on every run; only a new one confirms this click.)
    """
    alerts = client.alerts()
    fresh = [body for fmt, body in alerts if fmt == "success" and (fmt, body) not in before]
    return bool(fresh) and not any(fmt == "error" for fmt, _ in alerts)


def _weights(rng: random.Random, criteria: list[str]) -> dict[str, int]:
    weights = {c: rng.randint(0, 10) for c in criteria}
    if not any(weights.values()):
        weights[criteria[0]] = 5
    return weights


async def one_phone(p: Participant, base: str, code: str, criteria: list[str], start_in: float,
                    rng: random.Random, done: asyncio.Event, clients: dict[str, StreamlitClient]) -> None:
    """Open, name, submit, revise, with a person's pauses; then stay open (polling) until ``done``."""
    await asyncio.sleep(start_in)
    client = clients[p.name] = StreamlitClient(base, PAGE, f"join={code}")

    async def step(kind: str, action: Callable[[], Awaitable[RunResult]]) -> bool:
        result = await action()
        p.timings[kind] = result.seconds
        problems = _problems(kind, result)
        p.errors += problems
        return not problems

    try:
        if not await step("open", client.open):
            return
        check_page(client, criteria)
        await asyncio.sleep(rng.uniform(1.5, 4.0))  # reads the page, types a name
        if not await step("name", lambda: client.input(NAME_KEY, p.name)):
            return
        await asyncio.sleep(rng.uniform(2.0, 6.0))  # moves the sliders
        weights = _weights(rng, criteria)
        for crit, value in weights.items():
            client.set_value(f"ws_w_{crit}", value)
        shown, p.attempted = client.alerts(), dict(weights)
        if not await step("submit", lambda: client.click(SUBMIT_KEY)):
            return
        if not _confirmed(client, shown):
            p.errors.append("submit: no confirmation shown")
            return
        p.confirmed, p.attempted, p.submitted_at = dict(weights), None, time.time()
        await asyncio.sleep(rng.uniform(3.0, 8.0))  # looks at their ranking, changes their mind
        for crit in rng.sample(criteria, rng.randint(1, 3)):
            weights[crit] = (weights[crit] + rng.randint(1, 10)) % 11
        if not any(weights.values()):
            weights[criteria[0]] = 5
        for crit, value in weights.items():
            client.set_value(f"ws_w_{crit}", value)
        shown, p.attempted = client.alerts(), dict(weights)
        if not await step("revise", lambda: client.click(SUBMIT_KEY)):
            return
        if _confirmed(client, shown):
            p.confirmed, p.attempted = dict(weights), None
        else:
            p.errors.append("revise: no confirmation shown")
    except WidgetMissing as err:
        p.errors.append(f"page: {err}")
    except Exception as err:  # noqa: BLE001 - one phone's failure is a figure, not the end of the run
        p.errors.append(f"client: {type(err).__name__}: {err}")
    finally:
        p.errors += [f"protocol: {e}" for e in client.protocol_errors]
        await done.wait()  # the page stays open, its status fragment polling, until the room ends


@dataclass
class RoomResult:
    """What the room run measured."""

    participants: list[Participant]
    cpu_s: float
    wall_s: float
    load: str
    submitted_log: list[dict[str, Any]]
    idle_cpu_s: float = 0.0
    idle_polls: int = 0


async def run_room(bases: list[str], pids: list[int], code: str, criteria: list[str], n: int, spread_s: float,
                   seed: int, idle_s: float) -> tuple[RoomResult, list[StreamlitClient]]:
    """The room: ``n`` phones spread over ``spread_s``; then ``idle_s`` of every page open and polling.

    With several servers the phones take them in turn (phone i on server i mod n), as a
    proxy that spreads new browsers would; CPU figures are the sum over the servers.
    """
    people = [Participant(f"Participant {i + 1:02d}") for i in range(n)]
    done = asyncio.Event()
    clients: dict[str, StreamlitClient] = {}

    def cpu_all() -> float:
        return sum(cpu_seconds(pid) for pid in pids)

    cpu0, t0 = cpu_all(), time.monotonic()
    tasks = [asyncio.create_task(one_phone(p, bases[i % len(bases)], code, criteria, i * spread_s / max(n, 1),
                                           random.Random(seed * 1000 + i), done, clients))
             for i, p in enumerate(people)]

    def finished(p: Participant) -> bool:
        return bool(p.errors) or "revise" in p.timings

    deadline = t0 + spread_s + ROOM_LIMIT_S
    shown, last_cpu, last_t = t0, cpu0, t0
    while not all(finished(p) for p in people) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        if time.monotonic() - shown >= PROGRESS_EVERY_S:  # a saturated server shows here, not as silence
            now_cpu, shown = cpu_all(), time.monotonic()
            done_kinds = {k: sum(k in p.timings for p in people) for k in KINDS}
            print(f"  {shown - t0:5.0f} s: " + ", ".join(f"{k} {v}" for k, v in done_kinds.items())
                  + f"; with problems {sum(bool(p.errors) for p in people)}; server CPU "
                  f"{(now_cpu - last_cpu) / (shown - last_t):.0%} of a core; load {load_average()}", flush=True)
            last_cpu, last_t = now_cpu, shown
    for p in people:
        if not finished(p):
            p.errors.append(f"did not finish within {spread_s + ROOM_LIMIT_S:g} s "
                            f"(done: {', '.join(p.timings) or 'nothing'})")
    cpu1, t1 = cpu_all(), time.monotonic()
    load = load_average()
    # Answered polls: ticks a saturated server could not run in time are folded into one run.
    polls0 = sum(len(c.fragment_seconds) for c in clients.values())
    idle0 = cpu_all()
    await asyncio.sleep(idle_s)
    idle_cpu = cpu_all() - idle0
    polls = sum(len(c.fragment_seconds) for c in clients.values()) - polls0
    done.set()
    await asyncio.gather(*tasks)
    for p in people:
        p.fragment_runs = clients[p.name].fragment_runs if p.name in clients else 0
    return RoomResult(people, cpu1 - cpu0, t1 - t0, load, [], idle_cpu, polls), list(clients.values())


# --- CPU per interaction, one participant at a time ---------------------------------------------------

Flow = list[tuple[str, Callable[[StreamlitClient], Awaitable[RunResult]]]]


def app_flow(name: str, criteria: list[str], rng: random.Random) -> Flow:
    """The room's four interactions for one participant (as ``one_phone``, without the pauses)."""
    async def submit(c: StreamlitClient) -> RunResult:
        for crit, value in _weights(rng, criteria).items():
            c.set_value(f"ws_w_{crit}", value)
        return await c.click(SUBMIT_KEY)

    async def revise(c: StreamlitClient) -> RunResult:
        c.set_value(f"ws_w_{criteria[0]}", rng.randint(1, 10))
        return await c.click(SUBMIT_KEY)

    return [("open", lambda c: c.open()), ("name", lambda c: c.input(NAME_KEY, name)),
            ("submit", submit), ("revise", revise)]


def trivial_flow(name: str) -> Flow:
    """The same four kinds on the trivial app: open, type a name, press the button, press it again."""
    return [("open", lambda c: c.open()), ("name", lambda c: c.input("name", name)),
            ("submit", lambda c: c.click("send")), ("revise", lambda c: c.click("send"))]


@dataclass
class CpuPass:
    """CPU seconds and wall seconds per interaction kind, one participant at a time."""

    cpu: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    wall: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    errors: list[str] = field(default_factory=list)
    load: str = ""

    def mean_cpu(self, kind: str) -> float | None:
        return statistics.fmean(self.cpu[kind]) if self.cpu[kind] else None


async def cpu_pass(base: str, pid: int, page: str, query: str, flows: list[Flow], warm_up: int = 1) -> CpuPass:
    """Run each flow alone (fragment timers off) and read the server's CPU around every interaction.

    The first ``warm_up`` flows are not counted (a fresh server's first session imports the pages).
    """
    out = CpuPass()
    for i, flow in enumerate(flows):
        client = StreamlitClient(base, page, query, follow_auto_rerun=False)
        try:
            before = await quiet_cpu(pid)
            for kind, action in flow:
                result = await action(client)
                after = await quiet_cpu(pid)
                problems = _problems(kind, result)
                if i >= warm_up:
                    out.cpu[kind].append(after - before)
                    out.wall[kind].append(result.seconds)
                    out.errors += problems
                if problems:
                    break
                before = after
        except WidgetMissing as err:
            out.errors.append(f"page: {err}")
        finally:
            await client.close()
    out.load = load_average()
    return out


# --- checks on the store ------------------------------------------------------------------------------

def stored(url: str, code: str) -> tuple[dict[str, dict[str, int]], list[tuple[str, float]]]:
    """The stored weights by participant, and every first submission's write time (audit log), in order."""
    from rmo_data.store import schema
    from rmo_data.store.engine import make_engine
    from rmo_data.store.writes import audit_rows
    from rmo_data.workshops import lifecycle

    engine = make_engine(url)
    try:
        subs = lifecycle.list_submissions(code, engine)
        audit = audit_rows(schema.participant_weights.name, engine)
    finally:
        engine.dispose()
    weights = {r["participant"]: {k: int(v) for k, v in r["weights"].items()} for r in subs.to_dict("records")}
    created = audit[audit["action"] == "create"]
    firsts = sorted((str(r["actor"]), r["at"].timestamp()) for r in created.to_dict("records"))
    return weights, sorted(firsts, key=lambda x: x[1])


def lost(people: list[Participant], weights: dict[str, dict[str, int]]) -> list[str]:
    """Confirmed answers the store does not hold (missing, or an older version).

    A later change the participant sent but never saw confirmed (its run timed out) may
    have landed all the same: the store holding that one loses nothing.
    """
    out = []
    for p in people:
        if p.confirmed is None:
            continue
        have = weights.get(p.name)
        if have is None:
            out.append(f"{p.name}: not stored")
            continue
        held = {k: v for k, v in have.items() if k in p.confirmed}
        if held != p.confirmed and held != p.attempted:
            out.append(f"{p.name}: stored {held}, confirmed {p.confirmed}")
    return out


def visible_delays(firsts: list[tuple[str, float]], log: list[dict[str, Any]], names: set[str]
                   ) -> tuple[list[float], int]:
    """Seconds from the k-th first submission's write to the projector first showing a count of k or more.

    Returns the delays and how many counts the projector never showed.
    """
    shown = [(float(e["frame"]) / 1000, int(e["value"])) for e in log if str(e["value"]).isdigit()]
    delays, never = [], 0
    for k, (_name, at) in enumerate([f for f in firsts if f[0] in names], start=1):
        seen = next((t for t, v in shown if v >= k and t >= at - 0.001), None)
        if seen is None:
            never += 1
        else:
            delays.append(max(0.0, seen - at))
    return delays, never


# --- the whole run --------------------------------------------------------------------------------------

@dataclass
class Figures:
    """Everything one run measured (also written as JSON with ``--output``)."""

    participants: int = 0
    spread_s: float = 0.0
    servers: int = 1
    backend: str = "sqlite"
    room_wall_s: float = 0.0
    room_load: str = ""
    lost: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    visible_s: list[float] = field(default_factory=list)
    never_visible: int = 0
    interaction_s: dict[str, list[float]] = field(default_factory=dict)
    room_cpu_per_participant_s: float | None = None
    projector_cpu_per_refresh_s: float | None = None
    poll_cpu_s: float | None = None
    polls_per_s: float | None = None
    app_cpu: dict[str, float | None] = field(default_factory=dict)
    app_wall_ms: dict[str, float | None] = field(default_factory=dict)
    trivial_cpu: dict[str, float | None] = field(default_factory=dict)
    trivial_wall_ms: dict[str, float | None] = field(default_factory=dict)
    cpu_load: str = ""
    app_peak_mb: float | None = None
    trivial_peak_mb: float | None = None
    static_direct: str = ""
    static_nginx: str = ""
    static_load: str = ""


async def measure(args: argparse.Namespace, url: str, code: str, criteria: list[str], password: str,
                  workdir: Path) -> Figures:
    """Start the servers and the projector, run the room and the passes; return the figures."""
    from playwright.async_api import async_playwright

    from bench import room_static

    fig = Figures(participants=args.participants, spread_s=args.spread, servers=args.servers,
                  backend=make_url(url).get_backend_name())
    with contextlib.ExitStack() as stack:
        # Server 1 holds the projector and the one-at-a-time passes; the room is split over all.
        started = [stack.enter_context(running_server(url, workdir / f"server-app-{i + 1}.log",
                                                      wait_s=SERVER_WAIT_S)) for i in range(args.servers)]
        bases, pids = [b for b, _ in started], [p for _, p in started]
        base, pid = bases[0], pids[0]
        print(f"Server(s) {', '.join(bases)} (pid {', '.join(map(str, pids))}) on {fig.backend}; "
              f"workshop {code}; load {load_average()}", flush=True)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = await open_projector(browser, base, code, password)
            print(f"Projector open; measuring it alone for {PROJECTOR_ALONE_S:g} s…", flush=True)
            before = await quiet_cpu(pid)
            await asyncio.sleep(PROJECTOR_ALONE_S)
            fig.projector_cpu_per_refresh_s = (cpu_seconds(pid) - before) / (PROJECTOR_ALONE_S / 5.0)
            print(f"The room: {args.participants} participants over {args.spread:g} s…", flush=True)
            room, clients = await run_room(bases, pids, code, criteria, args.participants, args.spread,
                                           args.seed, ROOM_IDLE_S)
            room.submitted_log = await page.evaluate("() => window.__submitted || []")
            SHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SHOTS / "room-projector.png"))
            await page.context.close()
            await browser.close()
        for client in clients:
            await client.close()
        fig.room_wall_s, fig.room_load = room.wall_s, room.load
        fig.room_cpu_per_participant_s = room.cpu_s / max(args.participants, 1)
        if room.idle_polls:
            projector_share = (fig.projector_cpu_per_refresh_s or 0.0) * ROOM_IDLE_S / 5.0
            fig.poll_cpu_s = max(0.0, room.idle_cpu_s - projector_share) / room.idle_polls
            fig.polls_per_s = room.idle_polls / ROOM_IDLE_S
        fig.errors += [f"{p.name} {e}" for p in room.participants for e in p.errors]
        fig.interaction_s = {k: [p.timings[k] for p in room.participants if k in p.timings] for k in KINDS}
        weights, firsts = stored(url, code)
        fig.lost = lost(room.participants, weights)
        fig.visible_s, fig.never_visible = visible_delays(firsts, room.submitted_log,
                                                          {p.name for p in room.participants})

        print(f"CPU per interaction, one participant at a time ({args.sequential} + 1 warm-up)…", flush=True)
        rng = random.Random(args.seed)
        seq = await cpu_pass(base, pid, PAGE, f"join={code}",
                             [app_flow(f"Alone {i:02d}", criteria, rng) for i in range(args.sequential + 1)])
        fig.errors += [f"alone: {e}" for e in seq.errors]
        fig.app_cpu = {k: seq.mean_cpu(k) for k in KINDS}
        fig.app_wall_ms = {k: statistics.median(seq.wall[k]) * 1000 if seq.wall[k] else None for k in KINDS}
        fig.cpu_load = seq.load
        fig.app_peak_mb = peak_memory_mb(pid)

        if args.profile:
            await profile_passes(base, pid, code, criteria, workdir, fig, rng)
        if not args.skip_static:
            page_path = f"/{PAGE}?join={code}"
            # Runs still queued from a saturated room would be counted as the visits' cost.
            await quiet_cpu(pid, quiet_s=1.0, max_s=180)
            before = cpu_seconds(pid)
            direct = await asyncio.to_thread(room_static.first_visits, base, page_path, args.visits)
            fig.static_direct = (f"{room_static.describe(direct)}; app server CPU "
                                 f"{cpu_seconds(pid) - before:.2f} s")
            fig.static_load = load_average()
            if not args.skip_nginx:
                try:
                    with room_static.nginx_front(base) as front:
                        probe = StreamlitClient(front, PAGE, f"join={code}", follow_auto_rerun=False)
                        result = await probe.open()  # the websocket must pass through nginx too
                        await probe.close()
                        if result.status != "ok" or not probe.has_widget(SUBMIT_KEY):
                            fig.errors.append(f"through nginx: the join page did not run ({result.status})")
                        assets = room_static.asset_paths(await asyncio.to_thread(_text, f"{base}/"))
                        bundle = next(a for a in assets if a.startswith("/static/"))
                        if not room_static.served_from_disk(front, bundle):
                            fig.errors.append(f"through nginx: {bundle} came from the app, not from disk")
                        before = await quiet_cpu(pid, quiet_s=1.0, max_s=60)
                        via = await asyncio.to_thread(room_static.first_visits, front, page_path, args.visits)
                        fig.static_nginx = (f"{room_static.describe(via)}; app server CPU "
                                            f"{cpu_seconds(pid) - before:.2f} s")
                except (OSError, RuntimeError) as err:
                    fig.static_nginx = f"not measured: {err}"

    print("The trivial app, the same pass…", flush=True)
    with running_server(url, workdir / "server-trivial.log", wait_s=SERVER_WAIT_S,
                        script="bench/trivial_app.py") as (tbase, tpid):
        triv = await cpu_pass(tbase, tpid, "", "", [trivial_flow(f"T{i}") for i in range(args.sequential + 1)])
        fig.errors += [f"trivial: {e}" for e in triv.errors]
        fig.trivial_cpu = {k: triv.mean_cpu(k) for k in KINDS}
        fig.trivial_wall_ms = {k: statistics.median(triv.wall[k]) * 1000 if triv.wall[k] else None for k in KINDS}
        fig.trivial_peak_mb = peak_memory_mb(tpid)
    return fig


async def profile_passes(base: str, pid: int, code: str, criteria: list[str], workdir: Path, fig: Figures,
                         rng: random.Random) -> None:
    """py-spy over a pass of interactions (no polls), then over open pages polling (no clicks)."""
    from bench import room_profile

    if not room_profile.available():
        print("py-spy is not installed (python -m pip install py-spy): no profile", flush=True)
        return
    n = 12
    flows = [app_flow(f"Profiled {i:02d}", criteria, rng) for i in range(n)]
    with room_profile.profiler(pid, workdir / "profile-interactions.txt") as raw:
        before = cpu_seconds(pid)
        await cpu_pass(base, pid, PAGE, f"join={code}", flows, warm_up=0)
        used = cpu_seconds(pid) - before
    room_profile.print_summary("Profile of the interactions (open, name, submit, revise)",
                               room_profile.summarise(raw), used / (n * len(KINDS)), "interaction")
    clients = [StreamlitClient(base, PAGE, f"join={code}") for _ in range(n)]
    for c in clients:
        await c.open()
    with room_profile.profiler(pid, workdir / "profile-polls.txt") as raw:
        polls0, before = sum(len(c.fragment_seconds) for c in clients), cpu_seconds(pid)
        await asyncio.sleep(10)
        used, polls = cpu_seconds(pid) - before, sum(len(c.fragment_seconds) for c in clients) - polls0
    for c in clients:
        await c.close()
    room_profile.print_summary(f"Profile of {n} open pages polling ({polls} polls)", room_profile.summarise(raw),
                               used / max(polls, 1), "poll")


def _text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as answer:
        return answer.read().decode()


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value * 1000:.0f} ms"


def _verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("pass" if ok else "FAIL")


def report(fig: Figures) -> list[tuple[str, str, str, bool | None]]:
    """Rows (figure, value, target, passed) for the table."""
    everything = [s for kind in KINDS for s in fig.interaction_s.get(kind, [])]
    p95_all = percentile(everything, 95)
    vis50, vis95 = percentile(fig.visible_s, 50), percentile(fig.visible_s, 95)
    rows: list[tuple[str, str, str, bool | None]] = [
        ("submissions lost", str(len(fig.lost)), f"= {LOST_MAX}", len(fig.lost) <= LOST_MAX),
        ("errors", str(len(fig.errors)), f"= {ERRORS_MAX}", len(fig.errors) <= ERRORS_MAX),
        ("submit → count on projector, p50 / p95",
         f"{vis50 or 0:.2f} s / {vis95 or 0:.2f} s" + (f" ({fig.never_visible} never shown)" if fig.never_visible else ""),
         f"p95 ≤ {VISIBLE_P95_S:g} s", None if vis95 is None else vis95 <= VISIBLE_P95_S and not fig.never_visible),
        ("participant interaction p95, all kinds", _ms(p95_all), f"≤ {INTERACTION_P95_MS:g} ms",
         None if p95_all is None else p95_all * 1000 <= INTERACTION_P95_MS)]
    for kind in KINDS:
        values = fig.interaction_s.get(kind, [])
        rows.append((f"  {kind}: p50 / p95 in the room (n={len(values)})",
                     f"{_ms(percentile(values, 50))} / {_ms(percentile(values, 95))}", "info", None))
    for kind in KINDS:
        app, triv = fig.app_cpu.get(kind), fig.trivial_cpu.get(kind)
        ok = None if app is None or triv is None else app <= triv + CPU_OVER_TRIVIAL_S
        rows.append((f"server CPU per {kind} (app vs trivial)", f"{_ms(app)} vs {_ms(triv)}",
                     f"≤ trivial + {CPU_OVER_TRIVIAL_S * 1000:.0f} ms", ok))
    rows += [
        ("  wall, one at a time (app vs trivial, median)",
         " · ".join(f"{k} {fig.app_wall_ms.get(k) or 0:.0f}/{fig.trivial_wall_ms.get(k) or 0:.0f} ms" for k in KINDS),
         "info", None),
        ("server CPU per participant, whole visit in the room", _ms(fig.room_cpu_per_participant_s),
         "info (incl. polls, projector)", None),
        ("server CPU per status poll of an open phone",
         f"{_ms(fig.poll_cpu_s)} ({fig.polls_per_s or 0:.1f} answered/s, {fig.participants} phones asking 1/s)",
         "info", None),
        ("server CPU per projector refresh (every 5 s)", _ms(fig.projector_cpu_per_refresh_s), "info", None),
        ("server peak memory (VmHWM): app / trivial",
         f"{fig.app_peak_mb or 0:.0f} MB / {fig.trivial_peak_mb or 0:.0f} MB", f"app ≤ {MEMORY_MB:g} MB",
         None if fig.app_peak_mb is None else fig.app_peak_mb <= MEMORY_MB)]
    return rows


def print_report(fig: Figures) -> int:
    """Print the table, the loads, the static figures and the first problems; return how many failed."""
    rows = report(fig)
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    print(f"\nWorkshop room: {fig.participants} participants over {fig.spread_s:g} s on {fig.servers} "
          f"server(s), {fig.backend} store "
          f"(room took {fig.room_wall_s:.0f} s; load average then {fig.room_load}; CPU passes at {fig.cpu_load})")
    for name, value, target, ok in rows:
        print(f"{name:<{width}}  {value:<{vwidth}}  {target:<30}  {_verdict(ok)}")
    if fig.static_direct:
        print(f"\nStatic first visits (load average {fig.static_load}):\n  straight to Streamlit: {fig.static_direct}")
        if fig.static_nginx:
            print(f"  through nginx (deploy/nginx.conf): {fig.static_nginx}")
    for line in (fig.lost + fig.errors)[:8]:
        print(f"  problem: {line[:300]}")
    failed = [r[0] for r in rows if r[3] is False]
    print(f"\n{len(failed)} figure(s) miss their target." if failed else "\nEvery checked figure meets its target.")
    return len(failed)


def parser() -> argparse.ArgumentParser:
    """The command line (shared with ``bench/run.py --room``)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--participants", type=int, default=40)
    p.add_argument("--spread", type=float, default=60.0, help="seconds over which the participants arrive")
    p.add_argument("--sequential", type=int, default=10, help="participants of each one-at-a-time CPU pass")
    p.add_argument("--visits", type=int, default=40, help="simultaneous first visits for the static figures")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--profile", action="store_true", help="also profile the server with py-spy (not pinned)")
    p.add_argument("--skip-static", action="store_true", help="leave out the static first visits")
    p.add_argument("--skip-nginx", action="store_true", help="leave out the visits through nginx")
    p.add_argument("--output", type=Path, default=None, help="also write the figures as JSON here")
    p.add_argument("--servers", type=int, default=1, choices=[1, 2],
                   help="app servers on the one store; the room's phones take them in turn")
    p.add_argument("--postgres", action="store_true",
                   help="the store on a throw-away PostgreSQL server (scripts/throwaway_pg.py), not SQLite")
    return p


def main(argv: list[str] | None = None) -> int:
    """Set up the store, the partner and the workshop; measure; print; return 0 (1 when a run step broke)."""
    args = parser().parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="rmo-room-"))
    try:
        users = workdir / "users.toml"
        password = add_partner(users, FACILITATOR)
        os.environ["RMO_USERS_FILE"] = str(users)  # the servers inherit it
        with contextlib.ExitStack() as stack:
            if args.postgres:
                try:
                    url = stack.enter_context(throwaway_pg.server())
                except throwaway_pg.PgUnavailable as err:
                    print(f"The PostgreSQL room cannot run: {err}", file=sys.stderr)
                    return 1
            else:
                url = f"sqlite:///{workdir / 'room.sqlite'}"
            print(f"Building a fresh store ({make_url(url).get_backend_name()}) for {args.servers} server(s)…",
                  flush=True)
            build_store(url)
            code, criteria = create_room(url, "Bench room")
            fig = asyncio.run(measure(args, url, code, criteria, password, workdir))
            print_report(fig)
            if args.output:
                args.output.write_text(json.dumps(asdict(fig), indent=2, default=str))
                print(f"Figures written to {args.output}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
