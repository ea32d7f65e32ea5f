"""Two real app servers on one store behind the real nginx with the compose site, all on loopback ports.

What compose.yaml sets up, without Docker: two replicas started with the
image's entry command and compose's environment (one store, one state folder,
one session secret from a file), and nginx with deploy/nginx-compose.conf and
the frontend files that ``prepare`` copies.  A browser (plain HTTP requests
and bench/st_client.py's websocket client, with the cookies a browser would
send) is kept on one replica across its requests and its websocket; the
frontend files come from disk, gzipped; and a sign-in made through one
replica holds on the other, and ends on both when it is revoked from the
command line, as the shared state volume promises.
"""

from __future__ import annotations

import asyncio
import functools
import http.client
import json
import os
import shutil
import subprocess
import sys
from contextlib import ExitStack
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
import websockets

from bench import room_static, st_client
from rmo_data.access import accounts, sessions
from scripts import container, live_server
from tests.deploy import compose_env, proxy
from tests.signin import USERS

pytestmark = pytest.mark.slow  # two app servers and nginx

ROOT = Path(__file__).resolve().parents[2]


def request(base_url: str, method: str, path: str, cookies: dict[str, str],
            body: bytes | None = None, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    sent = dict(headers or {})
    if cookies:
        sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    conn.request(method, path, body=body, headers=sent)
    answer = conn.getresponse()
    answer.read()
    conn.close()
    return answer


def set_cookies(answer: http.client.HTTPResponse) -> dict[str, str]:
    out: dict[str, str] = {}
    for header in answer.headers.get_all("Set-Cookie") or []:
        for name, morsel in SimpleCookie(header).items():
            out[name] = morsel.value
    return out


def page_texts(base_url: str, cookies: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The markdown of the app's first page, drawn over a websocket that carries ``cookies``."""
    header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    monkeypatch.setattr(st_client.websockets, "connect",
                        functools.partial(websockets.connect, additional_headers={"Cookie": header}))

    async def run() -> list[str]:
        client = st_client.StreamlitClient(base_url)
        try:
            opened = await client.open()
            assert opened.status == "ok" and opened.errors == [] and opened.exceptions == []
            return [n.element.markdown.body for _p, n in client._elements()
                    if n.element.WhichOneof("type") == "markdown"]
        finally:
            await client.close()

    return asyncio.run(run())


def test_two_replicas_behind_nginx_keep_each_browser_on_one_and_share_the_sign_in(
        store_copy_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mapped = compose_env.for_this_machine(tmp_path, store_copy_url)
    for key, value in mapped.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(live_server, "serve_command", compose_env.entry_command)
    name, password = USERS["editor"]
    accounts.add_user(Path(mapped.env["RMO_USERS_FILE"]), name, "editor", password)
    www = proxy.readable_folder("rmo-deploy-www-")

    with ExitStack() as stack:
        stack.callback(shutil.rmtree, www, ignore_errors=True)
        container.copy_static(www)  # what the init service does for the proxy
        servers = [stack.enter_context(live_server.running_server(store_copy_url, tmp_path / f"app{i}.log"))
                   for i in (1, 2)]
        ports = [int(s.base_url.rsplit(":", 1)[1]) for s in servers]
        front = stack.enter_context(proxy.running_nginx(ports, www))

        def upstream_of(route: str) -> str:
            answered = [r.upstream for r in front.requests() if r.route == route]
            assert len(set(answered)) == 1, f"route {route} reached {answered}"
            return answered[0]

        # A first visit: the page, a route cookie, and every later request on the same replica.
        first = request(front.base_url, "GET", "/", {})
        assert first.status == 200
        route = set_cookies(first)["rmo_route"]
        browser = {"rmo_route": route}
        for path in ["/_stcore/health", "/_stcore/host-config", "/"] * 2:
            assert request(front.base_url, "GET", path, browser).status == 200
        proxy.wait_for(lambda: len([r for r in front.requests() if r.route == route]) == 7, what="7 logged requests")
        home = upstream_of(route)

        # The frontend files come from nginx's disk, gzipped, not from the app.
        index = (www / "index.html").read_text()
        script = next(p for p in room_static.asset_paths(index) if p.endswith(".js"))
        asset = request(front.base_url, "GET", script, browser, headers={"Accept-Encoding": "gzip"})
        assert asset.status == 200 and asset.getheader("Content-Encoding") == "gzip"
        assert asset.getheader("Cache-Control") == room_static.NGINX_CACHE

        # The websocket follows the route to the same replica, and the app's first page runs over it.
        texts = page_texts(front.base_url, browser, monkeypatch)
        assert not any(t.startswith("Signed in as") for t in texts)
        proxy.wait_for(lambda: any(r.request.startswith("GET /_stcore/stream") and r.route == route
                                   for r in front.requests()), what="the websocket's log line")
        assert upstream_of(route) == home

        # A second browser whose route leads to the other replica.
        for _ in range(100):
            other_route = set_cookies(request(front.base_url, "GET", "/_stcore/health", {}))["rmo_route"]
            proxy.wait_for(lambda: any(r.route == other_route for r in front.requests()), what="a logged request")
            if upstream_of(other_route) != home:
                break
        assert upstream_of(other_route) != home
        other = f"127.0.0.1:{ports[1] if home.endswith(str(ports[0])) else ports[0]}"
        assert upstream_of(other_route) == other

        # Sign in through the first replica: the page's ticket, traded for the HTTP-only cookie.
        state = sessions.load_state(sessions.state_file())
        user = accounts.load_users(Path(mapped.env["RMO_USERS_FILE"]))[name]
        key = sessions.signing_key(state, {"RMO_SESSION_SECRET": mapped.secrets["session_secret"]})
        ticket = sessions.issue(accounts.start_session(user), user, state, accounts.SessionPolicy(), key, ticket=True)
        traded = request(front.base_url, "POST", "/_rmo/session", browser, body=json.dumps({"ticket": ticket}).encode(),
                         headers={"Content-Type": "application/json", "Origin": front.base_url})
        assert traded.status == 204
        token = set_cookies(traded)[sessions.COOKIE]
        proxy.wait_for(lambda: any(r.request.startswith("POST /_rmo/session") for r in front.requests()),
                       what="the sign-in's log line")
        assert upstream_of(route) == home

        # The other replica takes the same cookie: one signing key, one users file, one session file.
        texts = page_texts(front.base_url, {"rmo_route": other_route, sessions.COOKIE: token}, monkeypatch)
        signed = [t for t in texts if t.startswith("Signed in as")]
        assert len(signed) == 1 and signed[0].replace("\\", "") == f"Signed in as **{name}** · Editor"

        # Signed out everywhere from the command line in a container (compose exec app rmo ...).
        revoke = subprocess.run([sys.executable, "scripts/container.py", "rmo", "users", "revoke-sessions", name],
                                cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=60,
                                check=False)
        assert revoke.returncode == 0, revoke.stderr
        for cookies in ({"rmo_route": route, sessions.COOKIE: token},
                        {"rmo_route": other_route, sessions.COOKIE: token}):
            assert not any(t.startswith("Signed in as") for t in page_texts(front.base_url, cookies, monkeypatch))
