"""Access roles in a real browser: a public visitor, a refused address, signing in and out.

Screenshots go to test-output/screenshots/access-*.png (look at them).  The
test users are those of ``tests/signin.py``, in the temporary users file the
server was started with.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from rmo_data import auth
from tests.browser.conftest import new_page, run_server, shot, sign_in, wait_ready
from tests.signin import USERS

pytestmark = pytest.mark.browser


def test_public_is_refused_prioritisation_until_signed_in_as_partner(server: str, page) -> None:  # noqa: ANN001
    # 1. A public visitor opens the Prioritisation address directly.
    page.goto(f"{server}/prioritisation")
    wait_ready(page)
    page.get_by_role("heading", name="Prioritisation").wait_for()
    expect(page.get_by_text("This page is for partners. Sign in as a partner to open this page.")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame")).to_have_count(0)  # none of the page's content
    expect(page.get_by_test_id("stSlider")).to_have_count(0)
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_role("link", name="Overview")).to_be_visible()
    for locked in ("Prioritisation", "Leverage cards", "Risk evidence", "Stakeholders & initiatives"):
        expect(nav.get_by_role("link", name=locked, exact=True)).to_have_count(0)
    expect(page.get_by_test_id("stSidebar").get_by_text("Public view.")).to_be_visible()
    shot(page, "access-01-public-refused")

    # 2. A wrong password is refused with a plain message and the password field emptied.
    name, password = USERS["partner"]
    main = page.get_by_test_id("stMain")
    main.get_by_label("User name").fill(name)
    main.get_by_label("Password", exact=True).fill("not-the-password")
    main.get_by_role("button", name="Sign in").click()
    wait_ready(page)
    expect(page.get_by_text(auth.WRONG)).to_be_visible()
    expect(main.get_by_label("Password", exact=True)).to_have_value("")
    expect(page.get_by_test_id("stDataFrame")).to_have_count(0)
    shot(page, "access-02-wrong-password")

    # 3. The right password, on the same form: the same address now holds the page.
    sign_in(page, "partner")
    page.get_by_role("heading", name="Prioritisation").wait_for()
    expect(page.get_by_text("Sign in as a partner to open this page")).to_have_count(0)
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    expect(page.get_by_test_id("stSlider").first).to_be_visible()
    assert page.url.split("?")[0].endswith("/prioritisation")
    expect(nav.get_by_role("link", name="Leverage cards", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Data management", exact=True)).to_have_count(0)
    expect(page.get_by_test_id("stSidebar").get_by_text(f"Signed in as {name}")).to_contain_text("Partner")
    shot(page, "access-03-partner-prioritisation")

    # 4. Signing out in the sidebar: back to the public view, the page refused again.
    page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    wait_ready(page)
    expect(page.get_by_text("Sign in as a partner to open this page")).to_be_visible()
    expect(nav.get_by_role("link", name="Prioritisation", exact=True)).to_have_count(0)
    shot(page, "access-04-signed-out")


def test_public_material_profile_points_to_signing_in(server: str, page) -> None:  # noqa: ANN001
    page.goto(f"{server}/material?material=nickel")
    wait_ready(page)
    page.get_by_role("heading", name="Nickel").wait_for()
    page.get_by_role("tab", name="Evidence").click()
    wait_ready(page)
    expect(page.get_by_text("Partners who sign in also see each case")).to_be_visible()
    expect(page.get_by_role("button", name="Download CSV")).to_have_count(0)
    expect(page.get_by_role("button", name="Prepare briefing pack")).to_have_count(0)
    expect(page.get_by_text("Partners who sign in also see briefing packs")).to_be_visible()
    shot(page, "access-05-public-material-evidence")


def test_partner_address_on_a_fresh_server_is_refused_not_run(built_url: str, browser) -> None:  # noqa: ANN001
    """The first request of a new server runs pages/ scripts on their own: the guard must still refuse."""
    with run_server(built_url, "streamlit-fresh-access.log") as base:
        page = new_page(browser)
        context = page.context
        page.goto(f"{base}/leverage_cards?lc_cat=commercial")
        wait_ready(page)
        page.get_by_role("heading", name="Leverage cards").wait_for()
        expect(page.get_by_text("Sign in as a partner to open this page")).to_be_visible()
        expect(page.get_by_role("button", name="Add to plan")).to_have_count(0)
        expect(page.get_by_test_id("stSidebar").get_by_text("Filters", exact=True)).to_be_visible()  # the router ran
        shot(page, "access-06-fresh-server-refused")
        sign_in(page, "partner")
        page.get_by_role("heading", name="Leverage cards").wait_for()
        expect(page.get_by_role("button", name="Add to plan").first).to_be_visible()
        # The link's card filter survived the refusal and the sign-in.
        expect(page.get_by_test_id("stMultiSelect").get_by_text("Traditional commercial leverage")).to_be_visible()
        shot(page, "access-07-fresh-server-partner")
        context.close()
