"""A real server on a free loopback port, and a headless Chromium page.

The server is started as README tells users to (``python scripts/serve.py``:
``streamlit run app.py`` after loading the libraries), by ``scripts/live_server.py``
(shared with the benchmark).

It runs against the session's built store and is waited for on
``/_stcore/health``; it inherits ``RMO_USERS_FILE`` (the test users of
``tests/signin.py``).  Screenshots go to ``test-output/screenshots/``.
``sign_in`` fills in the real sign-in form in the browser.  A new address
typed into the browser starts a new (public) session, so partner journeys
sign in and then move on through the app's own links.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect

from scripts.live_server import ServerDidNotStart, running_server
from tests.conftest import Stores
from tests.signin import USERS

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@contextmanager
def run_server(db_url: str, log_name: str = "streamlit-server.log") -> Iterator[str]:
    """Start ``python scripts/serve.py`` on a free port; yield its base URL once healthy.

    The start, the health check and the stop are ``scripts/live_server.py``'s, shared with
    the benchmark; its log goes to ``test-output/<log_name>``.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run scripts/test.sh, which installs it")
    log = ROOT / "test-output"
    log.mkdir(exist_ok=True)
    with ExitStack() as stack:
        try:
            server = stack.enter_context(running_server(db_url, log / log_name, wait_s=60))
        except ServerDidNotStart as err:
            pytest.fail(str(err))
        yield server.base_url


@pytest.fixture(scope="session")
def browser_store(stores: Stores, built_template: str) -> Iterator[str]:
    """URL of the browser journeys' own copy of the built store.

    The journeys write (plan items, workshops), so the shared built store stays
    as the build made it for every other test.
    """
    url = stores.copy(built_template, "browser")
    yield url
    stores.discard(url)


@pytest.fixture(scope="session")
def server(browser_store: str, users_file: Path) -> Iterator[str]:
    """Base URL of a streamlit server running the app on ``browser_store``."""
    with run_server(browser_store) as base:
        yield base


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    """Headless Debian chromium driven by playwright, for the tests of this folder.

    Package-scoped: the sync API keeps an event loop running in this thread while it is
    open, which the later folders' asyncio.run and their own playwright would trip over.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-quic"])
        yield instance
        instance.close()


# Installed in every page before Streamlit's own scripts.  It reads the top-level fields of
# the protobuf messages on Streamlit's websocket (no library: tag, length, skip) and records
# when the browser last asked for a script run (BackMsg.rerun_script, field 11; a fragment's
# run carries ClientState.fragment_id, field 5), when the server last began a full run
# (ForwardMsg.new_session, field 4) and when a run last ended (ForwardMsg.script_finished,
# field 6, except FINISHED_EARLY_FOR_RERUN = 2, which another run follows).  Field numbers are
# those of Streamlit 1.67's protos (streamlit/proto/BackMsg_pb2.py, ForwardMsg_pb2.py).
WATCH_RUNS = """
(() => {
  const w = window;
  const r = w.__stRun = {sent: 0, sentFull: false, session: 0, finished: 0, runs: 0};
  const varint = (b, i) => {
    let x = 0, s = 0;
    for (;;) { const c = b[i++]; x += (c & 0x7f) * 2 ** s; s += 7; if (!(c & 0x80)) return [x, i]; }
  };
  const fields = (b) => {
    const out = []; let i = 0;
    while (i < b.length) {
      let t, v; [t, i] = varint(b, i);
      const f = Math.floor(t / 8), wt = t & 7;
      if (wt === 0) { [v, i] = varint(b, i); out.push([f, v]); }
      else if (wt === 2) { [v, i] = varint(b, i); out.push([f, b.subarray(i, i + v)]); i += v; }
      else if (wt === 1) { i += 8; } else if (wt === 5) { i += 4; } else { break; }
    }
    return out;
  };
  const bytesOf = (data) => data instanceof ArrayBuffer ? new Uint8Array(data)
    : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
  const received = (event) => {
    try {
      const b = bytesOf(event.data);
      if (!b) return;
      for (const [f, v] of fields(b)) {
        if (f === 4) r.session = performance.now();
        if (f === 6 && v !== 2) { r.finished = performance.now(); r.runs += 1; }
      }
    } catch (e) { /* never break the app */ }
  };
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    try {
      if (!this.__stWatched) { this.addEventListener('message', received); this.__stWatched = true; }
      const b = bytesOf(data);
      const rerun = b && fields(b).find(([f]) => f === 11);
      if (rerun) {
        const fragment = fields(rerun[1]).some(([f, v]) => f === 5 && v.length > 0);
        r.sent = performance.now();
        r.sentFull = !fragment;
      }
    } catch (e) { /* never break the app */ }
    return send.apply(this, arguments);
  };
})();
"""

# True when the app is connected and not running, a run ended after the browser's last request
# (and, for a full rerun, a full run began after it: a fragment's timed refresh that was already
# going does not count), no element is still a loading skeleton, and every chart is drawn.
SETTLED = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const r = window.__stRun;
  if (!app || !r) return false;
  if (app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
  if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (r.runs < 1 || r.finished < r.sent || (r.sentFull && r.session < r.sent)) return false;
  // An element whose widget code is still loading shows Streamlit's skeleton in its place.
  if (document.querySelector('[data-testid="stElementContainer"] [data-testid="stSkeleton"]')) return false;
  for (const chart of document.querySelectorAll('[data-testid="stVegaLiteChart"]')) {
    if (!chart.querySelector('canvas, svg')) return false;
  }
  // Plotly draws after its element is in place (a screenshot caught the flows chart's empty frame).
  for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
    if (!chart.querySelector('.main-svg')) return false;
  }
  return true;
}
"""


# Streamlit on a busy 2-core machine can take many seconds for one run; playwright's
# expect() waits 5 s by default, which is what made loaded runs fail.
expect.set_options(timeout=45_000)


def new_page(browser: object, width: int = 1280, height: int = 800) -> object:
    """A page in a new browser context (a new device) that records Streamlit's script runs."""
    context = browser.new_context(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
    context.add_init_script(WATCH_RUNS)
    pg = context.new_page()
    pg.set_default_timeout(45_000)
    return pg


@pytest.fixture()
def page(browser: object) -> Iterator[object]:
    """A fresh 1280×800 page (the size a workshop laptop or projector shows)."""
    pg = new_page(browser)
    yield pg
    pg.context.close()  # type: ignore[attr-defined]


def shot(page: object, name: str) -> Path:
    """Save a screenshot of the whole page under test-output/screenshots and return its path.

    Streamlit scrolls inside its own container, so a "full page" screenshot
    would stop at the viewport; the viewport is grown to the content height
    (same width) for the capture and restored afterwards.
    """
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    pg = page
    size = pg.viewport_size  # type: ignore[attr-defined]
    height = pg.evaluate(  # type: ignore[attr-defined]
        "() => Math.max(...[...document.querySelectorAll('[data-testid=\"stMain\"], "
        "[data-testid=\"stSidebarContent\"]')].map(e => e.scrollHeight), window.innerHeight)")
    pg.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 6000)})  # type: ignore[attr-defined]
    _after_layout(pg)  # charts re-layout to the new size
    pg.screenshot(path=str(path))  # type: ignore[attr-defined]
    pg.set_viewport_size(size)  # type: ignore[attr-defined]
    return path


def _after_layout(page: object) -> None:
    """Wait for two animation frames: the browser has laid out and painted what changed."""
    page.evaluate(  # type: ignore[attr-defined]
        "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def wait_ready(page: object) -> None:
    """Wait until Streamlit has finished the script run that the last action asked for.

    After a navigation this is the page's first run; after a click, a key press or a
    typed value it is the run that the widget's message started (the page's init
    script, ``WATCH_RUNS``, records requests, run starts and run ends from the
    websocket), then every widget loaded and every chart drawn.  An action that
    asks for no run (opening a popover, typing without Enter) needs no wait_ready.
    """
    pg = page
    pg.wait_for_function(SETTLED, polling=100)  # type: ignore[attr-defined]
    _after_layout(pg)


def close_sidebar(page: object) -> None:
    """On a phone an open sidebar covers the page (issue 15): close it as a user would, then wait until
    it has slid out of view (a resize from a wide screen collapses it by itself)."""
    from playwright.sync_api import expect

    pg = page
    sidebar = pg.get_by_test_id("stSidebar")  # type: ignore[attr-defined]
    if sidebar.get_attribute("data-collapsed") != "true":
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        # A resize to a phone width collapses the sidebar by itself, a moment later: the
        # button may go while this waits for it, and then there is nothing left to click.
        try:
            sidebar.hover(timeout=10_000)
            pg.get_by_test_id("stSidebarCollapseButton").get_by_role("button").click(  # type: ignore[attr-defined]
                timeout=10_000)
        except PlaywrightTimeout:
            if sidebar.get_attribute("data-collapsed") != "true":
                raise
    expect(sidebar).to_have_attribute("data-collapsed", "true")
    pg.wait_for_function("() => document.querySelector('[data-testid=\"stSidebar\"]')"  # type: ignore[attr-defined]
                         ".getBoundingClientRect().right <= 1", polling=100)


def open_sidebar(page: object) -> None:
    """Open the sidebar as a user would, then wait until it has slid fully into view (a resize to a
    wide screen may open it by itself a moment later: then there is nothing left to click)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    pg = page
    sidebar = pg.get_by_test_id("stSidebar")  # type: ignore[attr-defined]
    if sidebar.get_attribute("data-collapsed") == "true":
        try:
            pg.get_by_test_id("stExpandSidebarButton").click(timeout=10_000)  # type: ignore[attr-defined]
        except PlaywrightTimeout:
            if sidebar.get_attribute("data-collapsed") == "true":
                raise
    expect(sidebar).to_have_attribute("data-collapsed", "false")
    pg.wait_for_function("() => document.querySelector('[data-testid=\"stSidebar\"]')"  # type: ignore[attr-defined]
                         ".getBoundingClientRect().left >= 0", polling=100)


def sign_in(page: object, role: str = "partner") -> None:
    """Fill in and submit the sign-in form the page shows (sign-in page, a refused page, the workshop).

    Waits until the sidebar names the signed-in user.
    """
    from playwright.sync_api import expect

    name, password = USERS[role]
    pg = page
    main = pg.get_by_test_id("stMain")  # type: ignore[attr-defined]
    main.get_by_label("User name").fill(name)
    main.get_by_label("Password", exact=True).fill(password)
    main.get_by_role("button", name="Sign in").click()
    wait_ready(pg)
    expect(pg.get_by_test_id("stSidebar").get_by_text(f"Signed in as {name}")).to_be_visible()  # type: ignore[attr-defined]


def open_sign_in(page: object, role: str = "partner") -> None:
    """Follow the menu's "Sign in" entry (same session) and sign in as ``role``."""
    pg = page
    pg.get_by_test_id("stSidebarNav").get_by_role("link", name="Sign in").click()  # type: ignore[attr-defined]
    wait_ready(pg)
    pg.get_by_role("heading", name="Sign in").wait_for()  # type: ignore[attr-defined]
    sign_in(pg, role)


def add_to_plan(page: object, card_id: str, owner: str, note: str, due: str | None = None,
                shot_name: str | None = None) -> None:
    """Open the shared "Add to plan" dialog from a card, fill it in and submit it.

    Checks what a user sees: the dialog names the card, closes on success, the
    page says the card was added, and the card then says it is in the plan
    instead of offering to add it again.  ``shot_name`` saves the open dialog.
    """
    from playwright.sync_api import expect

    pg = page
    # The innermost block holding the id is the card itself (its ancestors come first).
    card = pg.get_by_test_id("stVerticalBlock").filter(has_text=f"{card_id} ·").last  # type: ignore[attr-defined]
    card.get_by_role("button", name="Add to plan").click()
    wait_ready(pg)  # opening the dialog is a run of the cards' fragment
    dialog = pg.get_by_role("dialog")  # type: ignore[attr-defined]
    expect(dialog.get_by_text(f"{card_id} ·")).to_be_visible()
    dialog.get_by_label("Owner").fill(owner)
    if due:  # a segmented date field: typing the digits fills year, month and day in turn
        dialog.get_by_role("spinbutton", name="year, Due date").click()
        pg.keyboard.type(due.replace("-", ""))  # type: ignore[attr-defined]
    dialog.get_by_label("Note").fill(note)
    if shot_name:
        shot(pg, shot_name)
    dialog.get_by_role("button", name="Add to plan").click()
    wait_ready(pg)
    expect(dialog).to_be_hidden()
    expect(pg.get_by_test_id("stAlert").filter(has_text=f"Added {card_id}")).to_be_visible()  # type: ignore[attr-defined]
    expect(card.get_by_text("In the action plan")).to_be_visible()
    expect(card.get_by_role("button", name="Add to plan")).to_have_count(0)
