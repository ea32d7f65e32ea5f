"""Signing in and out, and the role of the current session.

Everyone starts as ``public``.  Signing in with the local users file
(``rmo_data.access.accounts``) puts a session record in ``st.session_state``; the record
is checked at the start of every run (``refresh``): it ends after the idle
time or lifetime of ``rmo_data.access.accounts.SessionPolicy``, follows the users
file (a removed user is signed out, a changed role applies at once) and ends
when the user's session generation moves on (*Sign out* in any browser, or
``python -m rmo_data users revoke-sessions``).

The sign-in also lives in a cookie, ``rmo_session``: a signed token of
``rmo_data.access.sessions``, never the password.  A Streamlit script cannot
send a ``Set-Cookie`` header, so when the app runs as ``asgi.py`` (what
``python scripts/serve.py`` starts) the page posts a one-minute *ticket* to the
server's own route (``rmo_data.access.session_route``), which sets the token as
an ``HttpOnly``, ``SameSite=Strict`` cookie that no script can read.  Under a
plain ``streamlit run app.py`` that route does not exist, and the cookie is
written by JavaScript (``SameSite=Strict``, ``Secure`` over HTTPS, not
HTTP-only).  Both are made by a few lines of JavaScript (``st.html`` with
``unsafe_allow_javascript``) drawn in an invisible container.  A new browser
session (a reload, a new tab, a reconnect after a server restart) reads it once
from ``st.context.cookies`` (the cookies of the websocket's opening request) and
is signed in again when the token still holds.  While in use the token is
written again every ``REISSUE_AFTER`` seconds, so the idle time counts across
reloads too.  Failed
attempts are recorded on the server by ``rmo_data.access.accounts``, per user name and
client (``client()``: the browser's address, else its session).

When ``.streamlit/secrets.toml`` has an ``[auth]`` section, the sign-in page
also offers ``st.login`` (OpenID Connect); the identity's e-mail address gets
its role from ``[rmo_roles]`` in the secrets (see the README).

Which role may open what lives in ``rmo_data.access.roles``; this module only asks it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from components import feedback
from components.safe import escape_html
from rmo_data.access import roles
from rmo_data.access import accounts, session_route, sessions
from rmo_data import constants

SESSION = "_auth_session"  # the accounts.Session of a local sign-in
NOTE = "_auth_note"  # why the session ended, shown once
CLOCK: accounts.Clock = time.time  # read at each call, so tests can put a fake clock here
SLEEP: Callable[[float], None] = time.sleep  # the name's slowdown; tests put a fake one here
COOKIE = sessions.COOKIE  # the browser's copy of the signed token
COOKIE_OP = "_auth_cookie_op"  # the token or ticket to keep (or "" to clear) in this run's sidebar
COOKIE_CHECKED = "_auth_cookie_checked"  # the opening request's cookie is read once per session
COOKIE_WRITTEN = "_auth_cookie_written"  # when the token was last written (CLOCK seconds)
WRITER = "rmo_cookie_writer"  # key of the invisible container that holds the cookie script
REISSUE_AFTER = 10 * 60  # a session in use writes its token again this often (keeps idle time honest)
ENDED = {  # why a kept sign-in no longer holds, as told once in the sidebar
    "idle": "You were signed out because your session ended (no activity for too long). Sign in again "
            "to see partner pages.",
    "lifetime": "You were signed out because your session ended (it reached its time limit). Sign in "
                "again to see partner pages.",
    "removed": "You were signed out because your account is no longer in the users file.",
    "revoked": "You were signed out because this account signed out in another browser, or the person "
               "who runs this app ended every session. Sign in again to continue.",
}


# --- the session's role --------------------------------------------------------------------------

_OIDC_CHECKED: list[float | bool] = [0.0, False]  # when last checked, and the answer


def _oidc_configured() -> bool:
    """True when secrets.toml has an ``[auth]`` section (st.login is set up).

    Asked for every figure's downloads, so the answer is kept for a few seconds.
    """
    if time.monotonic() - float(_OIDC_CHECKED[0]) < 10:
        return bool(_OIDC_CHECKED[1])
    try:
        answer = "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no or unreadable secrets file: no external sign-in
        answer = False
    _OIDC_CHECKED[:] = [time.monotonic(), answer]
    return answer


def _oidc_roles() -> Mapping[str, Any]:
    try:
        return st.secrets.get("rmo_roles", {})
    except Exception:  # noqa: BLE001 - same as above
        return {}


def _oidc_session() -> accounts.Session | None:
    """The st.login identity as a session, with its role from ``[rmo_roles]``."""
    if not _oidc_configured() or not st.user.is_logged_in:
        return None
    email = str(st.user.get("email") or "")
    role = accounts.role_for_identity(email, _oidc_roles())
    return accounts.Session(email or "signed-in user", role, 0.0, 0.0, method="oidc")


def _kept_state() -> tuple[sessions.SessionState, bytes] | None:
    """The session state and signing key; None when the state file cannot be read or made."""
    try:
        state = sessions.load_state(sessions.state_file())
    except OSError:  # e.g. a read-only folder: sign-ins then last for the browser tab only
        return None
    return state, sessions.signing_key(state)


def _keep_token(session: accounts.Session, user: accounts.User) -> None:
    """Ask this run's sidebar to write ``session``'s token into the browser's cookie."""
    kept = _kept_state()
    if kept is None:
        return
    state, key = kept
    # With the server's cookie route only a short ticket reaches the page; the route sets the token.
    st.session_state[COOKIE_OP] = sessions.issue(session, user, state, accounts.SessionPolicy.from_env(),
                                                 key, CLOCK, ticket=session_route.mounted() is not None)
    st.session_state[COOKIE_WRITTEN] = CLOCK()


def _end(note: str | None) -> None:
    """End the local session of this browser session and drop its cookie."""
    st.session_state.pop(SESSION, None)
    st.session_state[COOKIE_OP] = ""
    if note:
        st.session_state[NOTE] = note


def _restore() -> None:
    """Sign in again from the cookie of the opening request, once per browser session."""
    if st.session_state.get(COOKIE_CHECKED):
        return
    st.session_state[COOKIE_CHECKED] = True
    try:
        token = st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - no browser context (a bare script run): nothing kept
        token = None
    if not isinstance(token, str) or not token:  # AppTest's context holds no real cookies
        return
    kept = _kept_state()
    if kept is None:
        return
    try:
        users = accounts.load_users(accounts.users_file())
    except accounts.UsersFileError:
        return  # the sign-in form says what is wrong with the file
    verdict = sessions.verify(token, users, kept[0], accounts.SessionPolicy.from_env(), kept[1], CLOCK)
    if verdict.session is None:
        _end(ENDED.get(verdict.reason))  # a forged or damaged cookie is dropped without a word
        return
    st.session_state[SESSION] = verdict.session
    st.session_state[COOKIE_WRITTEN] = 0.0  # written again in this run: the idle time starts now


def refresh() -> None:
    """Restore a kept sign-in, end an expired or revoked one, follow the users file, mark activity.

    Called by app.py on every run, before the navigation is built, and by each
    page's ``router.guard`` (cheap: two small files, each parsed once per version).
    """
    session: accounts.Session | None = st.session_state.get(SESSION)
    if session is None:
        _restore()
        session = st.session_state.get(SESSION)
        if session is None:
            return
    reason = accounts.session_end_reason(session, accounts.SessionPolicy.from_env(), CLOCK)
    try:
        user = accounts.load_users(accounts.users_file()).get(session.user)
    except accounts.UsersFileError:
        user = None
    kept = _kept_state()
    if reason is not None:
        _end(ENDED[reason])
        return
    if user is None:
        _end(ENDED["removed"])
        return
    if kept is not None and kept[0].generation(user.name) != session.generation:
        _end(ENDED["revoked"])
        return
    session = accounts.touch(accounts.Session(user.name, user.role, session.started, session.last_seen,
                                              session.method, session.generation), CLOCK)
    st.session_state[SESSION] = session
    if CLOCK() - float(st.session_state.get(COOKIE_WRITTEN, 0.0)) >= REISSUE_AFTER:
        _keep_token(session, user)


def write_cookie() -> None:
    """Write (or clear) the browser's cookie when this run changed it; draws nothing visible.

    Called from ``sidebar_box`` on every run.  With the server's route
    (``session_route.mounted()``) the page posts the ticket there and the
    server sets an HTTP-only cookie; otherwise the page writes the token
    itself.  Either text holds no secret of the user's and is made of
    base64url characters and a dot only.
    """
    op = st.session_state.pop(COOKIE_OP, None)
    if op is None:
        return
    route = session_route.mounted()
    if route:
        body = {"ticket": op} if op else {"clear": True}
        script = (f"fetch({json.dumps(route)}, {{method: 'POST', credentials: 'same-origin', "
                  f"headers: {{'Content-Type': 'application/json'}}, body: {json.dumps(json.dumps(body))}}});")
    else:
        if op:
            max_age = max(0, int(sessions.expires(op) - CLOCK()))
            value = f"{COOKIE}={op}; Path=/; Max-Age={max_age}; SameSite=Strict"
        else:
            value = f"{COOKIE}=; Path=/; Max-Age=0; SameSite=Strict"
        script = (f"document.cookie = {json.dumps(value)} + "
                  "(location.protocol === 'https:' ? '; Secure' : '');")
    # The container hides itself, so the sidebar keeps no empty gap where the script stands.
    with st.container(key=WRITER):
        st.html(f"<style>.st-key-{WRITER} {{display: none;}}</style><script>{script}</script>",
                unsafe_allow_javascript=True, width="content")


def current() -> accounts.Session | None:
    """The signed-in session (local or st.login), None for the public."""
    return st.session_state.get(SESSION) or _oidc_session()


def role() -> str:
    """The current session's role: ``public`` unless signed in."""
    session = current()
    return session.role if session is not None else roles.PUBLIC


def actor() -> str:
    """Who to name in the audit log: the signed-in user, else the generic app user."""
    session = current()
    return session.user if session is not None else constants.DEFAULT_ACTOR


def can(feature: str) -> bool:
    """True when the current role may use ``feature`` (see ``rmo_data.access.roles.FEATURES``)."""
    return roles.may_use(role(), feature)


def may_open(path: str) -> bool:
    """True when the current role may open the page at ``path``."""
    return roles.may_open(role(), path)


# --- signing in and out -----------------------------------------------------------------------------

def client_address() -> str | None:
    """The browser's network address as the server sees it (None when unknown, e.g. on loopback)."""
    try:
        return st.context.ip_address
    except Exception:  # noqa: BLE001 - no context outside a browser session: no address
        return None


def client() -> str:
    """Where a sign-in comes from: the browser's network address, else this browser session.

    Streamlit gives no address for a loopback connection (a local browser, or a
    reverse proxy on the same machine); each session then counts on its own.
    """
    address = client_address()
    if address:
        return f"ip:{address}"
    ctx = get_script_run_ctx()
    return f"session:{ctx.session_id}" if ctx is not None else "session:unknown"


def _note(key: str, kind: str, message: str) -> None:
    """Keep the outcome of the form ``key`` for its next run, shown as written (text of the code, a user name)."""
    feedback.flash(message, kind, key, escape=False)


def _attempt(key: str) -> None:
    """Form callback: check the name and password, then forget the password at once."""
    name = str(st.session_state.get(f"{key}_name", ""))
    password = str(st.session_state.get(f"{key}_password", ""))
    st.session_state[f"{key}_password"] = ""  # not kept in the session after this call
    if not name.strip() or not password:
        _note(key, "error", "Enter your user name and password.")
        return
    try:
        result = accounts.sign_in(name, password, accounts.users_file(), accounts.attempts_file(), CLOCK,
                              client=client(), sleep=SLEEP)
    except accounts.UsersFileError:
        _note(key, "error", "Signing in is not available: the users file cannot be read. Tell the person "
                            "who runs this app.")
        return
    except OSError:  # the failed attempt could not be recorded (full disk, read-only): refuse plainly
        _note(key, "error", "The sign-in could not be checked because the server cannot record sign-in "
                            "attempts just now (its disk may be full). Try again later, or tell the person "
                            "who runs this app.")
        return
    del password
    if result.user is None:
        _note(key, "error", result.message)
        return
    kept = _kept_state()
    session = replace(accounts.start_session(result.user, CLOCK),
                      generation=kept[0].generation(result.user.name) if kept else 0)
    st.session_state[SESSION] = session
    st.session_state[COOKIE_CHECKED] = True  # this sign-in wins over an older cookie of the tab
    _keep_token(session, result.user)
    st.session_state.pop(NOTE, None)
    if key == "signin":  # elsewhere the page the form stood for appears: that says it all
        _note(key, "success", f"Signed in as {result.user.name} ({roles.ROLE_LABELS[result.user.role]}).")


def sign_out() -> None:
    """Button callback: end the local session in every browser (and the st.login one, when there is one).

    The user's session generation moves on, so each of their kept sign-ins ends
    at its next click; this browser's cookie is dropped at once.
    """
    session: accounts.Session | None = st.session_state.get(SESSION)
    st.session_state[COOKIE_CHECKED] = True  # the opening request's cookie is not read again
    _end(None)
    if session is not None and session.method == "password":
        try:
            sessions.bump_generation(sessions.state_file(), session.user)
        except OSError:  # the file cannot be written: this browser is signed out all the same
            st.session_state[NOTE] = ("You are signed out in this browser. Other browsers signed in as "
                                      "you stay signed in, because the server cannot write its session "
                                      "file just now.")
    if _oidc_configured() and st.user.is_logged_in:
        st.logout()


def sign_in_form(key: str = "signin") -> None:
    """The user-name and password form, its outcome, and st.login when it is configured."""
    feedback.show_flash(key)
    with st.form(f"{key}_form", border=True, enter_to_submit=True):
        st.text_input("User name", key=f"{key}_name", max_chars=64, autocomplete="username")
        st.text_input("Password", key=f"{key}_password", type="password", max_chars=accounts.PASSWORD_MAX,
                      autocomplete="current-password")
        st.form_submit_button("Sign in", key=f"{key}_submit", type="primary", icon=":material/login:",
                              on_click=_attempt, args=(key,))
    st.caption("Accounts are made by the person who runs this app. After several wrong passwords a "
               "user name has to wait before the next try.")
    if _oidc_configured() and st.button("Sign in with your organisation's account", key=f"{key}_oidc",
                                        icon=":material/account_circle:"):
        st.login()  # redirects to the provider configured in [auth]


def signed_in_box(key: str = "account") -> bool:
    """Who is signed in, with which role, and a sign-out button; False for the public."""
    session = current()
    if session is None:
        return False
    st.markdown(f"Signed in as **{escape_html(session.user)}** · {roles.ROLE_LABELS[session.role]}")
    st.button("Sign out", key=f"{key}_sign_out", on_click=sign_out, icon=":material/logout:",
              width="stretch")
    return True


def sidebar_box(box: Any) -> None:
    """Top of the sidebar (``box``, a container in it): who is signed in and a sign-out button,
    or a line on the public view.  Drawn after ``st.navigation``, like every page link.
    """
    with box:
        write_cookie()
        note = st.session_state.pop(NOTE, None)
        if note:
            st.warning(note, icon=":material/timer_off:")
        if not signed_in_box("sidebar"):  # the menu's "Sign in" entry is the way in
            st.caption("Public view. Partners sign in (under Account in the menu) to see risk "
                       "evidence, leverage cards, prioritisation and downloads.")
        st.divider()


def partner_note(what: str, compact: bool = False) -> None:
    """The plain note shown where a public visitor would see partner content.

    ``compact``: one muted line, for a page that has said it in a box already (the Material
    profile's tabs under its briefing-pack note: two blue boxes on one phone screen).
    """
    text = f"Partners who sign in also see {what}."
    if compact:
        st.caption(f":material/lock: {text}")
    else:
        st.info(text, icon=":material/lock:")
    st.page_link("pages/sign_in.py", label="Sign in", icon=":material/login:")


def refusal_page(spec: roles.PageSpec) -> Callable[[], None]:
    """A page that stands at ``spec``'s address for a role that may not open it."""
    needed = spec.min_role
    article = "an" if needed[0] in "aeiou" else "a"

    def refuse() -> None:
        st.title(spec.title)
        st.warning(f"This page is for {needed}s. Sign in as {article} {needed} to open this page.",
                   icon=":material/lock:")
        session = current()
        if session is not None:
            st.caption(f"You are signed in as {escape_html(session.user)} "
                       f"({roles.ROLE_LABELS[session.role]}).")
        # Signing in here reruns at the same address, which then holds the real page.
        sign_in_form(f"refuse_{spec.url_path}")

    refuse.__name__ = f"refuse_{spec.url_path}"
    return refuse
