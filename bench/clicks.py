"""What a click costs on the real path: a real server, a real Chromium, beside Streamlit's own floor.

Usage (from the repository root; builds its own copy of the real store)::

    python bench/clicks.py                    # 15 interleaved rounds
    python bench/clicks.py --rounds 30 --url sqlite:////tmp/real.sqlite
    python bench/clicks.py --profile /tmp/prof  # also py-spy the app server (raw stacks)

Two servers are started as users start them: the app (``python scripts/serve.py``,
signed in as a partner through the sign-in form) and the floor page
(``bench/floor_app.py``, one slider, ``streamlit run``).  Each round does one of each
interaction in turn (interleaved, so a busy moment on the shared machine hits all of
them alike):

* ``floor: move the slider``: an arrow key on the floor page's slider;
* ``Prioritisation: move a weight``: an arrow key on the first weight slider;
* ``Leverage cards: search the action text``: a new search typed, then Enter.

Per click it records, in the page, the wall time from the key press to Streamlit's
``script_finished`` message (read from the websocket, as ``tests/browser/conftest.py``
WATCH_RUNS does), the bytes the server sent over the websocket, and the server
process's CPU-seconds (utime + stime from ``/proc/<pid>/stat``, read before the key
press and once the server has gone quiet after the run).  It prints, per
interaction, the medians and their ratio to the floor, with the load average.
``main(argv)`` returns the rows as well, for ``bench/run.py`` to call.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a plain script from anywhere

from scripts.live_server import CHROMIUM, CHROMIUM_ARGS, HOST, free_port, running_server

USER = "clicks.partner"
PASSWORD = secrets.token_urlsafe(24)  # made afresh each run, never printed
TICK = os.sysconf("SC_CLK_TCK")
QUIET_S = 0.15  # the server counts as done once its CPU time has not moved for this long
TIMEOUT_MS = 120_000

# Installed before Streamlit's scripts: counts runs that ended (ForwardMsg.script_finished, field 6,
# except FINISHED_EARLY_FOR_RERUN = 2), when the last ended, the bytes received, and the last key
# press.  Field numbers are Streamlit 1.67's (streamlit/proto/ForwardMsg_pb2.py).
WATCH = """
(() => {
  const r = window.__clk = {input: 0, finished: 0, runs: 0, bytes: 0};
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
      let i = 0;
      while (i < b.length) {
        let t, v; [t, i] = varint(b, i);
        const f = Math.floor(t / 8), wt = t & 7;
        if (wt === 0) { [v, i] = varint(b, i); if (f === 6 && v !== 2) { r.finished = performance.now(); r.runs += 1; } }
        else if (wt === 2) { [v, i] = varint(b, i); i += v; }
        else if (wt === 1) { i += 8; } else if (wt === 5) { i += 4; } else { break; }
      }
    } catch (e) { /* never break the page */ }
  };
  document.addEventListener('keydown', () => { r.input = performance.now(); }, true);
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function () {
    if (!this.__clkWatched) { this.addEventListener('message', received); this.__clkWatched = true; }
    return send.apply(this, arguments);
  };
})();
"""
IDLE = ("(runs) => window.__clk.runs > runs && document.querySelector('[data-testid=\"stApp\"]')"
        ".getAttribute('data-test-script-state') === 'notRunning'")


@dataclass
class Interaction:
    """One kind of click: where it happens and the key presses that make it."""

    name: str
    page: Any
    pid: int
    act: Callable[[int], None]  # does click number i
    wall_ms: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)
    bytes_: list[int] = field(default_factory=list)


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


def click(item: Interaction, i: int) -> None:
    """Do click ``i`` of ``item`` and record its wall time, server CPU and bytes."""
    page = item.page
    runs, sent = page.evaluate("() => [window.__clk.runs, window.__clk.bytes]")
    cpu0 = _quiet_cpu(item.pid)
    item.act(i)
    page.wait_for_function(IDLE, arg=runs, polling="raf", timeout=TIMEOUT_MS)
    wall, got = page.evaluate("() => [window.__clk.finished - window.__clk.input, window.__clk.bytes]")
    item.cpu_s.append(_quiet_cpu(item.pid) - cpu0)
    item.wall_ms.append(float(wall))
    item.bytes_.append(int(got) - int(sent))


def _answers(base: str) -> bool:
    """True once Streamlit's health check answers at ``base``."""
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def floor_server(log: Path) -> Iterator[tuple[str, int]]:
    """``streamlit run bench/floor_app.py`` on a free port until the block ends.

    It runs in the log's folder, so it reads Streamlit's defaults, not the app's
    ``.streamlit/config.toml``: the floor is what stock Streamlit costs.
    """
    port = free_port()
    base = f"http://{HOST}:{port}"
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "bench" / "floor_app.py"),
           "--server.port", str(port), "--server.address", HOST, "--server.headless", "true",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=log.parent, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while not _answers(base):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the floor page did not start; see {log}")
                time.sleep(0.2)
            yield base, proc.pid
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def _new_page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(WATCH)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def _settle(page: Any) -> None:
    page.wait_for_function(IDLE, arg=0, polling="raf", timeout=TIMEOUT_MS)


def _open_signed_in(browser: Any, base: str, title: str) -> Any:
    """A new session signed in as the bench partner, on page ``title`` opened from the menu."""
    page = _new_page(browser)
    page.goto(f"{base}/sign_in", timeout=TIMEOUT_MS)
    page.get_by_label("User name").fill(USER)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as").first.wait_for()
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    page.locator("[data-testid='stMain'] h1", has_text=title).first.wait_for()
    _settle(page)
    return page


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


def users_file(folder: Path) -> None:
    """This run's partner in a users file of its own; the app server inherits RMO_USERS_FILE."""
    from rmo_data.access import accounts

    path = folder / "users.toml"
    accounts.add_user(path, USER, "partner", PASSWORD, replace_existing=True)
    os.environ[accounts.USERS_ENV] = str(path)


def _py_spy(pid: int, out: Path) -> subprocess.Popen[bytes]:
    """py-spy (installed by hand, for profiling only) sampling ``pid`` into collapsed stacks."""
    return subprocess.Popen(["py-spy", "record", "--pid", str(pid), "--format", "raw", "--rate", "250",
                             "--output", str(out), "--nonblocking", "--threads"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def measure(db_url: str, rounds: int, workdir: Path, profile: Path | None = None) -> list[Interaction]:
    """Start both servers and the browser, warm up, then ``rounds`` interleaved rounds."""
    from playwright.sync_api import sync_playwright

    users_file(workdir)
    with contextlib.ExitStack() as stack:
        app_base, app_pid = stack.enter_context(running_server(db_url, workdir / "app.log"))
        floor_base, floor_pid = stack.enter_context(floor_server(workdir / "floor.log"))
        pw = stack.enter_context(sync_playwright())
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        stack.callback(browser.close)
        floor = _new_page(browser)
        floor.goto(floor_base, timeout=TIMEOUT_MS)
        _settle(floor)
        prio = _open_signed_in(browser, app_base, "Prioritisation")
        cards = _open_signed_in(browser, app_base, "Leverage cards")
        items = [
            Interaction("floor: move the slider", floor, floor_pid,
                        _arrows(floor.get_by_role("slider").first)),
            Interaction("Prioritisation: move a weight", prio, app_pid,
                        _arrows(prio.get_by_test_id("stMain").get_by_role("slider").first)),
            Interaction("Leverage cards: search the action text", cards, app_pid,
                        _search(cards.get_by_label("Search action text"))),
        ]
        for item in items:  # warm-up: first runs fill caches, not figures
            for i in range(2):
                click(item, i)
            item.wall_ms.clear(), item.cpu_s.clear(), item.bytes_.clear()
        spy = _py_spy(app_pid, profile / "app.raw.txt") if profile else None
        for i in range(rounds):
            for item in items:
                click(item, i + 2)
        peak = [line.split()[1] for line in Path(f"/proc/{app_pid}/status").read_text().splitlines()
                if line.startswith("VmHWM:")]
        print(f"app server peak memory (VmHWM): {int(peak[0]) / 1024:.0f} MB" if peak else "", flush=True)
        if spy is not None:
            spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT, not on SIGTERM
            spy.wait(timeout=30)
    return items


def print_table(items: list[Interaction]) -> None:
    """One row per interaction: medians and their ratio to the floor (first row)."""
    floor = items[0]
    f_wall, f_cpu = statistics.median(floor.wall_ms), statistics.median(floor.cpu_s)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} · {len(floor.wall_ms)} rounds · "
          f"{os.cpu_count()} cores")
    print(f"{'interaction':42} {'wall ms':>8} {'p90':>6} {'CPU s/click':>11} {'KB sent':>8} "
          f"{'wall/floor':>10} {'CPU/floor':>9}")
    for item in items:
        wall, cpu = statistics.median(item.wall_ms), statistics.median(item.cpu_s)
        p90 = sorted(item.wall_ms)[int(0.9 * (len(item.wall_ms) - 1))]
        kb = statistics.median(item.bytes_) / 1024
        print(f"{item.name:42} {wall:8.0f} {p90:6.0f} {cpu:11.3f} {kb:8.1f} {wall / f_wall:10.1f} "
              f"{cpu / f_cpu if f_cpu else float('nan'):9.1f}")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (after)")


def main(argv: list[str] | None = None) -> list[Interaction]:
    """Parse options, build the store unless given, measure and print; returns the interactions."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--url", default=None, help="a built store (default: build a fresh real store)")
    parser.add_argument("--profile", type=Path, default=None, help="py-spy the app server into this folder")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="rmo-clicks-"))
    try:
        url = args.url
        if url is None:
            url = f"sqlite:///{workdir / 'real.sqlite'}"
            subprocess.run([sys.executable, "-m", "rmo_data", "build", "--url", url], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL)
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
        items = measure(url, args.rounds, workdir, args.profile)
        print_table(items)
        return items
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
