"""deploy/nginx-compose.conf under real nginx, in front of two stand-in app servers on loopback ports.

The stand-ins are small HTTP servers in this process that answer with their
own name and the ``X-Forwarded-For`` they were given, so each test sees which
server nginx chose without starting Streamlit (tests/deploy/test_two_replicas.py
does that with the real app).  What is checked is what compose relies on:
nginx accepts the site; a browser is given a route cookie once and then stays
on one server; new browsers spread over both servers although they all come
from one address (the reason for a cookie rather than ``ip_hash``); a browser
whose server stops is served by the other; and the app is told the browser's
own address, not one the browser made up.
"""

from __future__ import annotations

import http.client
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

from tests.deploy import proxy


class _StandIn(http.server.BaseHTTPRequestHandler):
    """Answers every GET with ``name|X-Forwarded-For`` (the name is the server's)."""

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        body = f"{self.server.name}|{self.headers.get('X-Forwarded-For', '')}".encode()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@contextmanager
def stand_in(name: str) -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _StandIn)
    server.name = name  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def get(base_url: str, path: str = "/", cookie: str | None = None,
        headers: dict[str, str] | None = None) -> tuple[str, str | None, str]:
    """(server name, route cookie the answer sets or None, X-Forwarded-For the server saw)."""
    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        sent = dict(headers or {})
        if cookie:
            sent["Cookie"] = f"rmo_route={cookie}"
        conn.request("GET", path, headers=sent)
        answer = conn.getresponse()
        body = answer.read().decode()
        assert answer.status == 200, body
        routes = [SimpleCookie(h)["rmo_route"] for h in answer.headers.get_all("Set-Cookie") or []
                  if h.startswith("rmo_route=")]
        assert len(routes) <= 1
        name, forwarded = body.split("|", 1)
        if routes:
            attrs = routes[0]
            assert attrs["path"] == "/" and attrs["httponly"] and attrs["samesite"] == "Lax"
        return name, routes[0].value if routes else None, forwarded
    finally:
        conn.close()


@pytest.fixture()
def two_servers() -> Iterator[tuple[http.server.ThreadingHTTPServer, http.server.ThreadingHTTPServer]]:
    with stand_in("A") as a, stand_in("B") as b:
        yield a, b


def test_nginx_accepts_the_compose_site(tmp_path: Path) -> None:
    nginx = proxy.nginx_binary()
    site = proxy.render_site([8601, 8602], 9101, tmp_path / "www")
    directives = [line.split("#", 1)[0].strip() for line in site.splitlines()]
    assert "hash $rmo_route consistent;" in directives and "ip_hash;" not in directives
    assert site.count("server 127.0.0.1:86") == 2 and "listen 127.0.0.1:9101;" in site
    checked = proxy.check_config(nginx, tmp_path, site)
    assert checked.returncode == 0, checked.stderr


def test_the_rendering_refuses_a_site_that_changed_what_it_replaces(tmp_path: Path) -> None:
    changed = proxy.SITE.read_text().replace("server app2:8501", "server rmo-app2:8501")
    with pytest.raises(AssertionError, match="names 1 app servers in the form 'server appN:PORT"):
        proxy.render_site([1, 2], 3, tmp_path, text=changed)
    with pytest.raises(AssertionError, match="no longer says 'listen 80;'"):
        proxy.render_site([1, 2], 3, tmp_path, text=proxy.SITE.read_text().replace("listen 80;", "listen 8080;"))


def test_a_browser_gets_a_route_once_and_stays_on_one_server(two_servers) -> None:  # type: ignore[no-untyped-def]
    a, b = two_servers
    with proxy.running_nginx([a.server_port, b.server_port]) as front:
        first, route, _ = get(front.base_url)
        assert route, "a browser without the cookie is given one"
        later = [get(front.base_url, path, cookie=route) for path in ["/", "/_stcore/health", "/x?y=1"] * 4]
        assert {name for name, _, _ in later} == {first}, "every request with the route reaches one server"
        assert all(set_again is None for _, set_again, _ in later), "the cookie is set once, not on every answer"
        proxy.wait_for(lambda: len(front.requests()) == 13, what="13 logged requests")
        assert {r.route for r in front.requests()} == {route}  # the first request was hashed by the same route


def test_new_browsers_from_one_address_spread_over_both_servers(two_servers) -> None:  # type: ignore[no-untyped-def]
    a, b = two_servers
    with proxy.running_nginx([a.server_port, b.server_port]) as front:
        firsts = [get(front.base_url) for _ in range(40)]
    routes = [route for _, route, _ in firsts]
    assert len(set(routes)) == 40, "each browser gets a route of its own"
    # All forty came from 127.0.0.1: ip_hash would have sent them all to one server.
    # With an even split the chance that all forty land on one server is 2**-39.
    assert {name for name, _, _ in firsts} == {"A", "B"}


def test_a_browser_whose_server_stops_is_served_by_the_other(tmp_path: Path) -> None:
    with stand_in("A") as a:
        with stand_in("B") as b:
            with proxy.running_nginx([a.server_port, b.server_port]) as front:
                pinned: dict[str, str] = {}  # server name -> the route of a browser it serves
                for _ in range(100):
                    name, route, _ = get(front.base_url)
                    assert route is not None
                    pinned.setdefault(name, route)
                    if set(pinned) == {"A", "B"}:
                        break
                assert set(pinned) == {"A", "B"}
                b.shutdown()
                b.server_close()
                assert get(front.base_url, cookie=pinned["B"])[0] == "A"
                assert get(front.base_url, cookie=pinned["A"])[0] == "A"


def test_the_app_is_told_the_browsers_own_address(two_servers) -> None:  # type: ignore[no-untyped-def]
    a, b = two_servers
    with proxy.running_nginx([a.server_port, b.server_port]) as front:
        _, _, forwarded = get(front.base_url)
        _, _, spoofed = get(front.base_url, headers={"X-Forwarded-For": "203.0.113.9"})
    # The app trusts the header from the proxy (FORWARDED_ALLOW_IPS=* in compose.yaml), so the
    # proxy must send the address it saw and drop whatever the browser claimed.
    assert forwarded == "127.0.0.1" and spoofed == "127.0.0.1"
