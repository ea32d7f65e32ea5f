"""Walk every page of the app in a real browser, as the public and then as an editor.

The accessibility check (``test_a11y.py``) and the phone layout check
(``test_phone.py``) both need every page in every state a reader reaches
without typing: each page of ``rmo_data.access.roles.PAGES`` the public may
open, then (signed in as an editor, who may open all of them) every page,
and on a page with tabs each tab in turn, opened with the keyboard (so every tab
is shown to be reachable without a mouse).  ``every_state`` opens them one
after the other and yields a name for each, once it is drawn; ``full_shot``
photographs the whole of a page (Streamlit scrolls inside its main area, so
the viewport is grown to its height for the capture).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import expect

from rmo_data.access import roles, session_route
from tests.browser.conftest import _after_layout, sign_in, wait_ready


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
    # The default page (the Overview) is at the app's root address.
    pg.goto(f"{server}/" if spec.default else f"{server}/{stem}")  # type: ignore[attr-defined]
    wait_ready(pg)
    name = f"{role}-{stem}"
    # A wrong address would show Streamlit's "Page not found" over the main page instead.
    expect(pg.get_by_text("Page not found")).to_have_count(0)  # type: ignore[attr-defined]
    yield name
    if not tabs:
        return
    names = _tab_names(pg)
    main = pg.get_by_test_id("stMain")  # type: ignore[attr-defined]
    # With the keyboard, as a reader without a mouse does: focus the open tab, then the arrow key
    # opens the next one (on a phone the tab strip scrolls sideways, so some tabs are off screen).
    for before, label in zip(names, names[1:]):
        main.get_by_role("tab", name=before, exact=True).first.focus()
        pg.keyboard.press("ArrowRight")  # type: ignore[attr-defined]
        wait_ready(pg)
        tab = main.get_by_role("tab", name=label, exact=True).first
        expect(tab).to_have_attribute("aria-selected", "true")
        # The open tab is the strip's one stop in the tab order (roving focus): a reader tabbing in
        # lands on it, and the checks that follow see the strip as it settles.
        expect(tab).to_have_attribute("tabindex", "0")
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


def full_shot(page: object, path: Path) -> None:
    """A screenshot of the whole page: the viewport grown to the main area's height for the capture."""
    pg = page
    size = pg.viewport_size  # type: ignore[attr-defined]
    height = pg.evaluate("() => Math.max(document.querySelector('[data-testid=\"stMain\"]').scrollHeight, "  # type: ignore[attr-defined]
                         "window.innerHeight)")
    pg.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 8000)})  # type: ignore[attr-defined]
    _after_layout(pg)
    pg.screenshot(path=str(path))  # type: ignore[attr-defined]
    pg.set_viewport_size(size)  # type: ignore[attr-defined]
    _after_layout(pg)
