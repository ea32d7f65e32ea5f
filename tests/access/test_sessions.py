"""Unit tests of signed session tokens (``rmo_data.access.sessions``) with a fake clock.

Each test uses real files in a temporary folder: a users file made with
``accounts.add_user`` and the session state file beside it.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from rmo_data.access import accounts, sessions
from tests.access.test_accounts import FakeClock

ROOT = Path(__file__).resolve().parents[2]
POLICY = accounts.SessionPolicy(idle=3600, lifetime=4 * 3600)


@pytest.fixture()
def setup(tmp_path: Path) -> tuple[Path, Path, FakeClock]:
    """A users file with one partner, the path of its session state file, and a clock."""
    users = tmp_path / "users.toml"
    accounts.add_user(users, "alice", "partner", "correct horse battery")
    return users, sessions.state_file({accounts.USERS_ENV: str(users)}), FakeClock()


def _token(users: Path, state_path: Path, clock: FakeClock) -> str:
    user = accounts.load_users(users)["alice"]
    state = sessions.load_state(state_path)
    return sessions.issue(accounts.start_session(user, clock), user, state, POLICY,
                          sessions.signing_key(state, {}), clock)


def _verify(token: str, users: Path, state_path: Path, clock: FakeClock,
            env: dict[str, str] | None = None) -> sessions.Verdict:
    state = sessions.load_state(state_path)
    return sessions.verify(token, accounts.load_users(users), state, POLICY,
                           sessions.signing_key(state, env or {}), clock)


def test_state_file_is_made_once_owner_only_and_beside_the_users_file(setup: tuple[Path, Path, FakeClock]) -> None:
    users, state_path, _ = setup
    assert state_path == users.with_name("users.sessions.json")
    first = sessions.load_state(state_path)
    assert oct(state_path.stat().st_mode & 0o777) == "0o600"
    assert len(first.key) == 32 and sessions.load_state(state_path).key == first.key


def test_good_token_names_the_user_and_never_the_password(setup: tuple[Path, Path, FakeClock]) -> None:
    users, state_path, clock = setup
    token = _token(users, state_path, clock)
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert payload["u"] == "alice" and payload["e"] == clock.now + POLICY.lifetime
    assert "correct horse" not in token and "argon2" not in json.dumps(payload)
    clock.advance(60)
    verdict = _verify(token, users, state_path, clock)
    assert verdict.ok and verdict.reason == "ok"
    assert verdict.session is not None and (verdict.session.user, verdict.session.role) == ("alice", "partner")
    assert verdict.session.started == clock.now - 60 and verdict.session.last_seen == clock.now


def test_token_expires_at_its_lifetime_and_after_idle_time(setup: tuple[Path, Path, FakeClock]) -> None:
    users, state_path, clock = setup
    token = _token(users, state_path, clock)
    clock.advance(POLICY.idle - 1)
    assert _verify(token, users, state_path, clock).ok
    clock.advance(1)
    assert _verify(token, users, state_path, clock).reason == "idle"
    # A token re-issued while in use (seen later) lives on, but never past its lifetime.
    user = accounts.load_users(users)["alice"]
    state = sessions.load_state(state_path)
    started = clock.now - POLICY.idle
    fresh = sessions.issue(accounts.Session("alice", "partner", started, clock.now), user, state, POLICY,
                           state.key, clock)
    assert _verify(fresh, users, state_path, clock).ok
    clock.advance(POLICY.lifetime - POLICY.idle)
    assert _verify(fresh, users, state_path, clock).reason == "lifetime"


def test_tampered_or_malformed_token_is_refused(setup: tuple[Path, Path, FakeClock]) -> None:
    users, state_path, clock = setup
    token = _token(users, state_path, clock)
    body, sig = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=="))
    forged_body = base64.urlsafe_b64encode(json.dumps({**payload, "u": "mallory"}).encode()).rstrip(b"=").decode()
    assert _verify(f"{forged_body}.{sig}", users, state_path, clock).reason == "tampered"
    assert _verify(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), users, state_path, clock).reason == "tampered"
    for bad in ("", "no-dot", ".x", "x.", "a" * 3000 + ".b"):
        assert _verify(bad, users, state_path, clock).reason == "malformed", bad
    # Signed with another key (another server's secret): refused.
    assert _verify(token, users, state_path, clock, {sessions.SECRET_ENV: "another secret"}).reason == "tampered"


def test_removed_user_is_refused(setup: tuple[Path, Path, FakeClock]) -> None:
    users, state_path, clock = setup
    token = _token(users, state_path, clock)
    accounts.remove_user(users, "alice")
    assert _verify(token, users, state_path, clock).reason == "removed"


def test_changed_role_applies_from_the_users_file(setup: tuple[Path, Path, FakeClock]) -> None:
    users, state_path, clock = setup
    token = _token(users, state_path, clock)
    accounts.add_user(users, "alice", "editor", "a new long password", replace_existing=True)
    verdict = _verify(token, users, state_path, clock)
    assert verdict.session is not None and verdict.session.role == "editor", "the role is never the token's"
    accounts.add_user(users, "alice", "partner", "a new long password", replace_existing=True)
    verdict = _verify(token, users, state_path, clock)
    assert verdict.session is not None and verdict.session.role == "partner"


def test_sign_out_bumps_the_generation_and_ends_every_token(setup: tuple[Path, Path, FakeClock]) -> None:
    users, state_path, clock = setup
    accounts.add_user(users, "bob", "editor", "bob's long password")
    token = _token(users, state_path, clock)
    user_b = accounts.load_users(users)["bob"]
    state = sessions.load_state(state_path)
    bob = sessions.issue(accounts.start_session(user_b, clock), user_b, state, POLICY, state.key, clock)
    assert sessions.bump_generation(state_path, "Alice") == 1
    assert _verify(token, users, state_path, clock).reason == "revoked"
    assert _verify(bob, users, state_path, clock).ok, "other users stay signed in"
    again = _token(users, state_path, clock)  # signing in again gets the new generation
    verdict = _verify(again, users, state_path, clock)
    assert verdict.session is not None and verdict.session.generation == 1


def test_revoke_all_ends_every_session_also_with_a_secret_from_the_environment(
        setup: tuple[Path, Path, FakeClock]) -> None:
    users, state_path, clock = setup
    env = {sessions.SECRET_ENV: "a long secret from the environment"}
    state = sessions.load_state(state_path)
    user = accounts.load_users(users)["alice"]
    with_env = sessions.issue(accounts.start_session(user, clock), user, state, POLICY,
                              sessions.signing_key(state, env), clock)
    plain = _token(users, state_path, clock)
    old_key = state.key
    assert sessions.revoke_all(state_path, accounts.load_users(users)) == 1
    assert sessions.load_state(state_path).key != old_key
    assert _verify(plain, users, state_path, clock).reason == "tampered"
    assert _verify(with_env, users, state_path, clock, env).reason == "revoked"
    assert _verify(_token(users, state_path, clock), users, state_path, clock).ok


def test_damaged_state_file_gets_a_new_key(setup: tuple[Path, Path, FakeClock]) -> None:
    users, state_path, clock = setup
    token = _token(users, state_path, clock)
    state_path.write_text("{not json", encoding="utf-8")
    os.utime(state_path, ns=(1, 1))  # a new version for the cache, whatever the clock's resolution
    assert _verify(token, users, state_path, clock).reason == "tampered"
    assert oct(state_path.stat().st_mode & 0o777) == "0o600"


def _cli(users: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, accounts.USERS_ENV: str(users)}
    env.pop(sessions.STATE_ENV, None)
    return subprocess.run([sys.executable, "-m", "rmo_data", "users", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_cli_revoke_sessions_of_everyone_or_one_user(setup: tuple[Path, Path, FakeClock]) -> None:
    users, state_path, clock = setup
    accounts.add_user(users, "bob", "editor", "bob's long password")
    token = _token(users, state_path, clock)
    user_b = accounts.load_users(users)["bob"]
    state = sessions.load_state(state_path)
    bob = sessions.issue(accounts.start_session(user_b, clock), user_b, state, POLICY, state.key, clock)
    out = _cli(users, "revoke-sessions", "alice")
    assert out.returncode == 0 and "alice is signed out in every browser" in out.stdout, out.stderr
    assert _verify(token, users, state_path, clock).reason == "revoked"
    assert _verify(bob, users, state_path, clock).ok
    out = _cli(users, "revoke-sessions")
    assert out.returncode == 0 and "Everyone is signed out (2 users)" in out.stdout, out.stderr
    assert _verify(bob, users, state_path, clock).reason == "tampered", "a new key"


def test_cli_remove_ends_sign_ins_for_good(setup: tuple[Path, Path, FakeClock]) -> None:
    users, state_path, clock = setup
    token = _token(users, state_path, clock)
    assert _cli(users, "remove", "alice").returncode == 0
    accounts.add_user(users, "alice", "partner", "someone else's password")  # the name given to another
    assert _verify(token, users, state_path, clock).reason == "revoked"


def test_session_generation_default() -> None:
    session = accounts.start_session(accounts.User("a", "partner", "h"), FakeClock())
    assert session.generation == 0 and replace(session, generation=2).generation == 2


# --- tickets: what the page hands the server's cookie route ---------------------------------------

def _ticket(users: Path, state_path: Path, clock: FakeClock) -> str:
    user = accounts.load_users(users)["alice"]
    state = sessions.load_state(state_path)
    return sessions.issue(accounts.start_session(user, clock), user, state, POLICY,
                          sessions.signing_key(state, {}), clock, ticket=True)


def _check(text: str, users: Path, state_path: Path, clock: FakeClock, ticket: bool = False) -> sessions.Verdict:
    state = sessions.load_state(state_path)
    return sessions.verify(text, accounts.load_users(users), state, POLICY, sessions.signing_key(state, {}),
                           clock, ticket=ticket)


def test_a_ticket_is_never_a_session_token_and_the_reverse(setup: tuple[Path, Path, FakeClock]) -> None:
    users, state_path, clock = setup
    ticket, token = _ticket(users, state_path, clock), _token(users, state_path, clock)
    assert _check(ticket, users, state_path, clock).reason == "malformed"
    assert _check(token, users, state_path, clock, ticket=True).reason == "malformed"
    assert _check(ticket, users, state_path, clock, ticket=True).ok
    assert _check(token, users, state_path, clock).ok


def test_redeem_trades_a_fresh_ticket_for_a_session_token_of_the_same_sign_in(
        setup: tuple[Path, Path, FakeClock]) -> None:
    users, state_path, clock = setup
    ticket = _ticket(users, state_path, clock)
    started = clock()
    clock.advance(5)
    state = sessions.load_state(state_path)
    token = sessions.redeem(ticket, accounts.load_users(users), state, POLICY, sessions.signing_key(state, {}),
                            clock)
    assert token is not None and token != ticket
    verdict = _check(token, users, state_path, clock)
    assert verdict.ok and verdict.session is not None and verdict.session.user == "alice"
    assert verdict.session.started == pytest.approx(started, abs=0.001)  # no longer a session than signed in for
    assert sessions.expires(token) == pytest.approx(started + POLICY.lifetime, abs=0.001)


def test_a_ticket_lasts_a_minute_and_follows_revocation(setup: tuple[Path, Path, FakeClock]) -> None:
    users, state_path, clock = setup
    state = sessions.load_state(state_path)
    late = _ticket(users, state_path, clock)
    clock.advance(sessions.TICKET_S + 1)
    assert sessions.redeem(late, accounts.load_users(users), state, POLICY, sessions.signing_key(state, {}),
                           clock) is None
    revoked = _ticket(users, state_path, clock)
    sessions.bump_generation(state_path, "alice")
    state = sessions.load_state(state_path)
    assert sessions.redeem(revoked, accounts.load_users(users), state, POLICY, sessions.signing_key(state, {}),
                           clock) is None
    body, _, _ = revoked.partition(".")
    forged = body + "." + base64.urlsafe_b64encode(b"x" * 32).rstrip(b"=").decode()
    assert sessions.redeem(forged, accounts.load_users(users), state, POLICY, sessions.signing_key(state, {}),
                           clock) is None
