"""Unit tests of the pure sign-in logic (``rmo_data.access.accounts``) and the role mapping (``rmo_data.access.roles``).

Time comes from a fake clock, so delays, lockouts and session expiry are
checked exactly and without sleeping.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rmo_data.access import roles
from rmo_data.access import accounts

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path]:
    """A users file holding one partner, and an empty attempts record beside it."""
    users = tmp_path / "users.toml"
    accounts.add_user(users, "Alice", "partner", PASSWORD)
    return users, tmp_path / "attempts.json"


def test_hash_is_salted_and_verifies() -> None:
    first, second = accounts.hash_password(PASSWORD), accounts.hash_password(PASSWORD)
    assert first != second, "each hash carries its own salt"
    assert first.startswith("$argon2id$") and PASSWORD not in first
    assert accounts.verify_password(first, PASSWORD) and accounts.verify_password(second, PASSWORD)
    assert not accounts.verify_password(first, PASSWORD + "x")
    assert not accounts.verify_password("not a hash", PASSWORD)


def test_users_file_round_trip_keeps_no_password(files: tuple[Path, Path]) -> None:
    users_path, _ = files
    accounts.add_user(users_path, "ed@example.org", "editor", "another long one")
    text = users_path.read_text(encoding="utf-8")
    assert PASSWORD not in text and "another long one" not in text
    assert oct(users_path.stat().st_mode & 0o777) == "0o600"
    users = accounts.load_users(users_path)
    assert {u.name: u.role for u in users.values()} == {"alice": "partner", "ed@example.org": "editor"}
    assert "password_hash" not in repr(users["alice"]) and "$argon2" not in repr(users["alice"])


def test_users_file_is_parsed_once_per_version(files: tuple[Path, Path],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    users, _ = files
    accounts.add_user(users, "ana", "partner", "a long enough password")
    parsed = []
    real = accounts._parse_users
    monkeypatch.setattr(accounts, "_parse_users", lambda path: parsed.append(path) or real(path))
    first = accounts.load_users(users)
    before = set(first)
    assert "ana" in before
    first.pop("ana")  # the caller's dict is its own: the kept copy is untouched
    parses = len(parsed)
    assert set(accounts.load_users(users)) == before
    assert len(parsed) == parses, "an unchanged file is not parsed again"
    accounts.add_user(users, "ben", "editor", "another long password")  # a new version of the file
    assert set(accounts.load_users(users)) == before | {"ben"}
    accounts.remove_user(users, "ana")
    assert set(accounts.load_users(users)) == (before - {"ana"}) | {"ben"}


def test_add_refuses_bad_input_and_duplicates(files: tuple[Path, Path]) -> None:
    users_path, _ = files
    with pytest.raises(ValueError, match="exists already"):
        accounts.add_user(users_path, "ALICE", "partner", PASSWORD)
    with pytest.raises(ValueError, match="at least"):
        accounts.add_user(users_path, "bob", "partner", "short")
    with pytest.raises(ValueError, match="role"):
        accounts.add_user(users_path, "bob", "public", PASSWORD)
    with pytest.raises(ValueError, match="user name"):
        accounts.add_user(users_path, "bad name!", "partner", PASSWORD)
    accounts.add_user(users_path, "alice", "editor", "a new long password", replace_existing=True)
    assert accounts.load_users(users_path)["alice"].role == "editor"
    assert accounts.remove_user(users_path, "Alice") and not accounts.remove_user(users_path, "alice")
    assert accounts.load_users(users_path) == {}


def test_damaged_users_file_is_a_plain_error(tmp_path: Path) -> None:
    bad = tmp_path / "users.toml"
    bad.write_text('[users.x]\nrole = "partner"\n', encoding="utf-8")
    with pytest.raises(accounts.UsersFileError, match="password_hash"):
        accounts.load_users(bad)
    bad.write_text("not = [toml", encoding="utf-8")
    with pytest.raises(accounts.UsersFileError, match="cannot be read"):
        accounts.load_users(bad)


def test_sign_in_right_and_wrong(files: tuple[Path, Path]) -> None:
    users_path, attempts_path = files
    clock = FakeClock()
    ok = accounts.sign_in(" ALICE ", PASSWORD, users_path, attempts_path, clock)
    assert ok.ok and ok.user is not None and ok.user.role == "partner"
    wrong = accounts.sign_in("alice", "wrong password", users_path, attempts_path, clock)
    unknown = accounts.sign_in("nobody", PASSWORD, users_path, attempts_path, clock)
    assert not wrong.ok and not unknown.ok
    assert wrong.message == unknown.message == accounts.WRONG, "a failure does not tell whether the name exists"
    assert PASSWORD not in wrong.message + unknown.message


def test_failures_grow_the_wait_then_lock_the_name(files: tuple[Path, Path]) -> None:
    users_path, attempts_path = files
    clock = FakeClock()
    waits = []
    for _ in range(accounts.LOCK_AFTER):
        result = accounts.sign_in("alice", "wrong password", users_path, attempts_path, clock)
        waits.append(result.retry_after)
        clock.advance(result.retry_after)  # wait exactly as long as asked
    assert waits == [0, 0, 1, 2, accounts.LOCK_SECONDS]
    assert "locked for 15 minutes" in result.message

    # While locked, even the right password is refused without being checked.
    clock.advance(-accounts.LOCK_SECONDS + 60)
    refused = accounts.sign_in("alice", PASSWORD, users_path, attempts_path, clock)
    assert not refused.ok and "Try again in" in refused.message
    assert refused.retry_after == pytest.approx(accounts.LOCK_SECONDS - 60)
    # The record is on disk, so another session or server process sees it too.
    assert accounts.AttemptLog(attempts_path).get("ALICE").lockouts == 1

    clock.advance(accounts.LOCK_SECONDS)
    assert accounts.sign_in("alice", PASSWORD, users_path, attempts_path, clock).ok
    assert accounts.AttemptLog(attempts_path).get("alice") == accounts.Attempts(), "success clears the record"


def test_repeated_lockouts_last_longer_and_unlock_clears(files: tuple[Path, Path]) -> None:
    users_path, attempts_path = files
    clock = FakeClock()
    locks = []
    for _ in range(2):
        for _ in range(accounts.LOCK_AFTER):
            result = accounts.sign_in("alice", "wrong password", users_path, attempts_path, clock)
            clock.advance(result.retry_after)
        locks.append(result.retry_after)
    assert locks == [accounts.LOCK_SECONDS, 2 * accounts.LOCK_SECONDS]
    assert accounts.wait_after(accounts.LOCK_AFTER, 30) == accounts.LOCK_MAX_SECONDS
    clock.advance(-10)
    assert not accounts.sign_in("alice", PASSWORD, users_path, attempts_path, clock).ok
    accounts.unlock("alice", attempts_path, clock)
    assert accounts.sign_in("alice", PASSWORD, users_path, attempts_path, clock).ok


def test_unknown_names_are_throttled_too(files: tuple[Path, Path]) -> None:
    users_path, attempts_path = files
    clock = FakeClock()
    for _ in range(accounts.FREE_FAILURES + 1):
        result = accounts.sign_in("mallory", "guess guess guess", users_path, attempts_path, clock)
    assert result.retry_after == 1
    assert "Try again" in accounts.sign_in("mallory", "x", users_path, attempts_path, clock).message


def test_old_attempt_records_are_forgotten(files: tuple[Path, Path]) -> None:
    users_path, attempts_path = files
    clock = FakeClock()
    accounts.sign_in("ghost", "guess guess guess", users_path, attempts_path, clock)
    clock.advance(accounts.FORGET_AFTER + 1)
    accounts.sign_in("alice", "wrong password", users_path, attempts_path, clock)
    assert accounts.AttemptLog(attempts_path).get("ghost") == accounts.Attempts()
    assert accounts.AttemptLog(attempts_path).get("alice").failures == 1


def test_session_expires_when_idle_or_too_old() -> None:
    clock = FakeClock()
    policy = accounts.SessionPolicy(idle=3600, lifetime=4 * 3600)
    session = accounts.start_session(accounts.User("alice", "partner", "h"), clock)
    clock.advance(3599)
    assert accounts.session_end_reason(session, policy, clock) is None
    clock.advance(1)
    assert accounts.session_end_reason(session, policy, clock) == "idle"
    # Activity keeps it alive, but never past its lifetime.
    for _ in range(5):  # seen every half hour: alive up to 3 h 30 min
        session = accounts.touch(session, clock)
        clock.advance(1800)
        assert accounts.session_end_reason(session, policy, clock) is None
    session = accounts.touch(session, clock)
    clock.advance(1800)  # 4 h after sign-in, half an hour after the last activity
    assert accounts.session_end_reason(session, policy, clock) == "lifetime"


def test_session_policy_from_env() -> None:
    assert accounts.SessionPolicy.from_env({}) == accounts.SessionPolicy(8 * 3600, 24 * 3600)
    policy = accounts.SessionPolicy.from_env({accounts.IDLE_ENV: "30", accounts.LIFETIME_ENV: "2"})
    assert (policy.idle, policy.lifetime) == (1800, 7200)
    assert accounts.SessionPolicy.from_env({accounts.IDLE_ENV: "soon", accounts.LIFETIME_ENV: "-1"}) == accounts.SessionPolicy()


def test_default_paths_are_outside_the_repository() -> None:
    path = accounts.users_file({})
    assert path == Path("~/.config/rmo-leverage/users.toml").expanduser()
    assert ROOT not in path.parents
    assert accounts.attempts_file({accounts.USERS_ENV: "/x/u.toml"}) == Path("/x/u.attempts.json")


def test_roles_and_pages() -> None:
    public = {p.title for p in roles.pages_for("public")}
    assert {"Overview", "Material profile", "Sources & method"} <= public
    assert not public & {"Risk evidence", "Stakeholders & initiatives", "Prioritisation", "Leverage cards",
                         "Data management"}
    partner = {p.title for p in roles.pages_for("partner")}
    assert {"Prioritisation", "Leverage cards", "Risk evidence"} <= partner and "Data management" not in partner
    assert {p.title for p in roles.pages_for("editor")} == {p.title for p in roles.PAGES}
    assert roles.may_open("partner", "pages/prioritisation.py")
    assert not roles.may_open("public", "/abs/app/pages/prioritisation.py")
    assert not roles.may_open("editor", "pages/no_such_page.py")
    assert roles.allows("nonsense", "public") and not roles.allows("nonsense", "partner")
    # Every page file of the app is in the mapping: a new page cannot slip in without a role.
    files = {f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py")}
    assert files <= {p.path for p in roles.PAGES}


def test_users_command_line(tmp_path: Path) -> None:
    env = {**os.environ, accounts.USERS_ENV: str(tmp_path / "users.toml")}

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "rmo_data", "users", *args], input=stdin, env=env,
                              cwd=ROOT, capture_output=True, text=True, timeout=60)

    added = run("add", "Pat", "--role", "partner", "--password-stdin", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert PASSWORD not in added.stdout + added.stderr
    short = run("add", "kim", "--role", "editor", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "at least" in short.stderr
    listed = run("list")
    assert listed.returncode == 0 and "pat\tpartner" in listed.stdout and "$argon2" not in listed.stdout
    assert accounts.sign_in("pat", PASSWORD, tmp_path / "users.toml", tmp_path / "a.json").ok
    assert run("remove", "PAT").returncode == 0
    assert run("remove", "pat").returncode == 1
    assert "No users" in run("list").stdout


def test_external_identities_get_their_role_from_the_mapping() -> None:
    mapping = {"editor": ["Ana@Example.org"], "partner": ["@example.org", "bo@other.com"]}
    assert accounts.role_for_identity("ana@example.org", mapping) == "editor"
    assert accounts.role_for_identity("cy@EXAMPLE.org", mapping) == "partner"
    assert accounts.role_for_identity("bo@other.com", mapping) == "partner"
    assert accounts.role_for_identity("dee@other.com", mapping) == "public"
    assert accounts.role_for_identity("", mapping) == "public"
    assert accounts.role_for_identity("x@example.org.evil.com", mapping) == "public"
    assert accounts.role_for_identity("solo@x.org", {"partner": "solo@x.org"}) == "partner"


# --- failures per name and client ------------------------------------------------------------------

class FakeSleep:
    """Records the slowdowns asked for and moves the fake clock by them (no real waiting)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.clock.advance(seconds)


@pytest.fixture()
def editor_files(tmp_path: Path) -> tuple[Path, Path]:
    """A users file holding an editor, and an empty attempts record beside it."""
    users = tmp_path / "users.toml"
    accounts.add_user(users, "editor", "editor", PASSWORD)
    return users, tmp_path / "attempts.json"


def _hammer(name: str, client: str, users: Path, attempts: Path, clock: FakeClock, sleep: FakeSleep,
            times: int, wait: bool) -> list[accounts.SignIn]:
    """``times`` wrong passwords for ``name`` from ``client``; with ``wait``, each after its wait."""
    results = []
    for i in range(times):
        result = accounts.sign_in(name, f"wrong guess {i:04d}", users, attempts, clock, client=client, sleep=sleep)
        results.append(result)
        if wait and i < times - 1:  # the last wait is left for the caller to see
            clock.advance(result.retry_after)
    return results


@pytest.mark.parametrize("wait", [False, True], ids=["as-fast-as-possible", "waiting-out-each-lock"])
def test_a_strangers_failures_do_not_lock_out_the_editor(editor_files: tuple[Path, Path], wait: bool) -> None:
    users, attempts = editor_files
    clock = FakeClock()
    sleep = FakeSleep(clock)
    results = _hammer("editor", "ip:198.51.100.7", users, attempts, clock, sleep, 50, wait)
    if wait:
        assert any("locked for 15 minutes" in r.message for r in results), "the stranger's client is locked"
    else:  # trying faster gains nothing: refused unchecked once the client must wait
        assert all("Try again in" in r.message for r in results[accounts.FREE_FAILURES + 1:])
    # The stranger now holds the right password too: refused, unchecked, from that client.
    refused = accounts.sign_in("editor", PASSWORD, users, attempts, clock, client="ip:198.51.100.7", sleep=sleep)
    assert not refused.ok and "Try again in" in refused.message and refused.retry_after > 0
    # The editor, from a browser that has not failed, is never refused; at most slowed a little.
    ok = accounts.sign_in("Editor", PASSWORD, users, attempts, clock, client="ip:203.0.113.20", sleep=sleep)
    assert ok.ok and ok.user is not None and ok.user.role == "editor"
    assert 0 <= ok.slowed <= accounts.NAME_DELAY_MAX
    assert all(s <= accounts.NAME_DELAY_MAX for s in sleep.calls)
    # The editor's success does not clear the stranger's lock.
    assert accounts.AttemptLog(attempts).get("editor", "ip:198.51.100.7").not_before > clock()


def test_guesses_spread_over_many_clients_are_slowed(editor_files: tuple[Path, Path]) -> None:
    users, attempts = editor_files
    clock = FakeClock()
    sleep = FakeSleep(clock)
    for n in range(12):  # one guess from each of twelve addresses: none of them is locked
        result = accounts.sign_in("editor", "guess guess guess", users, attempts, clock,
                              client=f"ip:192.0.2.{n}", sleep=sleep)
        assert result.retry_after == 0
    assert sleep.calls, "after LOCK_AFTER failures from anyone, every attempt at the name is slowed"
    assert max(sleep.calls) == accounts.NAME_DELAY_MAX
    assert sleep.calls == sorted(sleep.calls), "the slowdown grows up to its cap"
    # The slowdown is forgotten some time after the last failure.
    clock.advance(accounts.NAME_WINDOW)
    before = len(sleep.calls)
    assert accounts.sign_in("editor", PASSWORD, users, attempts, clock, client="ip:192.0.2.200", sleep=sleep).ok
    assert len(sleep.calls) == before


def test_unknown_names_get_the_same_treatment_per_client(editor_files: tuple[Path, Path]) -> None:
    users, attempts = editor_files
    outcomes = {}
    for name in ("editor", "nobody-at-all"):
        clock = FakeClock()
        sleep = FakeSleep(clock)
        results = []
        for client in ("ip:198.51.100.7", "ip:198.51.100.8", "ip:198.51.100.9"):
            results += _hammer(name, client, users, attempts, clock, sleep, accounts.LOCK_AFTER - 1, wait=True)
            clock.advance(results[-1].retry_after)
        results += _hammer(name, "ip:198.51.100.7", users, attempts, clock, sleep, 1, wait=False)
        outcomes[name] = [(r.message, r.retry_after, r.slowed) for r in results]
    assert outcomes["editor"] == outcomes["nobody-at-all"]
    assert any(slowed for _, _, slowed in outcomes["editor"]), "the sequence reaches the name's slowdown"


def test_attempts_file_stays_private_and_unlock_forgets_every_client(editor_files: tuple[Path, Path]) -> None:
    users, attempts = editor_files
    clock = FakeClock()
    sleep = FakeSleep(clock)
    for client in ("ip:198.51.100.7", "session:abc"):
        _hammer("editor", client, users, attempts, clock, sleep, accounts.LOCK_AFTER, wait=True)
    assert oct(attempts.stat().st_mode & 0o777) == "0o600"
    assert accounts.AttemptLog(attempts).get("editor", "session:abc").lockouts == 1
    assert accounts.AttemptLog(attempts).get_name("editor").failures == 2 * accounts.LOCK_AFTER
    accounts.unlock("EDITOR", attempts)
    assert accounts.AttemptLog(attempts).get("editor", "ip:198.51.100.7") == accounts.Attempts()
    assert accounts.AttemptLog(attempts).get_name("editor") == accounts.Attempts()
    assert oct(attempts.stat().st_mode & 0o777) == "0o600"
    assert accounts.sign_in("editor", PASSWORD, users, attempts, clock, client="ip:198.51.100.7", sleep=sleep).ok


def test_damaged_or_old_attempts_file_is_dropped(editor_files: tuple[Path, Path]) -> None:
    users, attempts = editor_files
    attempts.write_text('{"editor": {"failures": 4, "not_before": 9e12}, "clients": [1], '
                        '"names": {"editor": {"failures": "many"}}}', encoding="utf-8")
    assert accounts.sign_in("editor", PASSWORD, users, attempts, FakeClock(), client="ip:1.2.3.4").ok
