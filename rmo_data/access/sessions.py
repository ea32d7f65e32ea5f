"""Signed session tokens: a sign-in that survives a reload and a server restart.

Pure logic, no streamlit: ``components/signin.py`` keeps the token in a
browser cookie and calls this module to make and check it.

* **The token** is ``base64url(payload) "." base64url(HMAC-SHA256(key, payload))``
  (standard library only: ``hmac``, ``hashlib``, ``base64``, ``json``).  The
  payload names the user, their session *generation*, when the session began,
  when it was last seen and when it ends.  It never holds a password or a hash.
* **Checked on every use** against the users file (``accounts.load_users``,
  parsed once per version) and the session state file: a removed user or a
  bumped generation refuses the token (``python -m rmo_data users remove`` bumps
  it too, so a name added again later does not revive old sign-ins).  The role is never taken from the token: it is
  read from the users file, so a changed role applies at the next click.
* **The session state file** (``users.sessions.json`` beside the users file,
  mode 0600, written atomically under a lock) holds the signing key, made once
  with ``secrets.token_bytes(32)``, and each user's generation.  *Sign out*
  bumps the user's generation, which ends every token of that user in every
  browser (``users revoke-sessions NAME`` does the same from the command line).  ``revoke_all`` (``python -m rmo_data users revoke-sessions``)
  draws a new key and bumps every generation, ending every session.
* ``RMO_SESSION_SECRET``, when set, is the signing key instead of the file's
  (e.g. several servers behind one address); generations still come from the
  file, so revoking still works.

Every function that needs the time takes a ``clock``, so tests drive it with a fake one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from rmo_data.access import accounts

SECRET_ENV: Final = "RMO_SESSION_SECRET"
STATE_ENV: Final = "RMO_SESSION_STATE_FILE"
COOKIE: Final = "rmo_session"  # the browser cookie that keeps the token
MAX_TOKEN: Final = 2048  # longer cookie values are refused before any work
TICKET: Final = "t"  # the payload mark of a ticket (``issue(ticket=True)``)
TICKET_S: Final = 60.0  # a ticket is traded within a second; a minute allows a slow phone
_LOCK = threading.Lock()  # threads of one server; fcntl guards other processes


@dataclass(frozen=True)
class SessionState:
    """The signing key (kept in the file) and each user's session generation."""

    key: bytes
    generations: Mapping[str, int] = field(default_factory=dict)

    def generation(self, name: str) -> int:
        """The current generation of ``name`` (0 until it is first bumped)."""
        return int(self.generations.get(accounts.normalise_name(name), 0))


@dataclass(frozen=True)
class Verdict:
    """Outcome of checking a token: a session, else why not (one word)."""

    session: accounts.Session | None
    reason: str  # "ok", "malformed", "tampered", "lifetime", "idle", "removed", "revoked"

    @property
    def ok(self) -> bool:
        """True when the token is good."""
        return self.session is not None


def state_file(env: Mapping[str, str] | None = None) -> Path:
    """Path of the session state file: ``RMO_SESSION_STATE_FILE`` or beside the users file."""
    env = os.environ if env is None else env
    if env.get(STATE_ENV):
        return Path(env[STATE_ENV]).expanduser()
    users = accounts.users_file(env)
    return users.with_name(users.stem + ".sessions.json")


# --- the state file --------------------------------------------------------------------------------

# Parsed state per version of the file (path, inode, size, mtime): it is read on every run
# of a signed-in session and changes only at a sign-out or a revocation.
_PARSED: dict[tuple[str, int, int, int], SessionState] = {}


def _parse(path: Path) -> SessionState | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        key = base64.urlsafe_b64decode(str(raw["key"]))
        gens = {str(k): int(v) for k, v in dict(raw.get("generations") or {}).items()}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError, binascii.Error):
        return None  # damaged: treated as missing, so a new key is drawn (every session ends)
    return SessionState(key, gens) if len(key) >= 16 else None


def _cached(path: Path) -> SessionState | None:
    try:
        info = path.stat()
    except OSError:
        return None
    version = (str(path.resolve()), info.st_ino, info.st_size, info.st_mtime_ns)
    with _LOCK:
        hit = _PARSED.get(version)
    if hit is not None:
        return hit
    state = _parse(path)
    if state is not None:
        with _LOCK:
            if len(_PARSED) >= 32:  # old versions: forget them rather than grow
                _PARSED.clear()
            _PARSED[version] = state
    return state


def _write(path: Path, state: SessionState) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = json.dumps({"key": base64.urlsafe_b64encode(state.key).decode("ascii"),
                       "generations": dict(sorted(state.generations.items()))})
    accounts.write_private_file(path, text)


def load_state(path: Path) -> SessionState:
    """The session state at ``path``, made (with a fresh key) when there is none yet.

    OSError when a missing file cannot be written: without a kept key no token
    could survive a restart, so the caller says sign-ins last for the tab only.
    """
    state = _cached(path)
    if state is not None:
        return state
    with accounts.locked_file(path):
        state = _parse(path)  # another process may have made it meanwhile
        if state is None:
            state = SessionState(secrets.token_bytes(32), {})
            _write(path, state)
    return _cached(path) or state


def signing_key(state: SessionState, env: Mapping[str, str] | None = None) -> bytes:
    """``RMO_SESSION_SECRET`` when set, else the key kept in the state file."""
    env = os.environ if env is None else env
    secret = env.get(SECRET_ENV, "")
    return secret.encode("utf-8") if secret else state.key


def bump_generation(path: Path, name: str) -> int:
    """End every token of ``name`` (its *Sign out*); returns the new generation."""
    norm = accounts.normalise_name(name)
    with accounts.locked_file(path):
        state = _parse(path) or SessionState(secrets.token_bytes(32), {})
        new = state.generation(norm) + 1
        _write(path, SessionState(state.key, {**state.generations, norm: new}))
    return new


def revoke_all(path: Path, users: Mapping[str, accounts.User]) -> int:
    """End every session: draw a new key and bump every generation; returns the users counted."""
    with accounts.locked_file(path):
        state = _parse(path) or SessionState(b"", {})
        names = set(state.generations) | set(users)
        _write(path, SessionState(secrets.token_bytes(32),
                                  {n: state.generation(n) + 1 for n in names}))
    return len(names)


# --- tokens ----------------------------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, body: str) -> str:
    return _b64(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())


def issue(session: accounts.Session, user: accounts.User, state: SessionState,
          policy: accounts.SessionPolicy, key: bytes, clock: accounts.Clock = time.time,
          ticket: bool = False) -> str:
    """A token for ``session`` of ``user``, seen now; it ends ``policy.lifetime`` after sign-in.

    ``ticket=True`` makes a *ticket* instead: the same claims, marked as a
    ticket and ending ``TICKET_S`` seconds from now (or with the session, if
    sooner).  A ticket is never accepted as a session token; ``redeem`` trades
    it for one on the server, so the long-lived token never passes through the
    page's JavaScript (``rmo_data.access.session_route``).
    """
    now = clock()
    ends = session.started + policy.lifetime
    payload: dict[str, object] = {"u": user.name, "g": state.generation(user.name),
                                  "i": round(session.started, 3), "s": round(now, 3), "e": round(ends, 3)}
    if ticket:
        payload |= {"p": TICKET, "e": round(min(ends, now + TICKET_S), 3)}
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    return f"{body}.{_sign(key, body)}"


def expires(token: str) -> float:
    """When ``token`` ends (seconds since the epoch; 0 for a malformed one).  Not a check."""
    try:
        return float(json.loads(_unb64(token.split(".", 1)[0]))["e"])
    except (ValueError, TypeError, KeyError, IndexError, binascii.Error):
        return 0.0


def verify(token: str, users: Mapping[str, accounts.User], state: SessionState,
           policy: accounts.SessionPolicy, key: bytes, clock: accounts.Clock = time.time,
           ticket: bool = False) -> Verdict:
    """Check ``token``: its signature, its times, and that its user and generation still hold.

    The session returned has the role the users file gives now.  With
    ``ticket=True`` only a ticket passes (``issue(ticket=True)``); without, a
    ticket is refused as "malformed", so it can never serve as a session cookie.
    """
    body, dot, sig = (token if isinstance(token, str) else "").partition(".")
    if not dot or not body or not sig or len(token) > MAX_TOKEN:
        return Verdict(None, "malformed")
    if not hmac.compare_digest(_sign(key, body), sig):
        return Verdict(None, "tampered")
    try:
        data = json.loads(_unb64(body))
        name, gen = str(data["u"]), int(data["g"])
        started, seen, ends = float(data["i"]), float(data["s"]), float(data["e"])
    except (ValueError, TypeError, KeyError, binascii.Error):
        return Verdict(None, "malformed")  # signed by us but not ours in shape: an older format
    if (data.get("p") == TICKET) != ticket:
        return Verdict(None, "malformed")  # a ticket where a session token belongs, or the reverse
    now = clock()
    if now >= ends or now - started >= policy.lifetime:
        return Verdict(None, "lifetime")
    if now - seen >= policy.idle:
        return Verdict(None, "idle")
    user = users.get(name)
    if user is None:
        return Verdict(None, "removed")
    if gen != state.generation(name):
        return Verdict(None, "revoked")
    return Verdict(accounts.Session(user.name, user.role, started, now, generation=gen), "ok")


def redeem(ticket_text: str, users: Mapping[str, accounts.User], state: SessionState,
           policy: accounts.SessionPolicy, key: bytes, clock: accounts.Clock = time.time) -> str | None:
    """The session token a good ticket stands for (its session, seen now), or None.

    The token keeps the sign-in time of the ticket's session, so trading
    tickets never lengthens a session beyond ``policy.lifetime``.
    """
    verdict = verify(ticket_text, users, state, policy, key, clock, ticket=True)
    if verdict.session is None:
        return None
    user = users[verdict.session.user]
    return issue(verdict.session, user, state, policy, key, clock)
