"""A workshop in a real browser: a facilitator and two participants on their own "devices".

The facilitator creates a workshop, two participant browser contexts open the
shared link and submit, the facilitator's live view counts them, presentation
mode hides the sidebar, and closing shows the frozen record.  Screenshots go
to test-output/screenshots/workshop-*.png.  The server's store (``browser_store``) is shared with
the other browser tests, so the workshop gets a name unique to this run;
expected results come from ``rmo_data.workshops.workshop`` on the same store.  The
facilitator signs in as a partner; participants need no account, only the code.  After
submitting, a participant's address holds their private key, so a reload brings back their
own answer.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from rmo_data import constants
from rmo_data.workshops import lifecycle, records
from rmo_data.store.engine import make_engine
from tests.browser.conftest import new_page, shot, sign_in, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MATS = ["nickel", "graphite", "ree", "zinc", "tantalum", "aluminium"]
CRITS = ["auto_share", "processing_hhi", "gov_hhi", "severity", "social_breadth", "env_breadth"]


def _metric(page, label: str):  # noqa: ANN001, ANN202
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")


def _multiselect(page, label: str, options: list[str], clear: bool = False) -> None:  # noqa: ANN001
    box = page.get_by_test_id("stMultiSelect").filter(has_text=label)
    if clear:
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


def _participant(browser, link: str, name: str, weights: dict[str, int], flag: str) -> object:  # noqa: ANN001
    """A new browser context (another device) that opens the link and submits."""
    page = new_page(browser)
    page.goto(link)
    wait_ready(page)
    # The link opens the participant's focused view, titled with the workshop's name.
    expect(page.get_by_role("button", name="Submit my weights")).to_be_visible()
    page.get_by_role("textbox", name="Your name").fill(name)
    page.keyboard.press("Enter")
    wait_ready(page)
    for crit, value in weights.items():
        _slider(page, constants.CRITERION_LABELS[crit], value)
    _multiselect(page, "Materials you think matter most", [flag])
    page.get_by_role("button", name="Submit my weights").click()
    wait_ready(page)
    expect(page.get_by_text(f"Thank you, {name}: your weights were received")).to_be_visible()
    expect(page.get_by_role("button", name="Revise my weights")).to_be_visible()
    # The address now holds the participant's private key, which brings their answer back.
    expect(page).to_have_url(re.compile(rf"[?&]join={code_of(link)}(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]p=[A-Za-z0-9_-]{20,}(&|$)"))
    return page


def code_of(link: str) -> str:
    return link.rsplit("join=", 1)[-1]


def test_facilitator_and_two_participants(server: str, page, browser, browser_store: str) -> None:  # noqa: ANN001
    title = f"Browser workshop {uuid.uuid4().hex[:6]}"
    engine = make_engine(browser_store)  # the store the server runs on

    # 1. The facilitator creates the workshop from the Workshop page.
    page.goto(f"{server}/workshop")
    wait_ready(page)
    page.get_by_role("heading", name="Workshop", exact=True).wait_for()
    page.get_by_role("radio", name="Facilitate").click()
    wait_ready(page)
    # Facilitating needs a partner: the page asks to sign in, then shows the create form.
    expect(page.get_by_text("Facilitating a workshop is for partners only")).to_be_visible()
    sign_in(page, "partner")
    page.get_by_role("textbox", name="Workshop name").fill(title)
    _multiselect(page, "Materials in scope", [constants.MATERIAL_LABELS[m] for m in MATS], clear=True)
    _multiselect(page, "Criteria the participants weigh", [constants.CRITERION_LABELS[c] for c in CRITS], clear=True)
    page.get_by_role("button", name="Create workshop").click()
    wait_ready(page)
    code_value = _metric(page, "Join code")
    expect(code_value).to_have_text(re.compile(r"^[2-9A-HJ-NP-Z]{6}$"))
    code = code_value.inner_text().strip()
    link = page.get_by_test_id("stCode").inner_text().strip()
    assert link == f"{server}/workshop?join={code}"
    expect(page).to_have_url(re.compile(rf"[?&]ws={code}(&|$)"))
    expect(_metric(page, "Submitted")).to_have_text("0")
    expect(page.locator(".st-key-ws_share")).to_contain_text("Participants open this link")
    shot(page, "workshop-01-facilitator-share-box")

    # 2. Two participants, each in their own browser context, join through the link.
    ana = _participant(browser, link, "Ana", {"processing_hhi": 9, "severity": 2, "auto_share": 7}, "Nickel")
    shot(ana, "workshop-02-participant-ana")
    # A reload (the same link on the same device) brings back her own answer, ready to revise.
    ana.reload()  # type: ignore[attr-defined]
    wait_ready(ana)
    expect(ana.get_by_text("You take part as Ana")).to_be_visible()  # type: ignore[attr-defined]
    expect(ana.get_by_role("button", name="Revise my weights")).to_be_visible()  # type: ignore[attr-defined]
    expect(ana.get_by_role("textbox", name="Your name")).to_have_count(0)  # type: ignore[attr-defined]
    ben = _participant(browser, link, "Ben", {"processing_hhi": 1, "severity": 10, "social_breadth": 9},
                       "Rare earth elements")
    shot(ben, "workshop-03-participant-ben")

    # 3. The facilitator's live view picks them up on its own (it refreshes every 5 s).
    expect(_metric(page, "Submitted")).to_have_text("2", timeout=20_000)
    wait_ready(page)
    expected = lifecycle.aggregate(code, engine=engine)
    assert expected.n == 2
    expect(_metric(page, "Group's first priority")).to_have_text(expected.ranking["name"].iloc[0])
    expect(page.get_by_text("Weights far apart on:")).to_be_visible()
    expect(page.get_by_test_id("stVegaLiteChart").filter(has_text="Group ranking")).to_be_visible()
    expect(_metric(page, "Ranking agreement (Kendall's W, 0–1)")).to_have_text(
        records.agreement_text(expected))
    shot(page, "workshop-04-facilitator-live")

    # 4. Presentation mode: no sidebar, the workshop's name as a big title.
    page.get_by_role("button", name="Presentation mode").click()
    wait_ready(page)
    page.get_by_role("heading", name=title).wait_for()
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    expect(page).to_have_url(re.compile(r"[?&]present=1(&|$)"))
    # Hidden from the room until the reveal; then the projector and both phones show it.
    expect(page.get_by_text("stays hidden until the facilitator reveals it")).to_be_visible()
    shot(page, "workshop-05a-presentation-hidden")
    for other in (ana, ben):
        expect(other.get_by_text("The group's result", exact=True)).to_have_count(0)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Reveal the result").click()
    wait_ready(page)
    expect(page.get_by_test_id("stVegaLiteChart").filter(has_text="Group ranking")).to_be_visible()
    shot(page, "workshop-05-presentation")
    for other in (ana, ben):  # each open page polls the phase every second: no reload
        expect(other.get_by_text("The facilitator has revealed the group's result")).to_be_visible()  # type: ignore[attr-defined]
        wait_ready(other)
        expect(other.get_by_test_id("stVegaLiteChart").filter(has_text="Group ranking")).to_be_visible()  # type: ignore[attr-defined]
    shot(ana, "workshop-05b-participant-revealed")
    page.get_by_role("radio", name="Weights").click()
    wait_ready(page)
    expect(page.get_by_test_id("stVegaLiteChart").filter(has_text="Where the group agrees")).to_be_visible()
    shot(page, "workshop-06-presentation-weights")
    page.get_by_role("button", name="Leave presentation").click()
    wait_ready(page)
    expect(page.get_by_test_id("stSidebar")).to_be_visible()

    # 5. Close: a confirmation, then the frozen record.
    page.get_by_role("button", name="Close workshop…").click()
    wait_ready(page)
    expect(page.get_by_text("Close now with 2 submission(s)?")).to_be_visible()
    page.get_by_role("button", name="Yes, close it").click()
    wait_ready(page)
    expect(page.get_by_text("This record was frozen at closing")).to_be_visible()
    record = lifecycle.frozen_record(code, engine=engine)
    assert [s["participant"] for s in record["submissions"]] == ["Ana", "Ben"]
    assert record["result"] == expected.to_record()
    page.get_by_text("Briefing pack (PowerPoint and PDF)").click()  # the box near the top of the record
    wait_ready(page)  # built when opened (a rerun)
    expect(page.get_by_role("button", name="Prepare briefing pack")).to_be_visible()
    expect(page.get_by_role("button", name="Record (JSON)")).to_be_visible()
    shot(page, "workshop-07-frozen-record")

    # 6. A participant who reloads sees the frozen result and no form.
    ana.reload()  # type: ignore[attr-defined]
    wait_ready(ana)
    expect(ana.get_by_text("This workshop is closed")).to_be_visible()  # type: ignore[attr-defined]
    expect(ana.get_by_role("button", name="Revise my weights")).to_have_count(0)  # type: ignore[attr-defined]
    expect(ana.get_by_role("button", name="Record (JSON)")).to_have_count(0)  # type: ignore[attr-defined]
    shot(ana, "workshop-08-participant-after-close")
    for other in (ana, ben):
        other.context.close()  # type: ignore[attr-defined]
    engine.dispose()
