"""Local sign-in: users with salted password hashes, slowed failures and expiring sessions.

Pure logic, no streamlit: the sign-in form (``components/signin.py``) and the
command line (``python -m rmo_data users …``) both call it.

* **Users file.** A TOML file outside the repository, path from
  ``RMO_USERS_FILE`` (default ``~/.config/rmo-leverage/users.toml``), one table
  per user with its role and an Argon2id hash (argon2-cffi: salted, memory
  hard).  Written atomically with mode 0600.  A password is never stored,
  logged or returned.
* **Failed attempts** are recorded in a JSON file on the server
  (``RMO_AUTH_ATTEMPTS_FILE``, default beside the users file, mode 0600), so
  every session and every server process on the machine sees them.  They are
  counted per user name *and client* (the browser's address, or its session
  when the server sees no address): after ``FREE_FAILURES`` failures each
  further attempt from that client must wait a growing delay; after
  ``LOCK_AFTER`` failures the name is locked for ``LOCK_SECONDS`` *for that
  client*, doubling with each further lockout.  So a stranger's wrong
  passwords never lock the rightful user out.  Failures of a name from all
  clients together only slow each attempt at it, by at most
  ``NAME_DELAY_MAX`` seconds, so guessing spread over many clients is still
  slowed.  Unknown names are throttled the same way and checked against a
  dummy hash, so a failure says nothing about whether a name exists.
* **Sessions** end after ``idle`` seconds without activity or ``lifetime``
  seconds after sign-in (``RMO_SESSION_IDLE_MINUTES``, default 8 h;
  ``RMO_SESSION_MAX_HOURS``, default 24 h).

Every function that needs the time takes a ``clock`` (seconds since the
epoch), so tests drive it with a fake one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import re
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from rmo_data.access.roles import PUBLIC, ROLES

USERS_ENV: Final = "RMO_USERS_FILE"
ATTEMPTS_ENV: Final = "RMO_AUTH_ATTEMPTS_FILE"
IDLE_ENV: Final = "RMO_SESSION_IDLE_MINUTES"
LIFETIME_ENV: Final = "RMO_SESSION_MAX_HOURS"
DEFAULT_USERS_FILE: Final = Path("~/.config/rmo-leverage/users.toml")
NAME_PATTERN: Final = re.compile(r"^[a-z0-9][a-z0-9._@+-]{0,63}$")
PASSWORD_MIN: Final = 10
PASSWORD_MAX: Final = 200  # longer input is refused before hashing (no hashing of megabytes)

FREE_FAILURES: Final = 2  # typos happen: the first two failures cost nothing
LOCK_AFTER: Final = 5  # failures in a row before the name is locked
LOCK_SECONDS: Final = 15 * 60
LOCK_MAX_SECONDS: Final = 24 * 3600
FORGET_AFTER: Final = 24 * 3600  # attempt records untouched this long are dropped
NAME_DELAY_MAX: Final = 3.0  # the most a name's failures from all clients slow an attempt (seconds)
NAME_WINDOW: Final = 15 * 60  # a name's failures from all clients count until this long after the last

Clock = Callable[[], float]
_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
_DUMMY_HASH: str | None = None  # for unknown names: same work as a real check
_FILE_LOCK = threading.Lock()  # threads of one server; fcntl locks guard other processes


class UsersFileError(ValueError):
    """The users file cannot be read, or a change to it is not allowed."""


# --- users ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class User:
    """One local user: name (lower case), role and password hash."""

    name: str
    role: str
    password_hash: str
    created: str = ""

    def __repr__(self) -> str:  # never print a hash by accident
        return f"User(name={self.name!r}, role={self.role!r})"


def users_file(env: Mapping[str, str] | None = None) -> Path:
    """Path of the users file: ``RMO_USERS_FILE`` or the default under ``~/.config``."""
    env = os.environ if env is None else env
    return Path(env.get(USERS_ENV) or DEFAULT_USERS_FILE).expanduser()


def attempts_file(env: Mapping[str, str] | None = None) -> Path:
    """Path of the failed-attempts record: ``RMO_AUTH_ATTEMPTS_FILE`` or beside the users file."""
    env = os.environ if env is None else env
    if env.get(ATTEMPTS_ENV):
        return Path(env[ATTEMPTS_ENV]).expanduser()
    users = users_file(env)
    return users.with_name(users.stem + ".attempts.json")


def normalise_name(name: str) -> str:
    """User names are compared in lower case, without surrounding spaces."""
    return (name or "").strip().lower()


def check_name(name: str) -> str:
    """The normalised name, or ValueError naming what is wrong with it."""
    norm = normalise_name(name)
    if not NAME_PATTERN.match(norm):
        raise ValueError("A user name is 1–64 characters: letters, digits and . _ @ + - "
                         "(starting with a letter or digit).")
    return norm


def check_password(password: str) -> None:
    """ValueError when a new password is too short or too long."""
    if len(password) < PASSWORD_MIN:
        raise ValueError(f"A password needs at least {PASSWORD_MIN} characters.")
    if len(password) > PASSWORD_MAX:
        raise ValueError(f"A password has at most {PASSWORD_MAX} characters.")


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password`` with a fresh random salt."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches ``password_hash``; False for a wrong or damaged hash."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password("not a password of anyone")
    return _DUMMY_HASH


# Parsed users per version of a users file (path, inode, size, mtime): every rerun of a
# signed-in session re-checks its user, and the file changes only when someone edits it.
_PARSED: dict[tuple[str, int, int, int], dict[str, User]] = {}
_PARSED_LOCK = threading.Lock()


def load_users(path: Path) -> dict[str, User]:
    """Users of the file at ``path`` by name (a new dict); empty when the file does not exist.

    The file is parsed again whenever it changes (save_users replaces it, so a
    new inode), and once per version otherwise.
    """
    try:
        info = path.stat()
    except OSError:
        return {}
    if not path.is_file():
        return {}
    key = (str(path.resolve()), info.st_ino, info.st_size, info.st_mtime_ns)
    with _PARSED_LOCK:
        cached = _PARSED.get(key)
    if cached is not None:
        return dict(cached)
    users = _parse_users(path)
    with _PARSED_LOCK:
        if len(_PARSED) >= 32:  # old versions and other files: forget them rather than grow
            _PARSED.clear()
        _PARSED[key] = users
    return dict(users)


def _parse_users(path: Path) -> dict[str, User]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise UsersFileError(f"The users file {path} cannot be read: {err}") from err
    users: dict[str, User] = {}
    for name, entry in (raw.get("users") or {}).items():
        if not isinstance(entry, dict):
            raise UsersFileError(f"The users file {path}: user {name!r} is not a table.")
        role, digest = entry.get("role"), entry.get("password_hash")
        if role not in ROLES or role == PUBLIC or not isinstance(digest, str):
            raise UsersFileError(f"The users file {path}: user {name!r} needs a role (partner or "
                                 "editor) and a password_hash.")
        norm = normalise_name(name)
        users[norm] = User(norm, role, digest, str(entry.get("created", "")))
    return users


def _toml_string(value: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes for the characters we allow.
    return json.dumps(value, ensure_ascii=True)


def save_users(path: Path, users: Mapping[str, User]) -> None:
    """Write ``users`` to ``path`` atomically, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    lines = ["# RMO Leverage Explorer users. Manage with: python -m rmo_data users --help",
             "# Passwords are stored as salted Argon2id hashes only.", ""]
    for user in sorted(users.values(), key=lambda u: u.name):
        lines += [f"[users.{_toml_string(user.name)}]", f"role = {_toml_string(user.role)}",
                  f"password_hash = {_toml_string(user.password_hash)}",
                  f"created = {_toml_string(user.created)}", ""]
    write_private_file(path, "\n".join(lines))


def write_private_file(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step (a temporary file, then rename), owner-only (0600)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def add_user(path: Path, name: str, role: str, password: str, replace_existing: bool = False,
             clock: Clock = time.time) -> User:
    """Add (or with ``replace_existing``, reset) a user; returns it.  ValueError when not allowed."""
    norm = check_name(name)
    if role not in ROLES or role == PUBLIC:
        raise ValueError("The role is partner or editor (everyone is public without signing in).")
    check_password(password)
    with locked_file(path):
        users = load_users(path)
        if norm in users and not replace_existing:
            raise ValueError(f"User {norm!r} exists already; use --replace to set a new password or role.")
        created = dt.datetime.fromtimestamp(clock(), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        user = User(norm, role, hash_password(password), created)
        users[norm] = user
        save_users(path, users)
    return user


def remove_user(path: Path, name: str) -> bool:
    """Remove a user; True when there was one of that name."""
    norm = normalise_name(name)
    with locked_file(path):
        users = load_users(path)
        if users.pop(norm, None) is None:
            return False
        save_users(path, users)
    return True


@contextlib.contextmanager
def locked_file(path: Path) -> Iterator[None]:
    """Exclusive lock for a read-modify-write of ``path`` (threads and processes)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Owner-only like the file it guards (open() would create it with the umask's 0644).
    lock_fd = os.open(path.with_name(path.name + ".lock"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with _FILE_LOCK, os.fdopen(lock_fd, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# --- failed attempts ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Attempts:
    """Failed sign-ins in a row (of one name from one client, or of one name from anyone)."""

    failures: int = 0
    lockouts: int = 0
    last_failure: float = 0.0
    not_before: float = 0.0


def wait_after(failures: int, lockouts: int) -> float:
    """Seconds the next attempt from the same client must wait after ``failures`` failures in a row.

    None for the first ``FREE_FAILURES``; then 1, 2, 4 … seconds; at
    ``LOCK_AFTER`` a lockout of ``LOCK_SECONDS``, doubled per earlier lockout.
    """
    if failures >= LOCK_AFTER:
        return float(min(LOCK_SECONDS * 2 ** lockouts, LOCK_MAX_SECONDS))
    if failures <= FREE_FAILURES:
        return 0.0
    return float(2 ** (failures - FREE_FAILURES - 1))


def after_failure(record: Attempts, now: float) -> Attempts:
    """The record after one more failure at ``now``."""
    failures = record.failures + 1
    wait = wait_after(failures, record.lockouts)
    if failures >= LOCK_AFTER:  # locked: the count starts again once the lock ends
        return Attempts(0, record.lockouts + 1, now, now + wait)
    return Attempts(failures, record.lockouts, now, now + wait)


def name_delay(record: Attempts, now: float) -> float:
    """Seconds every attempt at a name waits (never refused) after failures from any client.

    Nothing for the first ``LOCK_AFTER`` failures, then 1, 2 … up to
    ``NAME_DELAY_MAX`` seconds; forgotten ``NAME_WINDOW`` seconds after the
    last failure.  This slows a guesser who spreads over many clients, while
    the rightful user, on a client that has not failed, still gets in.
    """
    if record.failures <= LOCK_AFTER or now - record.last_failure >= NAME_WINDOW:
        return 0.0
    return float(min(record.failures - LOCK_AFTER, NAME_DELAY_MAX))


def _name_failure(record: Attempts, now: float) -> Attempts:
    failures = 1 if now - record.last_failure >= NAME_WINDOW else record.failures + 1
    return Attempts(failures, 0, now, 0.0)


def client_key(name: str, client: str) -> str:
    """Key of one client's record for one name in the attempts file."""
    return json.dumps([normalise_name(name), client])


def _key_name(key: str) -> str | None:
    try:
        parts = json.loads(key)
    except ValueError:
        return None
    return str(parts[0]) if isinstance(parts, list) and parts else None


class AttemptLog:
    """Failed attempts kept in a JSON file shared by every session and process.

    Two kinds of record: per name and client (``client_key``), which delays and
    locks, and per name alone, which only slows (``name_delay``).  A record
    made with ``client=""`` (the command line, older callers) is per name alone.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, dict[str, Attempts]]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"clients": {}, "names": {}}
        except (OSError, ValueError):
            raw = {}  # a damaged record is dropped: it only ever slows sign-ins down
        out: dict[str, dict[str, Attempts]] = {"clients": {}, "names": {}}
        for kind in out:
            part = raw.get(kind) if isinstance(raw, dict) else None
            for key, value in (part.items() if isinstance(part, dict) else ()):
                if isinstance(value, dict):
                    with contextlib.suppress(TypeError, ValueError):
                        out[kind][key] = Attempts(
                            int(value.get("failures", 0)), int(value.get("lockouts", 0)),
                            float(value.get("last_failure", 0)), float(value.get("not_before", 0)))
        return out

    def get(self, name: str, client: str = "") -> Attempts:
        """The record of ``name`` from ``client`` (an empty one when there is none)."""
        return self._read()["clients"].get(client_key(name, client), Attempts())

    def get_name(self, name: str) -> Attempts:
        """The record of ``name`` from every client together."""
        return self._read()["names"].get(normalise_name(name), Attempts())

    def update(self, name: str, change: Callable[[Attempts], Attempts | None], now: float,
               client: str = "", name_change: Callable[[Attempts], Attempts | None] | None = None
               ) -> Attempts:
        """Apply ``change`` to the record of ``name`` from ``client`` under the lock (None deletes it).

        ``name_change``, when given, is applied to the record of the name alone.
        """
        key, norm = client_key(name, client), normalise_name(name)
        with locked_file(self.path):
            records = self._read()
            records["clients"] = {k: v for k, v in records["clients"].items()
                                  if max(v.last_failure, v.not_before) + FORGET_AFTER > now}
            records["names"] = {k: v for k, v in records["names"].items()
                                if v.last_failure + FORGET_AFTER > now}
            new = change(records["clients"].get(key, Attempts()))
            if new is None:
                records["clients"].pop(key, None)
            else:
                records["clients"][key] = new
            if name_change is not None:
                named = name_change(records["names"].get(norm, Attempts()))
                if named is None:
                    records["names"].pop(norm, None)
                else:
                    records["names"][norm] = named
            self._write(records)
        return new or Attempts()

    def forget(self, name: str) -> None:
        """Drop every record of ``name``: from each client and from all together."""
        norm = normalise_name(name)
        with locked_file(self.path):
            records = self._read()
            records["clients"] = {k: v for k, v in records["clients"].items() if _key_name(k) != norm}
            records["names"].pop(norm, None)
            self._write(records)

    def _write(self, records: dict[str, dict[str, Attempts]]) -> None:
        write_private_file(self.path, json.dumps(
            {kind: {k: asdict(v) for k, v in part.items()} for kind, part in records.items()}))


# --- signing in --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SignIn:
    """Outcome of a sign-in attempt: the user on success, else a plain message."""

    user: User | None
    message: str
    retry_after: float = 0.0
    slowed: float = 0.0  # seconds this attempt was held back by the name's delay

    @property
    def ok(self) -> bool:
        """True when the attempt signed the user in."""
        return self.user is not None


WRONG: Final = "The user name or password is not right."


def _duration(seconds: float) -> str:
    seconds = max(1, round(seconds))
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = round(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def sign_in(name: str, password: str, users_path: Path, attempts_path: Path,
            clock: Clock = time.time, *, client: str = "",
            sleep: Callable[[float], None] = time.sleep) -> SignIn:
    """Check ``name`` and ``password`` from ``client``; record a failure or clear the record on success.

    ``client`` names where the attempt comes from (the browser's address, or its
    session): failures delay and then lock that name *from that client* only,
    so a stranger cannot lock the rightful user out.  An attempt made while its
    client must wait is refused without checking the password, so guessing
    gains nothing from trying faster.  Failures of the name from all clients
    together only slow every attempt at it (``name_delay``, via ``sleep``).
    """
    norm = normalise_name(name)
    log = AttemptLog(attempts_path)
    now = clock()
    record = log.get(norm, client)
    if record.not_before > now:
        wait = record.not_before - now
        return SignIn(None, "Too many failed sign-ins for this user name. "
                            f"Try again in {_duration(wait)}.", wait)
    slowed = name_delay(log.get_name(norm), now) if client else 0.0
    if slowed:
        sleep(slowed)
        now = clock()
    user = load_users(users_path).get(norm) if norm else None
    if user is not None and 0 < len(password) <= PASSWORD_MAX:
        good = verify_password(user.password_hash, password)
    else:
        verify_password(_dummy_hash(), password[:PASSWORD_MAX])  # same work as for a real name
        good = False
    if good and user is not None:
        # Only this client's record is cleared: a success says nothing about the others.  No
        # record, no write: a store that cannot be written (a full disk) still lets users in.
        if record != Attempts():
            log.update(norm, lambda _: None, now, client)
        _maybe_rehash(users_path, user, password)
        return SignIn(user, f"Signed in as {user.name}.", slowed=slowed)
    new = log.update(norm, lambda r: after_failure(r, now), now, client,
                     name_change=(lambda r: _name_failure(r, now)) if client else None)
    wait = new.not_before - now
    if new.failures == 0 and new.lockouts:
        return SignIn(None, f"{WRONG} Too many failed sign-ins: this user name is locked for "
                            f"{_duration(wait)} from this browser.", wait, slowed)
    if wait > 0:
        return SignIn(None, f"{WRONG} Wait {_duration(wait)} before the next try.", wait, slowed)
    return SignIn(None, WRONG, slowed=slowed)


def _maybe_rehash(path: Path, user: User, password: str) -> None:
    """Upgrade a hash made with older parameters, now that the password is known to be right."""
    try:
        if not _HASHER.check_needs_rehash(user.password_hash):
            return
        with locked_file(path):
            users = load_users(path)
            if user.name in users and users[user.name].password_hash == user.password_hash:
                users[user.name] = replace(users[user.name], password_hash=hash_password(password))
                save_users(path, users)
    except (OSError, InvalidHashError):
        return  # the old hash still works; upgrading is a nicety


def unlock(name: str, attempts_path: Path, clock: Clock = time.time) -> None:
    """Forget every failed attempt at ``name``, from every client (an administrator's command).

    ``clock`` is accepted for the callers that pass one; forgetting needs no time.
    """
    AttemptLog(attempts_path).forget(name)


# --- external identities (st.login) -----------------------------------------------------------------

def role_for_identity(email: str, mapping: Mapping[str, object]) -> str:
    """Role of an OpenID Connect identity from a mapping of role to e-mail addresses.

    ``mapping`` is e.g. ``{"editor": ["ana@example.org"], "partner": ["@example.org"]}``:
    an entry starting with "@" names a whole domain.  The highest role that
    names the address wins; an address named nowhere is public.
    """
    address = normalise_name(email)
    if "@" not in address:
        return PUBLIC
    domain = "@" + address.rsplit("@", 1)[1]
    for role in reversed(ROLES[1:]):
        entries = mapping.get(role) or []
        if isinstance(entries, str):
            entries = [entries]
        if any(normalise_name(str(e)) in (address, domain) for e in entries):  # type: ignore[union-attr]
            return role
    return PUBLIC


# --- sessions ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SessionPolicy:
    """How long a signed-in session lasts: idle time and total lifetime, in seconds."""

    idle: float = 8 * 3600
    lifetime: float = 24 * 3600

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SessionPolicy:
        """Read ``RMO_SESSION_IDLE_MINUTES`` and ``RMO_SESSION_MAX_HOURS`` (defaults when unset or bad)."""
        env = os.environ if env is None else env
        policy = cls()

        def number(key: str) -> float | None:
            try:
                value = float(env.get(key, ""))
            except ValueError:
                return None
            return value if value > 0 else None

        idle, life = number(IDLE_ENV), number(LIFETIME_ENV)
        return cls(idle=idle * 60 if idle else policy.idle, lifetime=life * 3600 if life else policy.lifetime)


@dataclass(frozen=True)
class Session:
    """A signed-in session: who, with which role, since when, last seen when, and how."""

    user: str
    role: str
    started: float
    last_seen: float
    method: str = "password"  # "password" (local users file) or "oidc" (st.login)
    generation: int = 0  # the user's session generation at sign-in (rmo_data.access.sessions)


def start_session(user: User, clock: Clock = time.time) -> Session:
    """A new session for ``user`` starting now."""
    now = clock()
    return Session(user.name, user.role, now, now)


def session_end_reason(session: Session, policy: SessionPolicy, clock: Clock = time.time) -> str | None:
    """Why ``session`` has ended ("idle" or "lifetime"), or None while it is valid."""
    now = clock()
    if now - session.started >= policy.lifetime:
        return "lifetime"
    if now - session.last_seen >= policy.idle:
        return "idle"
    return None


def touch(session: Session, clock: Clock = time.time) -> Session:
    """``session`` seen now."""
    return replace(session, last_seen=clock())
