"""A sign-in that survives a reload and a server restart, and a sign-out that sticks, in a real browser.

The test starts its own server (``run_server``, i.e. ``scripts/serve.py``) so it
can stop it and start a new one: the new process has none of the old sessions
in memory, so only the browser's cookie and the files beside the users file
carry the sign-in over.  The second server listens on another port of the same
host; a browser sends a host's cookies to each of its ports, as it would to the
same address after a restart.  Screenshots: test-output/screenshots/persist-*.png.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from components import signin as ui_auth
from rmo_data.access import session_route
from tests.browser.conftest import new_page, run_server, shot, sign_in, wait_ready
from tests.signin import USERS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _open(page, url: str) -> None:  # noqa: ANN001
    page.goto(url)
    wait_ready(page)


def _route_answer(page):  # noqa: ANN001, ANN202
    """Wait for the page's post to the cookie route (the server's answer sets or clears the cookie)."""
    return page.expect_response(lambda r: r.url.endswith(session_route.PATH) and r.request.method == "POST")


def _cookie(page) -> dict | None:  # noqa: ANN001
    kept = [c for c in page.context.cookies() if c["name"] == ui_auth.COOKIE]
    return kept[0] if kept else None


def _signed_in_on_prioritisation(page, name: str) -> None:  # noqa: ANN001
    page.get_by_role("heading", name="Prioritisation").wait_for()
    expect(page.get_by_text("Sign in as a partner to open this page")).to_have_count(0)
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_text(f"Signed in as {name}")).to_be_visible()


def test_sign_in_survives_reload_and_restart_and_sign_out_sticks(browser_store: str, browser) -> None:  # noqa: ANN001
    name, password = USERS["partner"]
    page = new_page(browser, 1440, 900)
    try:
        with run_server(browser_store, "streamlit-persist-1.log") as base:
            # 1. Sign in on the refused Prioritisation address: a cookie holds a signed token, not the password.
            _open(page, f"{base}/prioritisation")
            with _route_answer(page) as answer:
                sign_in(page, "partner")
            assert answer.value.status == 204
            _signed_in_on_prioritisation(page, name)
            cookie = _cookie(page)
            assert cookie is not None and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
            assert password not in cookie["value"] and cookie["expires"] > 0
            # HTTP-only: set by the server's route, out of reach of any script on the page.
            assert cookie["httpOnly"] is True
            assert ui_auth.COOKIE not in page.evaluate("document.cookie")
            shot(page, "persist-01-signed-in")

            # 2. A reload starts a new browser session: still signed in, the page still there.
            page.reload()
            wait_ready(page)
            _signed_in_on_prioritisation(page, name)
            shot(page, "persist-02-after-reload")

            # 3. Sign out, reload: signed out, and the cookie is gone.
            with _route_answer(page):
                page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
            wait_ready(page)
            expect(page.get_by_text("Sign in as a partner to open this page")).to_be_visible()
            assert _cookie(page) is None
            page.reload()
            wait_ready(page)
            expect(page.get_by_text("Sign in as a partner to open this page")).to_be_visible()
            expect(page.get_by_test_id("stSidebar").get_by_text("Public view.")).to_be_visible()
            expect(page.get_by_test_id("stDataFrame")).to_have_count(0)
            shot(page, "persist-03-signed-out-after-reload")

            # 4. Sign in again before the restart.
            with _route_answer(page):
                sign_in(page, "partner")
            _signed_in_on_prioritisation(page, name)
            assert _cookie(page) is not None

        # 5. A new server process, same browser context: still signed in.
        with run_server(browser_store, "streamlit-persist-2.log") as base:
            _open(page, f"{base}/prioritisation")
            _signed_in_on_prioritisation(page, name)
            shot(page, "persist-04-after-restart")

            # 6. On a phone of the same person (a copy of the cookie): signed in; then a sign-out on the
            # desktop ends it there too.
            phone = new_page(browser, 390, 844)
            cookie = _cookie(page)
            assert cookie is not None
            phone.context.add_cookies([cookie])
            _open(phone, f"{base}/sign_in")
            expect(phone.get_by_test_id("stMain").get_by_text(f"Signed in as {name}")).to_be_visible()
            shot(phone, "persist-05-phone-signed-in")
            page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
            wait_ready(page)
            phone.reload()  # the phone still holds its copy of the token: the server refuses it now
            wait_ready(phone)
            expect(phone.get_by_test_id("stMain").get_by_label("User name")).to_be_visible()
            shot(phone, "persist-06-phone-after-sign-out-elsewhere")
            phone.context.close()
    finally:
        page.context.close()
