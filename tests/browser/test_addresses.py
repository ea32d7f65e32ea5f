"""Every page opens at its file name, the default page (Overview) included.

Streamlit serves the default page at ``/`` only: ``/overview`` showed "Page not found"
while ``/material`` or ``/sources`` opened their pages.  The router adds a hidden page at
the default page's file name that opens it (components/router.py).

Opened at a page's address, Streamlit's front end first asked the page's own
``/<page>/_stcore/health`` (a 404) and waited 100 ms before asking the root
(streamlit/streamlit#7074); the app serves its page addresses with the root filled
in (rmo_data/access/page_shell.py), so each opens with one health check, at the root.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from rmo_data.access import roles
from tests.browser.conftest import wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The menu marks the page that is open with aria-current="page".
OPEN_IN_MENU = "[data-testid='stSidebarNav'] a[aria-current='page']"


def test_every_public_page_opens_at_its_file_name(server: str, page) -> None:  # noqa: ANN001
    # A first visit makes the server run st.navigation (a new server's very first run serves pages/
    # itself), so the addresses below are resolved as every later visitor's are.
    page.goto(server)
    wait_ready(page)
    public = [spec for spec in roles.PAGES if spec.min_role == roles.PUBLIC]
    assert any(spec.default for spec in public)
    checks: list[tuple[int, str]] = []
    page.on("response", lambda r: checks.append((r.status, r.url)) if r.url.endswith("/_stcore/health") else None)
    for spec in public:
        checks.clear()
        page.goto(f"{server}/{spec.url_path}")
        wait_ready(page)
        expect(page.get_by_text("Page not found")).to_have_count(0)
        expect(page.locator(OPEN_IN_MENU)).to_have_text(re.compile(re.escape(spec.title) + "$"))
        # One check, at the root, answered (the default page's address moves on to "/" in the same page).
        assert checks == [(200, f"{server}/_stcore/health")], (spec.url_path, checks)


def test_the_overview_address_keeps_the_links_filters(server: str, page) -> None:  # noqa: ANN001
    page.goto(server)
    wait_ready(page)
    page.goto(f"{server}/overview?material=nickel")
    wait_ready(page)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
    # The Overview is served at "/", with the link's focus material.
    expect(page).to_have_url(re.compile(r"/\?(.*&)?material=nickel(&|$)"))
    expect(page.get_by_role("link", name=re.compile("Open the profile of Nickel"))).to_be_visible()
