"""Offline: no page asks any host but the app's own for anything (a workshop laptop may have no internet).

Every page of ``rmo_data.access.roles.PAGES`` is opened in a real browser, as the
public and then as an editor (who may open all of them), and every request
the page makes is recorded: fonts, icons, favicons, scripts and images must all
come from the app's server (or be inline data).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rmo_data.access import roles
from tests.browser.conftest import new_page, sign_in, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_no_page_asks_another_host_for_anything(server: str, browser) -> None:  # noqa: ANN001
    page = new_page(browser, 1440, 900)
    outside: list[str] = []
    # Inline data and blobs never leave the browser; everything else must go to the app's server.
    page.on("request", lambda r: outside.append(f"{page.url} → {r.url}")
            if not r.url.startswith((server, "data:", "blob:", "about:")) else None)
    try:
        page.goto(server)
        wait_ready(page)
        for spec in roles.PAGES:
            if roles.allows(roles.PUBLIC, spec.min_role):
                page.goto(f"{server}/{Path(spec.path).stem}")
                wait_ready(page)
        page.goto(f"{server}/sign_in")
        wait_ready(page)
        sign_in(page, "editor")
        for spec in roles.PAGES:
            page.goto(f"{server}/{Path(spec.path).stem}")
            wait_ready(page)
        assert len(roles.PAGES) >= 10 and not outside, outside
    finally:
        page.context.close()
