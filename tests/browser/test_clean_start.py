"""A clean start: a new server's first visitor never sees Streamlit's raw list of page files.

Streamlit 1.67 treats an app with a ``pages/`` folder as a legacy multipage app until
``st.navigation`` has run once in the process: the first run of a new server sends a menu made
of the file names ("data management", "leverage cards", "app") before app.py draws the app's
own.  Each test starts its own server (the shared ``server`` fixture may have served pages
already), once as README starts it (``scripts/serve.py``) and once as a plain
``streamlit run app.py``, and records every text the sidebar menu shows from the very first
paint (a MutationObserver installed before any of Streamlit's scripts).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rmo_data.access import roles
from scripts.live_server import ServerDidNotStart, running_server
from tests.browser.conftest import ROOT, new_page, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Every text node under the sidebar menu, as soon as it is added or changed.
RECORD_MENU = """
(() => {
  const seen = window.__menuTexts = [];
  const look = () => {
    for (const nav of document.querySelectorAll('[data-testid="stSidebarNav"]')) {
      for (const el of nav.querySelectorAll('a, span, li')) {
        const text = (el.textContent || '').trim();
        if (text && !seen.includes(text)) seen.push(text);
      }
    }
  };
  new MutationObserver(look).observe(document, {subtree: true, childList: true, characterData: true});
})();
"""


def raw_page_names() -> set[str]:
    """The titles Streamlit gives the files themselves: the file name, underscores as spaces."""
    return {"app", *(Path(spec.path).stem.replace("_", " ") for spec in roles.PAGES)}


@pytest.mark.parametrize("script", [None, "app.py"], ids=["serve.py", "streamlit-run-app.py"])
def test_the_first_visitor_sees_only_the_apps_menu(browser_store: str, browser, script: str | None) -> None:  # noqa: ANN001
    log = ROOT / "test-output" / f"clean-start-{script or 'serve'}.log"
    log.parent.mkdir(exist_ok=True)
    try:
        with running_server(browser_store, log, wait_s=60, script=script) as server:
            page = new_page(browser, 1440, 900)
            try:
                page.context.add_init_script(RECORD_MENU)
                page.goto(server.base_url)
                wait_ready(page)
                first_visit = page.evaluate("() => window.__menuTexts")
                page.goto(f"{server.base_url}/material")  # a second visit, by a page's own address
                wait_ready(page)
                second_visit = page.evaluate("() => window.__menuTexts")
            finally:
                page.context.close()
    except ServerDidNotStart as err:
        pytest.fail(str(err))
    for seen in (first_visit, second_visit):
        # The app's menu was drawn (so the observer saw the menu at all) ...
        assert {"Overview", "Material profile", "Sources & method"} <= set(seen), seen
        # ... and no raw file name ever was, not even for a moment.
        assert not raw_page_names() & set(seen), sorted(raw_page_names() & set(seen))
