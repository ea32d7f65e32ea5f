"""The app's page addresses, served with the server's root already known, so a link opens at once.

Opened at a page's own address (``/prioritisation``), Streamlit's front end does
not know where the server's root is. It first asks ``/prioritisation/_stcore/health``,
gets a 404, waits 100 ms and only then asks ``/_stcore/health`` (a confirmed
Streamlit bug, streamlit/streamlit#7074). Every bookmark, shared view and the
workshop's QR code paid that before anything was drawn: 100–150 ms of a
0.8–0.9 s first render on this app (``bench/clicks.py``).

The front end takes its server's address from ``window.__streamlit.BACKEND_BASE_URL``
when the page sets it. ``routes`` answers ``GET`` (and ``HEAD``) of the app's own
page addresses with Streamlit's own ``index.html`` plus one inline script that
sets it to the folder the page sits in: the root, ``server.baseUrlPath`` and any
prefix of a proxy in front included, since it is read from the address itself.
Every other address is left to Streamlit. It needs starlette only, no streamlit.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

# The page's own folder ("." of /base/prioritisation is /base/): where Streamlit answers.
SCRIPT = ('<script>window.__streamlit=Object.assign({},window.__streamlit,'
          '{BACKEND_BASE_URL:new URL(".",window.location.href).href});</script>')


def shell(index_html: str) -> bytes:
    """Streamlit's ``index.html`` with ``SCRIPT`` as the first thing in its head (before the bundle runs)."""
    head = index_html.find("<head>")
    if head < 0:
        raise ValueError("Streamlit's index.html has no <head>: the page shell cannot be made")
    at = head + len("<head>")
    return (index_html[:at] + SCRIPT + index_html[at:]).encode("utf-8")


def routes(page_paths: Iterable[str], index_html: Path, base_path: str = "") -> list[Route]:
    """A route per page address (``page_paths``, e.g. "prioritisation") under ``base_path``.

    ``index_html`` is Streamlit's own (``streamlit/static/index.html``); it is read once, here.
    """
    body = shell(index_html.read_text(encoding="utf-8"))

    async def endpoint(request: Request) -> Response:
        # no-cache, as Streamlit serves its index.html: a new release's bundle names reach the browser.
        return Response(body, media_type="text/html", headers={"Cache-Control": "no-cache"})

    prefix = "/".join(p for p in base_path.strip("/").split("/") if p)
    return [Route("/" + "/".join(p for p in (prefix, page.strip("/")) if p), endpoint, methods=["GET", "HEAD"])
            for page in dict.fromkeys(page_paths) if page.strip("/")]
