"""The page addresses served with the server's root filled in (``rmo_data.access.page_shell``).

Driven through real ASGI calls on Streamlit's own ``index.html``, as the app's
server (``asgi.py``) serves them; the browser side (one health check, at the
root, for a page opened at its address) is in tests/browser/test_addresses.py.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import streamlit
from starlette.applications import Starlette

from rmo_data.access import page_shell, roles

INDEX = Path(streamlit.__file__).parent / "static" / "index.html"


def _get(app: Starlette, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """One request to ``app``: the status, the headers (lower-case names) and the body."""
    sent: list[dict] = []
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"material=nickel",
             "root_path": "", "server": ("rmo.example", 80), "client": ("127.0.0.1", 5000),
             "headers": [(b"host", b"rmo.example")]}

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}, body


def test_the_shell_is_streamlits_page_with_the_script_first_in_its_head() -> None:
    original = INDEX.read_text(encoding="utf-8")
    made = page_shell.shell(original).decode("utf-8")
    # Nothing of Streamlit's page is lost, and the script runs before the bundle it configures.
    assert made.replace(page_shell.SCRIPT, "", 1) == original
    assert made.index(page_shell.SCRIPT) < made.index('type="module"')
    assert made.index("<head>") < made.index(page_shell.SCRIPT)


def test_a_page_without_a_head_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="no <head>"):
        page_shell.shell("<html><body></body></html>")


def test_every_page_address_answers_with_the_shell_and_nothing_else_does() -> None:
    app = Starlette(routes=page_shell.routes([p.url_path for p in roles.PAGES], INDEX))
    for spec in roles.PAGES:
        status, headers, body = _get(app, f"/{spec.url_path}")
        assert status == 200, spec.url_path
        assert headers["content-type"].startswith("text/html")
        assert headers["cache-control"] == "no-cache"  # a new release's bundle names reach the browser
        assert page_shell.SCRIPT.encode() in body
    assert _get(app, f"/{roles.PAGES[0].url_path}", "HEAD")[0] == 200
    # Streamlit's own addresses are not taken: they fall through (here, to nothing).
    for other in ("/", "/_stcore/health", "/static/js/index.js", "/prioritisation/_stcore/health", "/nosuch"):
        assert _get(app, other)[0] == 404, other


def test_under_a_base_path_the_routes_sit_below_it() -> None:
    app = Starlette(routes=page_shell.routes(["prioritisation", "prioritisation", ""], INDEX, "/rmo/"))
    assert [r.path for r in app.routes] == ["/rmo/prioritisation"]  # one per page; an empty name is none
    assert _get(app, "/rmo/prioritisation")[0] == 200
    assert _get(app, "/prioritisation")[0] == 404
