"""Access roles in a real browser: a public visitor, a refused address, signing in and out.

Screenshots go to test-output/screenshots/access-*.png (look at them).  The
test users are those of ``tests/signin.py``, in the temporary users file the
server was started with.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from rmo_data.access import accounts
from tests.browser.conftest import new_page, run_server, shot, sign_in, wait_ready
from tests.signin import USERS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


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
    expect(page.get_by_text(accounts.WRONG)).to_be_visible()
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
        expect(page.get_by_role("toolbar", name="Leverage category")  # the category pill is chosen
               .get_by_role("button", name=re.compile(r"^Traditional commercial leverage \(\d+\)$"))
               ).to_have_attribute("aria-pressed", "true")
        shot(page, "access-07-fresh-server-partner")
        context.close()


def test_public_tables_offer_no_built_in_download(server: str, page) -> None:  # noqa: ANN001
    """Streamlit's own table toolbar has no "Download as CSV" (config ``client.disableDataExport``).

    Downloads are the app's own buttons, for partners; the toolbar would hand the
    public a CSV, and one whose cells are not guarded against spreadsheet formulas.
    A chart's "Show data" table is checked too.
    """
    page.goto(f"{server}/")
    wait_ready(page)
    page.get_by_role("heading", name="Overview").first.wait_for()
    holder = page.locator("[data-testid='stElementContainer']:has([data-testid='stDataFrame'])").first
    holder.scroll_into_view_if_needed()
    holder.hover()
    toolbar = holder.get_by_test_id("stElementToolbar")
    # The toolbar itself is there (its search and full-screen buttons), only the download is not.
    expect(toolbar.get_by_role("button", name="Search")).to_be_visible()
    expect(toolbar.get_by_role("button", name="Fullscreen")).to_be_visible()
    expect(toolbar.get_by_role("button", name="Download as CSV")).to_have_count(0)
    shot(page, "access-08-public-table-toolbar")

    # The overview's heat map (key ov_heat): its "Show data" swaps the chart for a table in place.
    chart = page.locator(".st-key-ov_heat")
    expect(chart.get_by_test_id("stVegaLiteChart")).to_be_visible()
    chart.scroll_into_view_if_needed()
    chart.hover()
    chart.get_by_role("button", name="Show data").click()
    data_view = chart.get_by_test_id("stDataFrame")
    expect(data_view).to_be_visible()
    data_view.hover()
    expect(chart.get_by_role("button", name="Search")).to_be_visible()
    expect(chart.get_by_role("button", name="Download as CSV")).to_have_count(0)
    shot(page, "access-09-public-chart-data-view")
