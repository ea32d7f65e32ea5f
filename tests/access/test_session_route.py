"""The sign-in cookie route (``rmo_data.access.session_route``) driven through real ASGI calls.

Each test sends an HTTP request to a Starlette application holding only the
route, as Streamlit's server (uvicorn) would, with a real users file and
session state file in a temporary folder (``RMO_USERS_FILE``).
"""

from __future__ import annotations

import asyncio
import json
import time
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from starlette.applications import Starlette

from rmo_data.access import accounts, session_route, sessions


@pytest.fixture()
def users(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "users.toml"
    accounts.add_user(path, "alice", "partner", "correct horse battery")
    monkeypatch.setenv(accounts.USERS_ENV, str(path))
    monkeypatch.delenv(sessions.SECRET_ENV, raising=False)
    monkeypatch.delenv(sessions.STATE_ENV, raising=False)
    return path


def _post(body: bytes, headers: dict[str, str] | None = None, scheme: str = "http") -> tuple[int, dict[str, str]]:
    """POST ``body`` to the route; the status and the response headers (lower-case names)."""
    app = Starlette(routes=session_route.routes())
    sent: list[dict] = []
    head = {"host": "rmo.example", "content-type": "application/json", **(headers or {})}
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": scheme, "path": session_route.PATH, "raw_path": session_route.PATH.encode(),
             "query_string": b"", "root_path": "", "server": ("rmo.example", 80), "client": ("127.0.0.1", 5000),
             "headers": [(k.encode(), v.encode()) for k, v in head.items()]}
    chunks = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict:
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}


def _ticket(ticket: bool = True) -> str:
    user = accounts.load_users(accounts.users_file())["alice"]
    state = sessions.load_state(sessions.state_file())
    return sessions.issue(accounts.start_session(user), user, state, accounts.SessionPolicy.from_env(),
                          sessions.signing_key(state), ticket=ticket)


def test_a_good_ticket_sets_an_http_only_strict_cookie_holding_a_session_token(users: Path) -> None:
    status, headers = _post(json.dumps({"ticket": _ticket()}).encode())
    assert status == 204 and headers["cache-control"] == "no-store"
    raw = headers["set-cookie"]
    cookie = SimpleCookie(raw)[sessions.COOKIE]
    assert cookie["httponly"] is True and cookie["samesite"].lower() == "strict" and cookie["path"] == "/"
    assert "secure" not in raw.lower()  # plain HTTP: a Secure cookie would never be sent back
    state = sessions.load_state(sessions.state_file())
    verdict = sessions.verify(cookie.value, accounts.load_users(users), state, accounts.SessionPolicy.from_env(),
                              sessions.signing_key(state))
    assert verdict.ok and verdict.session is not None and verdict.session.user == "alice"
    assert 0 < int(cookie["max-age"]) <= accounts.SessionPolicy.from_env().lifetime
    assert time.time() < sessions.expires(cookie.value)


def test_over_https_or_behind_a_tls_proxy_the_cookie_is_secure(users: Path) -> None:
    for headers, scheme in (({}, "https"), ({"x-forwarded-proto": "https"}, "http")):
        status, got = _post(json.dumps({"ticket": _ticket()}).encode(), headers, scheme)
        assert status == 204 and "; secure" in got["set-cookie"].lower()


def test_clear_drops_the_cookie(users: Path) -> None:
    status, headers = _post(b'{"clear": true}')
    cookie = SimpleCookie(headers["set-cookie"])[sessions.COOKIE]
    assert status == 204 and cookie.value == "" and cookie["max-age"] == "0" and cookie["httponly"] is True


@pytest.mark.parametrize("body, headers, expected", [
    (None, {"origin": "https://evil.example"}, 403),  # another site's page
    (b"not json", {}, 400),
    (b'["a list"]', {}, 400),
    (b'{"ticket": 5}', {}, 400),
    (b"x" * (session_route.MAX_BODY + 1), {}, 413),
    ("session-token", {}, 403),  # a session token is not a ticket
    ("tampered", {}, 403),
])
def test_bad_requests_set_no_cookie(users: Path, body: bytes | str | None, headers: dict[str, str],
                                    expected: int) -> None:
    if body is None:
        body = json.dumps({"ticket": _ticket()}).encode()
    elif body == "session-token":
        body = json.dumps({"ticket": _ticket(ticket=False)}).encode()
    elif body == "tampered":
        good = _ticket()
        body = json.dumps({"ticket": good[:-2] + ("AA" if not good.endswith("AA") else "BB")}).encode()
    status, got = _post(body, headers)
    assert status == expected and "set-cookie" not in got


def test_a_same_origin_request_names_its_origin_and_passes(users: Path) -> None:
    status, headers = _post(json.dumps({"ticket": _ticket()}).encode(), {"origin": "http://rmo.example"})
    assert status == 204 and sessions.COOKIE in headers["set-cookie"]


def test_routes_follow_the_base_path_and_mount_says_where_they_are(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session_route, "MOUNTED", [])  # this test process serves no route afterwards
    (route,) = session_route.routes("/rmo/")
    assert route.path == "/rmo/_rmo/session" and session_route.mounted() is None
    (route,) = session_route.mount("rmo")
    assert route.path == "/rmo/_rmo/session" and session_route.mounted() == "/rmo/_rmo/session"
    (route,) = session_route.mount()
    assert route.path == session_route.PATH and session_route.mounted() == session_route.PATH
