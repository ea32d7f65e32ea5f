"""Signing in and out, and the role of the current session.

Everyone starts as ``public``.  Signing in with the local users file
(``rmo_data.access.accounts``) puts a session record in ``st.session_state``; the record
is checked at the start of every run (``refresh``): it ends after the idle
time or lifetime of ``rmo_data.access.accounts.SessionPolicy``, and follows the users
file (a removed user is signed out, a changed role applies at once).  Failed
attempts are recorded on the server by ``rmo_data.access.accounts``, per user name and
client (``client()``: the browser's address, else its session).

When ``.streamlit/secrets.toml`` has an ``[auth]`` section, the sign-in page
also offers ``st.login`` (OpenID Connect); the identity's e-mail address gets
its role from ``[rmo_roles]`` in the secrets (see the README).

Which role may open what lives in ``rmo_data.access.roles``; this module only asks it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from components import feedback
from components.safe import escape_html
from rmo_data.access import roles
from rmo_data.access import accounts
from rmo_data import constants

SESSION = "_auth_session"  # the accounts.Session of a local sign-in
NOTE = "_auth_note"  # why the session ended, shown once
CLOCK: accounts.Clock = time.time  # read at each call, so tests can put a fake clock here
SLEEP: Callable[[float], None] = time.sleep  # the name's slowdown; tests put a fake one here


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


def refresh() -> None:
    """End an expired local session, follow changes of the users file, and mark activity.

    Called by app.py on every run, before the navigation is built, and by each
    page's ``router.guard`` (cheap: one small file read).
    """
    session: accounts.Session | None = st.session_state.get(SESSION)
    if session is None:
        return
    reason = accounts.session_end_reason(session, accounts.SessionPolicy.from_env(), CLOCK)
    try:
        user = accounts.load_users(accounts.users_file()).get(session.user)
    except accounts.UsersFileError:
        user = None
    if reason is not None or user is None:
        del st.session_state[SESSION]
        st.session_state[NOTE] = (
            "You were signed out because your session ended "
            f"({'no activity for too long' if reason == 'idle' else 'it reached its time limit'}). "
            "Sign in again to see partner pages." if reason else
            "You were signed out because your account is no longer in the users file.")
        return
    st.session_state[SESSION] = accounts.touch(accounts.Session(user.name, user.role, session.started,
                                                        session.last_seen, session.method), CLOCK)


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
    st.session_state[SESSION] = accounts.start_session(result.user, CLOCK)
    st.session_state.pop(NOTE, None)
    if key == "signin":  # elsewhere the page the form stood for appears: that says it all
        _note(key, "success", f"Signed in as {result.user.name} ({roles.ROLE_LABELS[result.user.role]}).")


def sign_out() -> None:
    """Button callback: end the local session (and the st.login one, when there is one)."""
    st.session_state.pop(SESSION, None)
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
        note = st.session_state.pop(NOTE, None)
        if note:
            st.warning(note, icon=":material/timer_off:")
        if not signed_in_box("sidebar"):  # the menu's "Sign in" entry is the way in
            st.caption("Public view. Partners sign in (under Account in the menu) to see risk "
                       "evidence, leverage cards, prioritisation and downloads.")
        st.divider()


def partner_note(what: str) -> None:
    """The plain note shown where a public visitor would see partner content."""
    st.info(f"Partners who sign in also see {what}.", icon=":material/lock:")
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
