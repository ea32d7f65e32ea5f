"""Walk every page of the app in a real browser, as the public and then as an editor.

The accessibility check (``test_a11y.py``) and the phone layout check
(``test_phone.py``) both need every page in every state a reader reaches
without typing: each page of ``rmo_data.access.roles.PAGES`` the public may
open, then (signed in as an editor, who may open all of them) every page,
and on a page with tabs each tab in turn.  ``every_state`` opens them one
after the other and yields a name for each, once it is drawn.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from rmo_data.access import roles, session_route
from tests.browser.conftest import sign_in, wait_ready


def slug(text: str) -> str:
    """A file-name-safe form of a tab label ("Production & concentration" → "production-concentration")."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _tab_names(page: object) -> list[str]:
    """The labels of the tabs in the page's main area, in order (none on a page without tabs)."""
    tabs = page.get_by_test_id("stMain").get_by_role("tab")  # type: ignore[attr-defined]
    return [t.inner_text().strip() for t in tabs.all()]


def _page_states(page: object, server: str, role: str, spec: roles.PageSpec,
                 tabs: bool) -> Iterator[str]:
    """Open ``spec``'s page and yield its name; with ``tabs``, then open each other tab and yield it too."""
    stem = Path(spec.path).stem
    pg = page
    pg.goto(f"{server}/{stem}")  # type: ignore[attr-defined]
    wait_ready(pg)
    name = f"{role}-{stem}"
    yield name
    if not tabs:
        return
    names = _tab_names(pg)
    for label in names[1:]:  # the first tab is the one already open
        tab = pg.get_by_test_id("stMain").get_by_role("tab", name=label, exact=True)  # type: ignore[attr-defined]
        if tab.count() == 0:  # opening another tab may take a nested tab set away with it
            continue
        tab.first.click()
        wait_ready(pg)
        yield f"{name}-{slug(label)}"


def every_state(page: object, server: str, tabs: bool = True) -> Iterator[str]:
    """Open every page the public may open, then sign in as an editor and open every page.

    Yields a name per state ("public-overview", "editor-material-producers") once it is
    drawn (``wait_ready``), so the caller checks or photographs it there.
    """
    for spec in roles.PAGES:
        if roles.allows(roles.PUBLIC, spec.min_role):
            yield from _page_states(page, server, roles.PUBLIC, spec, tabs)
    pg = page
    pg.goto(f"{server}/sign_in")  # type: ignore[attr-defined]
    wait_ready(pg)
    # The sign-in is kept in a cookie that the page's post to the cookie route sets: once it is
    # answered, a typed address opens in a session that is still signed in.
    with pg.expect_response(lambda r: r.url.endswith(session_route.PATH)  # type: ignore[attr-defined]
                            and r.request.method == "POST") as answer:
        sign_in(pg, "editor")
    assert answer.value.status == 204, "the sign-in cookie was not set"
    for spec in roles.PAGES:
        yield from _page_states(pg, server, roles.EDITOR, spec, tabs)
