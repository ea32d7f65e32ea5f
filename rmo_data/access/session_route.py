"""An HTTP route that keeps the sign-in in an HTTP-only cookie.

A Streamlit script cannot send a ``Set-Cookie`` header, and a cookie written
by the page's JavaScript can be read by any script on the page.  So when the
app runs as an ASGI application (``asgi.py``, which ``python scripts/serve.py``
starts), it also serves ``POST /_rmo/session``: the page sends it a short-lived
*ticket* (``sessions.issue(ticket=True)``, a minute at most), and the route
answers with the real session token in a cookie that is ``HttpOnly``,
``SameSite=Strict``, ``Path=/`` and ``Secure`` over HTTPS.  The long-lived
token never passes through JavaScript; the ticket is refused as a session
token.  ``{"clear": true}`` drops the cookie (the page's *Sign out*).

The route refuses a request whose ``Origin`` is another site's, bodies over
``MAX_BODY`` bytes, and tickets that do not verify (bad signature, expired,
revoked, removed user).  It needs starlette only (Streamlit's own server), no
streamlit: ``components.signin`` asks ``mounted()`` whether to use it, and
falls back to a JavaScript-written cookie under a plain ``streamlit run app.py``.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from rmo_data.access import accounts, sessions

PATH = "/_rmo/session"
MAX_BODY = 4096  # a ticket is a few hundred characters
MOUNTED: list[str] = []  # where this process serves the route, once ``mount`` has been called


def routes(base_path: str = "") -> list[Route]:
    """The route, under Streamlit's ``server.baseUrlPath`` (``base_path``)."""
    path = "/" + "/".join(p for p in (base_path.strip("/"), PATH.strip("/")) if p)
    return [Route(path, endpoint, methods=["POST"])]


def mount(base_path: str = "") -> list[Route]:
    """``routes(base_path)``, noting that this process serves them (``asgi.py`` calls it once)."""
    made = routes(base_path)
    MOUNTED[:] = [made[0].path]
    return made


def mounted() -> str | None:
    """The route's path when this process serves it, else None."""
    return MOUNTED[0] if MOUNTED else None


def _secure(request: Request) -> bool:
    # Behind a TLS-ending proxy the scheme is in X-Forwarded-Proto; "Secure" only narrows the cookie.
    proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or proto == "https"


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin:  # same-origin fetches may omit it; SameSite=Strict covers the rest
        return True
    return urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()


def _token_for(ticket: str) -> tuple[str, float] | None:
    """The session token and its end for a good ticket, else None (read from the files, off the event loop)."""
    try:
        state = sessions.load_state(sessions.state_file())
        users = accounts.load_users(accounts.users_file())
    except (OSError, accounts.UsersFileError):
        return None
    token = sessions.redeem(ticket, users, state, accounts.SessionPolicy.from_env(),
                            sessions.signing_key(state), time.time)
    return None if token is None else (token, sessions.expires(token))


def _cookie(response: Response, request: Request, value: str, max_age: int) -> None:
    response.set_cookie(sessions.COOKIE, value, max_age=max_age, path="/", httponly=True,
                        samesite="strict", secure=_secure(request))


async def endpoint(request: Request) -> Response:
    """Trade a ticket for the HTTP-only session cookie (204), or clear it; 400/403 otherwise."""
    if not _same_origin(request):
        return Response(status_code=403)
    body = await request.body()
    if len(body) > MAX_BODY:
        return Response(status_code=413)
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return Response(status_code=400)
    if not isinstance(data, dict):
        return Response(status_code=400)
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    if data.get("clear") is True:
        _cookie(response, request, "", 0)
        return response
    ticket = data.get("ticket")
    if not isinstance(ticket, str) or not ticket:
        return Response(status_code=400)
    kept = await run_in_threadpool(_token_for, ticket)
    if kept is None:
        return Response(status_code=403)
    token, ends = kept
    _cookie(response, request, token, max(0, int(ends - time.time())))
    return response
