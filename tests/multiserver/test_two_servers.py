"""Two real app servers on ONE store, driven by headless Chromium: what one server writes, the other shows.

A deployment behind a load balancer runs several app processes on one store;
each keeps query results, workshop phases and sign-ins in memory.  This module
starts two servers (``python scripts/serve.py`` through ``run_server``), each on
its own loopback port and with its own log
(``test-output/streamlit-two-servers-<backend>-{1,2}.log``), on one private
copy of the built store: one SQLite file in the SQLite run, one PostgreSQL
database in the PostgreSQL run.  Both get the same
``RMO_SESSION_SECRET`` and ``RMO_USERS_FILE`` from the environment, as such a
deployment would set them.

1. An editor's upload applied on server 1 shows on server 2's Risk evidence
   page at its next rerun (after at most ``cached.VERSION_TTL_S``), and so
   does its roll-back: server 2 had the old result cached before.
2. A workshop whose six participants are split between the servers, two of
   them on phones, loses no answer even when all six press Submit at once; the
   group ranking is the same on both servers' facilitator views and on a
   participant's revealed page; the reveal and the close made on server 1
   reach server 2's pages by themselves.
3. A sign-in made on server 1 is honoured on server 2 (a browser sends a
   host's cookies to each of its ports), and a sign-out on server 2 ends it on
   server 1 at its next click, in a copy of the cookie and after a reload.

The tests request a store (``stores``), so the PostgreSQL run keeps them; they
are not marked ``browser`` (that run leaves those out) but ``two_servers``.
Waits are on Streamlit's own run state (``wait_ready``) and on what the page
shows; where the other server may still hold a result for up to
``VERSION_TTL_S``, server 2 is rerun by a user's action until it shows the
change, within a bound.  Screenshots: ``test-output/screenshots/two-servers-<backend>-*.png``.
"""

from __future__ import annotations

import re
import zipfile
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from components import cached
from components import signin as ui_auth
from rmo_data import constants
from rmo_data.access import session_route, sessions
from rmo_data.stewardship import upload_tables
from rmo_data.store import schema
from rmo_data.store.engine import make_engine
from rmo_data.workshops import lifecycle
from scripts.live_server import CHROMIUM, CHROMIUM_ARGS
from tests.browser.conftest import WATCH_RUNS, new_page, run_server, shot, sign_in, wait_ready
from tests.conftest import Stores
from tests.signin import USERS

pytestmark = [pytest.mark.slow, pytest.mark.two_servers]

# After a write on one server, the other shows it at a rerun started within its version TTL; the
# slack covers one rerun of a page on this busy 2-core machine (two servers and a browser).
FOLLOW_SLACK_S = 5.0
# A phase change (reveal, close) reaches an open page that nobody touches: its poll runs every
# second, the phase is kept for half a second and the data version for VERSION_TTL_S.
PHASE_SLACK_S = 8.0


@dataclass(frozen=True)
class Servers:
    """Two app servers on one store."""

    one: str  # base URL of server 1
    two: str  # base URL of server 2
    store: str  # the store's URL, which both run on
    backend: str  # "sqlite" or "postgresql"

    def shot(self, page: object, name: str) -> Path:
        """``shot`` under a name that holds the backend, so each run keeps its own screenshots."""
        return shot(page, f"two-servers-{self.backend}-{name}")


@pytest.fixture(scope="module")
def two_servers(stores: Stores, built_template: str, users_file: Path) -> Iterator[Servers]:
    """Two servers on a private copy of the built store, sharing a session secret and the users file."""
    url = stores.copy(built_template, "two-servers")
    try:
        with pytest.MonkeyPatch.context() as env:
            # Both servers inherit the environment: one signing key, one users file (users_file's).
            env.setenv(sessions.SECRET_ENV, secrets.token_urlsafe(32))
            assert users_file.exists()
            logs = f"streamlit-two-servers-{stores.backend}"  # each run keeps its own pair of logs
            with run_server(url, f"{logs}-1.log") as one, run_server(url, f"{logs}-2.log") as two:
                assert one != two
                yield Servers(one, two, url, stores.backend)
    finally:
        stores.discard(url)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Debian chromium, as the browser tests start it; closed with this module."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run scripts/test.sh, which installs it")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def _phone(browser: object) -> object:
    """A page on a phone (390 × 844, touch) in a new browser context."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True,  # type: ignore[attr-defined]
                                  is_mobile=True)
    context.add_init_script(WATCH_RUNS)
    page = context.new_page()
    page.set_default_timeout(45_000)
    return page


def _metric(page, label: str):  # noqa: ANN001, ANN202
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")


def _rerun_until(page, shown: Callable[[], bool], nudge: Callable[[], None], since: float,  # noqa: ANN001
                 what: str) -> int:
    """Rerun ``page`` by a user's action (``nudge()``) until ``shown()``; returns how many reruns it took.

    Fails when a rerun that started more than ``VERSION_TTL_S + FOLLOW_SLACK_S``
    after the write (at ``since``) still does not show it.
    """
    deadline = since + cached.VERSION_TTL_S + FOLLOW_SLACK_S
    tries = 0
    while True:
        started = time.monotonic()
        nudge()
        wait_ready(page)
        tries += 1
        if shown():
            return tries
        if started > deadline:
            pytest.fail(f"{what}: not shown on server 2 after {tries} rerun(s), the last one "
                        f"{started - since:.1f} s after the write on server 1")


# --- 1. an editor's change -------------------------------------------------------------------------

TOKEN = f"twoserver{uuid.uuid4().hex[:6]}"  # a word no case of the built store holds
CASE_ID = "EV-TWOSERVER-01"
HEADER = ",".join((*upload_tables.SPECS["risk_evidence"].columns, "action"))
CASE = f"{CASE_ID},zinc,mining,water,Peru,,,2024,3,3,2,Tailings spill named {TOKEN},,rmo_report,,"


def _stored(url: str) -> bool:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(schema.risk_evidence.c.id).where(
                schema.risk_evidence.c.id == CASE_ID)).first() is not None
    finally:
        engine.dispose()


def _cases_shown(page) -> str:  # noqa: ANN001
    """The Risk evidence page's count of cases, as shown."""
    return _metric(page, "Cases shown").inner_text().strip()


def _severity_nudge(page) -> Callable[[], None]:  # noqa: ANN001
    """A rerun of the Risk evidence page between two views it has drawn before: min. severity 1 ↔ 2.

    Both keep the new case in view, and each was read (and kept) before the
    write, so only a new data version makes server 2 read the store again.
    """
    def nudge() -> None:
        box = page.get_by_test_id("stMain").get_by_label("Min. severity", exact=True)
        box.fill("1" if box.input_value() == "2" else "2")
        box.press("Enter")
    return nudge


def test_an_editors_upload_on_server_1_shows_on_server_2_at_the_next_click(
        two_servers: Servers, stores: Stores, browser, tmp_path: Path) -> None:  # noqa: ANN001
    s = two_servers
    upload = tmp_path / "case.csv"
    upload.write_text(f"{HEADER}\n{CASE}\n", encoding="utf-8")
    reader, editor = new_page(browser), new_page(browser)  # two people, two devices
    try:
        # Server 2 first: a partner searches for the word, finds nothing, and the result is kept there.
        reader.goto(f"{s.two}/evidence")
        wait_ready(reader)
        sign_in(reader, "partner")
        reader.get_by_role("heading", name="Risk evidence").wait_for()
        search = reader.get_by_test_id("stMain").get_by_label("Search text")
        search.fill(TOKEN)
        search.press("Enter")
        wait_ready(reader)
        expect(reader.get_by_text("No case matches these filters")).to_be_visible()
        expect(_metric(reader, "Cases shown")).to_have_text("0")
        nudge = _severity_nudge(reader)
        nudge()  # the other view the reruns below go back to, read and kept before the write
        wait_ready(reader)
        assert _cases_shown(reader) == "0"
        s.shot(reader, "01-server-2-before")

        # Server 1: the editor uploads the case and applies it.
        editor.goto(f"{s.one}/data_management")
        wait_ready(editor)
        sign_in(editor, "editor")
        expect(editor.get_by_role("heading", name="Upload changes")).to_be_visible()
        wait_ready(editor)
        editor.locator("input[type=file]").first.set_input_files(str(upload))
        expect(editor.get_by_role("heading", name="Rows added (1)")).to_be_visible()
        wait_ready(editor)
        editor.get_by_role("button", name="Apply").click()
        expect(editor.get_by_text(re.compile(r"Applied as change set \d+\."))).to_be_visible()
        applied = time.monotonic()
        assert _stored(s.store)

        # Server 2 again: the next rerun (or the one after, within the version TTL) shows it.
        tries = _rerun_until(reader, lambda: _cases_shown(reader) == "1", nudge, applied, "the uploaded case")
        print(f"[{stores.backend}] the upload showed on server 2 after {tries} rerun(s), "
              f"{time.monotonic() - applied:.1f} s after it was applied")
        expect(reader.get_by_role("heading", name="1 case(s)")).to_be_visible()
        nudge()  # both views now read with the case, before the roll-back
        wait_ready(reader)
        assert _cases_shown(reader) == "1"
        s.shot(editor, "02-server-1-applied")
        s.shot(reader, "03-server-2-after-upload")

        # The roll-back on server 1 takes the case away on server 2 the same way.
        editor.get_by_role("button", name="Roll back", exact=True).click()
        expect(editor.get_by_text(re.compile(r"Change set \d+ rolled back"))).to_be_visible()
        rolled = time.monotonic()
        assert not _stored(s.store)
        tries = _rerun_until(reader, lambda: _cases_shown(reader) == "0", nudge, rolled, "the roll-back")
        print(f"[{stores.backend}] the roll-back showed on server 2 after {tries} rerun(s)")
        expect(reader.get_by_text("No case matches these filters")).to_be_visible()
        s.shot(reader, "04-server-2-after-roll-back")
    finally:
        for page in (reader, editor):
            page.context.close()  # type: ignore[attr-defined]


# --- 2. a workshop split between the servers -------------------------------------------------------

MATS = ["nickel", "graphite", "ree", "zinc"]
CRITS = ["auto_share", "processing_hhi", "severity"]
# Six people: odd places on server 1, even ones on server 2; Caro (server 1) and Dev (server 2) on phones.
PEOPLE: list[tuple[str, dict[str, int]]] = [
    ("Ana", {"auto_share": 9, "processing_hhi": 2, "severity": 4}),
    ("Ben", {"auto_share": 1, "processing_hhi": 8, "severity": 6}),
    ("Caro", {"auto_share": 5, "processing_hhi": 5, "severity": 10}),
    ("Dev", {"auto_share": 7, "processing_hhi": 0, "severity": 3}),
    ("Eli", {"auto_share": 2, "processing_hhi": 9, "severity": 1}),
    ("Fay", {"auto_share": 6, "processing_hhi": 4, "severity": 8}),
]
PHONES = {"Caro", "Dev"}


def _pick(page, label: str, options: list[str]) -> None:  # noqa: ANN001
    """Replace a multiselect's choice with ``options``, typed and picked as a user does."""
    box = page.get_by_test_id("stMultiSelect").filter(has_text=label)
    box.get_by_role("button", name=re.compile("Clear all", re.I)).click()
    for option in options:
        box.locator("input").click()
        page.keyboard.type(option)
        page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")


def _slider(page, label: str, value: int) -> None:  # noqa: ANN001
    """Set a 0-10 slider with the keyboard: Home, then one step right per point."""
    handle = page.get_by_test_id("stSlider").filter(has_text=label).get_by_role("slider")
    handle.focus()
    page.keyboard.press("Home")
    for _ in range(value):
        page.keyboard.press("ArrowRight")
    expect(handle).to_have_value(str(value))


def _download_ranking(page, button, path: Path) -> pd.DataFrame:  # noqa: ANN001
    with page.expect_download(timeout=15_000) as info:
        button.click()
    info.value.save_as(path)
    with zipfile.ZipFile(path) as archive:  # the CSV beside its about.csv (components.provenance)
        (table,) = [n for n in archive.namelist() if n != "about.csv"]
        return pd.read_csv(archive.open(table))


def _ranking_csv(page, code: str, key: str, tmp_path: Path, name: str) -> pd.DataFrame:  # noqa: ANN001
    """The group ranking as the page offers it for download (the table behind its chart).

    The live view redraws itself every 5 seconds and offers its downloads only when paused
    (a click that met a redraw got no file, about 1 click in 40): the facilitator pauses it,
    as the page says, and the one click gets the file.
    """
    page.get_by_test_id("stCheckbox").filter(has_text="Pause live updates").locator("label").click()
    wait_ready(page)
    expect(page.get_by_text(re.compile(r"^Paused at "))).to_be_visible()
    button = page.locator(f".st-key-{key}_{code}_dl_rank").get_by_role("button", name="Download CSV")
    return _download_ranking(page, button, tmp_path / name)


def _chart_order(page) -> list[str]:  # noqa: ANN001
    """The materials down the group ranking chart's axis, top first, as drawn (Vega's SVG)."""
    chart = page.get_by_test_id("stVegaLiteChart").filter(has_text="Group ranking").first
    labels = chart.evaluate(  # every axis label with its height on the page; the score axis's are numbers
        "c => [...c.querySelectorAll('g.role-axis-label text')].map(t => [t.getBoundingClientRect().y, t.textContent])")
    return [text for _, text in sorted(labels) if not re.fullmatch(r"[\d.]+", text)]


def test_a_workshop_split_between_the_servers_loses_no_answer_and_ranks_alike(
        two_servers: Servers, stores: Stores, browser, tmp_path: Path) -> None:  # noqa: ANN001
    s = two_servers
    title = f"Two servers {uuid.uuid4().hex[:6]}"
    engine = make_engine(s.store)
    opened: list[object] = []
    try:
        # 1. The facilitator creates the workshop on server 1.
        fac = new_page(browser)
        opened.append(fac)
        fac.goto(f"{s.one}/workshop")
        wait_ready(fac)
        fac.get_by_role("radio", name="Facilitate").click()
        wait_ready(fac)
        sign_in(fac, "partner")
        fac.get_by_role("textbox", name="Workshop name").fill(title)
        _pick(fac, "Materials in scope", [constants.MATERIAL_LABELS[m] for m in MATS])
        _pick(fac, "Criteria the participants weigh", [constants.CRITERION_LABELS[c] for c in CRITS])
        fac.get_by_role("button", name="Create workshop").click()
        wait_ready(fac)
        code_value = _metric(fac, "Join code")
        expect(code_value).to_have_text(re.compile(r"^[2-9A-HJ-NP-Z]{6}$"))
        code = code_value.inner_text().strip()
        assert fac.get_by_test_id("stCode").inner_text().strip() == f"{s.one}/workshop?join={code}"

        # 2. Six participants open the join link, half of them on server 2's address.
        people = []
        for i, (name, weights) in enumerate(PEOPLE):
            base = s.one if i % 2 == 0 else s.two
            page = _phone(browser) if name in PHONES else new_page(browser)
            opened.append(page)
            # Not waiting for the load here: the six pages load side by side (wait_ready waits below).
            page.goto(f"{base}/workshop?join={code}", wait_until="commit")  # type: ignore[attr-defined]
            people.append((name, weights, base, page))
        for name, _, _, page in people:  # each name sent before waiting: both servers work at once
            wait_ready(page)
            expect(page.get_by_role("heading", name=title)).to_be_visible()  # type: ignore[attr-defined]
            page.get_by_role("textbox", name="Your name").fill(name)  # type: ignore[attr-defined]
            page.keyboard.press("Enter")  # type: ignore[attr-defined]
        for _, weights, _, page in people:
            wait_ready(page)
            for crit, value in weights.items():
                _slider(page, constants.CRITERION_LABELS[crit], value)
        # Everyone presses Submit at once: three writers on each server, one store.
        for _, _, _, page in people:
            page.get_by_role("button", name="Submit my weights").click()  # type: ignore[attr-defined]
        for name, _, _, page in people:
            wait_ready(page)
            expect(page.get_by_text(f"Thank you, {name}: your weights were received")).to_be_visible()  # type: ignore[attr-defined]
        s.shot(people[2][3], "05-server-1-phone-submitted")
        s.shot(people[3][3], "06-server-2-phone-submitted")
        for _, _, base, page in people:  # server 1's participants are done; their polls would only slow the rest
            if base == s.one:
                page.context.close()  # type: ignore[attr-defined]
                opened.remove(page)

        # 3. The store holds every answer, as entered.
        subs = lifecycle.list_submissions(code, engine)
        assert len(subs) == 6, subs
        assert dict(zip(subs["participant"], subs["weights"], strict=True)) == dict(PEOPLE)
        expected = lifecycle.aggregate(code, engine=engine)
        assert expected.n == 6
        order = expected.ranking["name"].tolist()

        # 4. Both servers' facilitator views count six and show the same ranking: the creator on
        # server 1 and an editor co-facilitating on server 2.
        expect(_metric(fac, "Submitted")).to_have_text("6", timeout=20_000)
        expect(fac.get_by_text("6 participant(s).")).to_be_visible(timeout=20_000)  # the 5 s live view
        wait_ready(fac)
        co = new_page(browser)
        opened.append(co)
        co.goto(f"{s.two}/workshop?ws_mode=run&ws={code}")
        wait_ready(co)
        expect(co.get_by_text("Facilitating a workshop is for partners only")).to_be_visible()
        sign_in(co, "editor")
        co.get_by_role("heading", name=title).wait_for()
        expect(_metric(co, "Submitted")).to_have_text("6")
        expect(co.get_by_text("6 participant(s).")).to_be_visible()
        wait_ready(co)
        on_one = _ranking_csv(fac, code, "live", tmp_path, "one.zip")
        on_two = _ranking_csv(co, code, "live", tmp_path, "two.zip")
        assert on_one["Material"].tolist() == order, (on_one, order)
        pd.testing.assert_frame_equal(on_one, on_two)
        for page in (fac, co):
            expect(_metric(page, "Group's first priority")).to_have_text(order[0])
        assert _chart_order(fac) == order and _chart_order(co) == order
        s.shot(fac, "07-server-1-facilitator")
        s.shot(co, "08-server-2-co-facilitator")

        # 5. The reveal on server 1 reaches server 2's pages by themselves, with the same ranking.
        fac.get_by_role("button", name="Reveal the result").click()
        wait_ready(fac)
        revealed = time.monotonic()
        on_two_pages = [page for _, _, base, page in people if base == s.two]
        for page in on_two_pages:
            expect(page.get_by_text("The facilitator has revealed the group's result")).to_be_visible(  # type: ignore[attr-defined]
                timeout=20_000)
        took = time.monotonic() - revealed
        print(f"[{stores.backend}] the reveal reached server 2's participants after {took:.1f} s")
        assert took < PHASE_SLACK_S, took
        expect(co.get_by_role("button", name="Start round 2")).to_be_visible(timeout=20_000)
        dev = people[3][3]
        wait_ready(dev)
        expect(dev.get_by_test_id("stVegaLiteChart").filter(has_text="Group ranking")).to_be_visible()  # type: ignore[attr-defined]
        assert _chart_order(dev) == order
        s.shot(dev, "09-server-2-phone-revealed")

        # 6. Closing on server 1 freezes all six answers; server 2's pages follow by themselves.
        fac.get_by_role("button", name="Close workshop…").click()
        wait_ready(fac)
        expect(fac.get_by_text("Close now with 6 submission(s)?")).to_be_visible()
        fac.get_by_role("button", name="Yes, close it").click()
        wait_ready(fac)
        expect(fac.get_by_text("This record was frozen at closing")).to_be_visible()
        closed = time.monotonic()
        for page in on_two_pages:
            expect(page.get_by_text("This workshop is closed")).to_be_visible(timeout=20_000)  # type: ignore[attr-defined]
        print(f"[{stores.backend}] the close reached server 2's participants after "
              f"{time.monotonic() - closed:.1f} s")
        expect(co.get_by_text("This record was frozen at closing")).to_be_visible(timeout=20_000)
        record = lifecycle.frozen_record(code, engine=engine)
        assert sorted(sub["participant"] for sub in record["submissions"]) == sorted(n for n, _ in PEOPLE)
        assert record["result"] == expected.to_record()
        s.shot(co, "10-server-2-closed")
    finally:
        for page in opened:
            page.context.close()  # type: ignore[attr-defined]
        engine.dispose()


# --- 3. one sign-in for both servers ---------------------------------------------------------------

def _route_answer(page):  # noqa: ANN001, ANN202
    """Wait for the page's post to its server's cookie route (its answer sets or clears the cookie)."""
    return page.expect_response(lambda r: r.url.endswith(session_route.PATH) and r.request.method == "POST")


def _kept_cookie(page) -> dict | None:  # noqa: ANN001
    kept = [c for c in page.context.cookies() if c["name"] == ui_auth.COOKIE]
    return kept[0] if kept else None


# A page for partners only, and a light one: each step of this test draws it afresh.
PARTNER_PAGE = "Stakeholders & initiatives"


def _signed_in_on_partner_page(page, name: str) -> None:  # noqa: ANN001
    page.get_by_role("heading", name=PARTNER_PAGE).wait_for()
    expect(page.get_by_text("This page is for partners.")).to_have_count(0)
    expect(page.get_by_test_id("stSidebar").get_by_text(f"Signed in as {name}")).to_be_visible()


def test_a_sign_in_on_server_1_holds_on_server_2_and_a_sign_out_there_ends_it(
        two_servers: Servers, stores: Stores, browser) -> None:  # noqa: ANN001
    s = two_servers
    name, _ = USERS["partner"]
    first = new_page(browser)  # one browser: two tabs, one on each server
    second = first.context.new_page()  # type: ignore[attr-defined]
    second.set_default_timeout(45_000)
    other = new_page(browser)  # another device holding a copy of the cookie
    try:
        # Signed in on server 1: the cookie belongs to the host, so server 2 gets it too.
        first.goto(f"{s.one}/stakeholders")
        wait_ready(first)
        with _route_answer(first) as answer:
            sign_in(first, "partner")
        assert answer.value.status == 204
        _signed_in_on_partner_page(first, name)
        cookie = _kept_cookie(first)
        assert cookie is not None and cookie["domain"] == "127.0.0.1" and cookie["httpOnly"] is True
        second.goto(f"{s.two}/stakeholders")
        wait_ready(second)
        _signed_in_on_partner_page(second, name)
        s.shot(second, "11-server-2-signed-in-on-server-1")
        other.context.add_cookies([cookie])  # type: ignore[attr-defined]

        # Signed out on server 2: the cookie goes, and the user's sign-ins end everywhere.
        with _route_answer(second):
            second.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
        wait_ready(second)
        expect(second.get_by_text("This page is for partners.")).to_be_visible()
        assert _kept_cookie(second) is None

        # Server 1's open tab: its next click is refused, with the reason.
        first.get_by_test_id("stSidebarNav").get_by_role("link", name=PARTNER_PAGE).click()
        wait_ready(first)
        expect(first.get_by_text("This page is for partners.")).to_be_visible()
        expect(first.get_by_text("this account signed out in another browser")).to_be_visible()
        s.shot(first, "12-server-1-after-sign-out-on-server-2")
        first.reload()
        wait_ready(first)
        expect(first.get_by_test_id("stSidebar").get_by_text("Public view.")).to_be_visible()
        expect(first.get_by_text("This page is for partners.")).to_be_visible()

        # The copy of the old cookie on another device no longer opens server 1 either.
        other.goto(f"{s.one}/stakeholders")
        wait_ready(other)
        expect(other.get_by_text("This page is for partners.")).to_be_visible()
        expect(other.get_by_test_id("stSidebar").get_by_text(f"Signed in as {name}")).to_have_count(0)
        s.shot(other, "13-server-1-old-cookie-refused")
    finally:
        for page in (first, other):
            page.context.close()  # type: ignore[attr-defined]
