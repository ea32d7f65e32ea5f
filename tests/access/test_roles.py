"""AppTest runs of access roles: what the public, partners and editors see, and signing in.

Signing in always goes through the real form (``tests/signin.py``).  The
pages registered with ``st.navigation`` are read from AppTest's registry (the
same one ``AppTest.switch_page`` resolves against): a real page has a script
path, a refused page's stand-in has none.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from streamlit.proto.TextInput_pb2 import TextInput as TextInputProto
from streamlit.testing.v1 import AppTest

from components.safe import escape_html
from components import signin as ui_auth
from rmo_data.analysis import evidence_rollups
from rmo_data.access import roles
from rmo_data.access import accounts
from rmo_data.store import queries
from tests.apptest import each_tab, new_session, no_exception, open_expander
from tests.signin import USERS, sign_in
from tests.access.test_accounts import FakeClock

ROOT = Path(__file__).resolve().parents[2]
PARTNER_PAGES = [p.path for p in roles.PAGES if p.min_role == roles.PARTNER]


@pytest.fixture()
def own_users(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A users file of this test only (its failed attempts touch no other test)."""
    path = tmp_path / "users.toml"
    name, password = USERS["partner"]
    accounts.add_user(path, name, "partner", password)
    monkeypatch.setenv(accounts.USERS_ENV, str(path))
    return path


@pytest.fixture()
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """A fake clock for the app's sign-in and sessions (components.signin.CLOCK)."""
    fake = FakeClock()
    monkeypatch.setattr(ui_auth, "CLOCK", fake)
    return fake


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [t.value for t in at.title]
    parts += [i.value for i in at.info] + [w.value for w in at.warning] + [e.value for e in at.error]
    parts += [s.value for s in at.success]
    return "\n".join(str(p) for p in parts)


# The default page's file name is an address that leads to it (components.router), not a refusal.
DEFAULT_ALIASES = {p.url_path for p in roles.PAGES if p.default}


def _registered(at: AppTest) -> tuple[set[str], set[str]]:
    """Script paths of the real pages, and addresses of the refusal stand-ins, of the last run."""
    real, stand_ins = set(), set()
    for info in at._registered_pages.values():  # what st.navigation registered (AppTest's own registry)
        script = info.get("script_path")
        if script:
            real.add(Path(str(script)).resolve().relative_to(ROOT).as_posix())
        elif str(info.get("url_pathname")) not in DEFAULT_ALIASES:
            stand_ins.add(str(info.get("url_pathname")))
    real.discard("app.py")  # the main script, registered by AppTest itself
    return real, stand_ins


def _through_router(at: AppTest) -> AppTest:
    """Run app.py itself, so the registry is the one its st.navigation made for this session.

    After ``switch_page`` AppTest runs the page script on its own and registers the
    legacy ``pages/`` folder (every script, with its path), whatever the role.
    """
    return no_exception(at.switch_page("app.py").run())


def _existing(role: str) -> set[str]:
    return {p.path for p in roles.pages_for(role, ROOT)}


def _attempt(at: AppTest, name: str, password: str, key: str = "signin") -> str:
    at.text_input(key=f"{key}_name").input(name)
    at.text_input(key=f"{key}_password").input(password)
    at.button(key=f"{key}_submit").click()
    no_exception(at.run())
    return _texts(at)


# --- what each role's navigation holds -----------------------------------------------------------------

def test_public_navigation_lacks_partner_pages(app: AppTest) -> None:
    at = no_exception(app.run())
    real, stand_ins = _registered(at)
    assert real == _existing("public")
    assert {"pages/overview.py", "pages/material.py", "pages/sources.py"} <= real
    assert not real & set(PARTNER_PAGES)
    # Each locked page's address (partner and editor pages) holds a refusal, never the page itself.
    locked = [p.path for p in roles.PAGES if p.min_role != roles.PUBLIC and (ROOT / p.path).is_file()]
    assert set(PARTNER_PAGES) < set(locked)
    assert stand_ins == {roles.page(p).url_path for p in locked}
    for page in locked:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)
    assert "Public view" in " ".join(c.value for c in at.sidebar.caption)


def test_partner_sees_act_pages_but_not_editor_pages(app: AppTest) -> None:
    at = _through_router(sign_in(app, "partner"))
    real, stand_ins = _registered(at)
    assert real == _existing("partner")
    assert {"pages/prioritisation.py", "pages/leverage_cards.py", "pages/workshop.py",
            "pages/evidence.py", "pages/stakeholders.py"} <= real
    editor_only = {p.path for p in roles.PAGES if p.min_role == roles.EDITOR}
    assert not real & editor_only
    assert stand_ins == {roles.page(p).url_path for p in editor_only if (ROOT / p).is_file()}
    present = sorted(p for p in editor_only if (ROOT / p).is_file())
    assert present, "no editor page file to check"
    for page in present:  # not in the partner's navigation
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)
    no_exception(at.switch_page("pages/prioritisation.py").run())
    assert at.title[0].value == "Prioritisation"
    for page in present:  # run on its own (AppTest's legacy mode), the page's guard refuses a partner
        no_exception(at.switch_page(page).run())
        assert "This page is for editors" in _texts(at)
        assert not at.get("file_uploader") and not at.dataframe, "nothing of the page is drawn"


def test_editor_sees_every_page(app: AppTest) -> None:
    at = _through_router(sign_in(app, "editor"))
    real, stand_ins = _registered(at)
    assert real == {f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py")}
    assert not stand_ins


# --- refusing a direct address ----------------------------------------------------------------------------

@pytest.mark.parametrize("page", PARTNER_PAGES)
def test_public_opening_a_partner_page_is_refused(app: AppTest, page: str) -> None:
    # Switching before the first run opens the page by its address, as a new browser session does.
    at = no_exception(app.switch_page(page).run())
    spec = roles.page(page)
    assert at.title[0].value == spec.title
    assert "Sign in as a partner to open this page" in " ".join(w.value for w in at.warning)
    assert not at.dataframe and not at.metric and not at.get("download_button"), "no page content"
    password = at.text_input(key=f"refuse_{spec.url_path}_password")  # the sign-in path, on the spot
    assert password.label == "Password" and password.proto.type == TextInputProto.PASSWORD


def test_signing_in_on_the_refusal_reveals_the_page(app: AppTest, built_engine) -> None:  # noqa: ANN001
    at = no_exception(app.switch_page("pages/prioritisation.py").run())
    assert not [df for df in at.dataframe if "score" in df.value.columns]
    name, password = USERS["partner"]
    text = _attempt(at, name, password, key="refuse_prioritisation")
    assert "Sign in as a partner" not in text
    assert at.title[0].value == "Prioritisation"
    ranking = [df.value for df in at.dataframe if isinstance(df.value, pd.DataFrame) and "score" in df.value.columns]
    assert ranking and len(ranking[0]) == len(queries.overview(engine=built_engine))


def test_the_guard_refuses_a_page_run_for_a_role_below_its_minimum(app: AppTest,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """router.guard, the one check every page calls, stops a page whose role is too high.

    The navigation already keeps such pages out; here the mapping that the guard
    reads says "editor" for the Sources page while the menu still lists it.
    """
    raised = roles.PageSpec("pages/sources.py", "Sources & method", "", "About", roles.EDITOR)
    real_page = roles.page
    monkeypatch.setattr(roles, "page", lambda path: raised if path.endswith("sources.py") else real_page(path))
    at = sign_in(app, "partner")
    no_exception(at.switch_page("pages/sources.py").run())
    assert "This page is for editors. Sign in as an editor to open this page" in _texts(at)
    assert not at.dataframe, "nothing of the page is drawn"


# --- the public view of public pages ---------------------------------------------------------------------

def test_public_material_profile_hides_cases_cards_and_downloads(app: AppTest, built_engine) -> None:  # noqa: ANN001
    at = app
    at.session_state["material"] = "nickel"
    no_exception(at.switch_page("pages/material.py").run())
    # The tabs are built only when open: read every one of them.
    texts, downloads = [], 0
    for _ in each_tab(at, "mp_tab"):
        texts.append(_texts(at))
        downloads += len(at.get("download_button"))
    text = "\n".join(texts)
    cases = queries.evidence(materials=["nickel"], engine=built_engine)
    levers = queries.leverages(materials=["nickel"], include_cross=False, engine=built_engine)

    assert not any(escape_html(s) in text for s in cases["summary"]), "no case-level evidence"
    assert not any(escape_html(t) in text for t in levers["title"]), "no leverage card"
    assert not downloads and not [b for b in at.button if b.key == "mp_pack_prepare"]
    assert "Partners who sign in also see each case" in text
    assert "Partners who sign in also see these leverage cards" in text
    assert "Partners who sign in also see briefing packs" in text
    # A report passage split into several cases counts once, as everywhere else in the app.
    n = evidence_rollups.passage_keys(cases).nunique()
    assert f"{n} risk evidence {'case is' if n == 1 else 'cases are'} recorded" in text

    # The same profile for a partner shows all three.
    sign_in(at, "partner")
    no_exception(at.switch_page("pages/material.py").run())
    assert at.get("download_button") and "mp_pack_prepare" not in [b.key for b in at.button]  # box closed
    assert open_expander(at, "mp_pack_box").button(key="mp_pack_prepare")
    text = "\n".join(_texts(at) for _ in each_tab(at, "mp_tab"))
    assert any(escape_html(s) in text for s in cases["summary"])
    assert any(escape_html(t) in text for t in levers["title"])
    assert "Partners who sign in" not in text


@pytest.mark.parametrize("page", ["pages/overview.py", "pages/sources.py"])
def test_public_pages_offer_no_downloads(app: AppTest, page: str) -> None:
    at = no_exception(app.switch_page(page).run())
    assert not at.get("download_button")
    assert "Partners who sign in also see" in _texts(at)


def test_workshop_join_is_public_facilitating_needs_a_partner(app: AppTest) -> None:
    at = no_exception(app.switch_page("pages/workshop.py").run())
    assert at.text_input(key="join").value == ""  # the join view, open to anyone with a code
    at.session_state["ws_mode"] = "run"
    no_exception(at.run())
    assert "Facilitating a workshop is for partners only" in _texts(at)
    assert not [t for t in at.text_input if t.key == "ws_new_name"]
    name, password = USERS["partner"]
    _attempt(at, name, password, key="ws_signin")
    assert at.text_input(key="ws_new_name") is not None  # the create form


# --- signing in ---------------------------------------------------------------------------------------------

def test_wrong_password_is_refused_with_a_message(app: AppTest, own_users: Path) -> None:
    at = no_exception(app.switch_page("pages/sign_in.py").run())
    name, password = USERS["partner"]
    text = _attempt(at, name, password + "-wrong")
    assert accounts.WRONG in text
    assert password not in text and at.text_input(key="signin_password").value == ""
    assert ui_auth.SESSION not in at.session_state
    text = _attempt(at, "nobody-here", password)
    assert accounts.WRONG in text, "an unknown name gets the same message"
    assert at.title[0].value == "Sign in"


@pytest.fixture()
def client_of(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The client the app sees for the next sign-in attempt (set ``client_of[0]``).

    A browser's address does not exist in AppTest, so the test names it; no
    real sleeping for the name's slowdown either.
    """
    current = ["ip:198.51.100.7"]
    monkeypatch.setattr(ui_auth, "client", lambda: current[0], raising=False)
    monkeypatch.setattr(ui_auth, "SLEEP", lambda seconds: None, raising=False)
    return current


def test_lockout_after_repeated_failures_holds_for_every_session(app: AppTest, own_users: Path,
                                                                  clock: FakeClock, client_of: list[str]) -> None:
    at = no_exception(app.switch_page("pages/sign_in.py").run())
    name, password = USERS["partner"]
    for _ in range(accounts.FREE_FAILURES):
        assert "Wait" not in _attempt(at, name, "wrong password 1")
    assert "Wait 1 second before the next try" in _attempt(at, name, "wrong password 2")
    # During the wait even the right password is refused, unchecked.
    assert "Try again in 1 second" in _attempt(at, name, password)
    clock.advance(1)
    assert "Wait 2 seconds" in _attempt(at, name, "wrong password 3")
    clock.advance(2)
    assert "locked for 15 minutes" in _attempt(at, name, "wrong password 4")
    clock.advance(10 * 60)
    assert "Try again in 5 minutes" in _attempt(at, name, password)
    assert ui_auth.SESSION not in at.session_state
    # The lock is kept on the server, not in this session: a new session from the same
    # address is refused too.
    other = new_session()
    no_exception(other.switch_page("pages/sign_in.py").run())
    assert "Try again in 5 minutes" in _attempt(other, name, password)
    clock.advance(5 * 60)
    assert f"Signed in as {name}" in _attempt(other, name, password)


def test_a_stranger_cannot_lock_the_editor_out(app: AppTest, own_users: Path, clock: FakeClock,
                                               client_of: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    name, password = USERS["editor"]
    accounts.add_user(own_users, name, "editor", password)
    at = no_exception(app.switch_page("pages/sign_in.py").run())
    for i in range(3 * accounts.LOCK_AFTER):  # a stranger's browser tries the editor's name, waiting each time
        _attempt(at, name, f"a wrong guess {i}")
        clock.advance(1)
    assert "Try again in" in _attempt(at, name, password), "the stranger's browser is locked"
    assert ui_auth.SESSION not in at.session_state

    client_of[0] = "ip:203.0.113.20"  # the editor, in another browser
    editor = new_session()
    no_exception(editor.switch_page("pages/sign_in.py").run())
    assert f"Signed in as {name}" in _attempt(editor, name, password)
    assert editor.session_state[ui_auth.SESSION].role == "editor"


def test_expired_session_falls_back_to_public(app: AppTest, clock: FakeClock) -> None:
    at = sign_in(app, "partner")
    no_exception(at.switch_page("pages/prioritisation.py").run())
    # The only warnings are the ranking's ⚑ flags (a top-3 place resting on gaps), never a sign-in one.
    assert at.title[0].value == "Prioritisation" and all(w.value.startswith("⚑") for w in at.warning)
    clock.advance(7 * 3600)  # seven hours idle: still signed in (the default limit is eight)
    no_exception(at.run())
    assert at.session_state[ui_auth.SESSION].role == "partner"
    clock.advance(8 * 3600)
    no_exception(at.run())
    assert ui_auth.SESSION not in at.session_state
    assert "Sign in as a partner to open this page" in _texts(at)
    assert not at.dataframe
    # The sidebar tells why (AppTest drops the sidebar of a switched page: read the note it shows).
    assert "signed out because your session ended (no activity for too long)" in at.session_state[ui_auth.NOTE]


def test_removed_user_is_signed_out_and_role_changes_apply(app: AppTest, own_users: Path) -> None:
    name, password = USERS["partner"]
    at = no_exception(app.switch_page("pages/sign_in.py").run())
    _attempt(at, name, password)
    accounts.add_user(own_users, name, "editor", password, replace_existing=True)
    no_exception(at.run())
    assert at.session_state[ui_auth.SESSION].role == "editor"
    assert accounts.remove_user(own_users, name)
    no_exception(at.switch_page("pages/prioritisation.py").run())
    assert ui_auth.SESSION not in at.session_state
    assert "Sign in as a partner to open this page" in _texts(at) and not at.dataframe
    assert "no longer in the users file" in at.session_state[ui_auth.NOTE]


def test_sign_out_returns_to_the_public_view(app: AppTest) -> None:
    at = sign_in(app, "partner")
    assert at.title[0].value == "Account"
    assert "Signed in as" in _texts(at) and "· Partner" in _texts(at)
    at.button(key="page_sign_out").click()
    no_exception(at.run())
    assert ui_auth.SESSION not in at.session_state
    assert at.title[0].value == "Sign in"
    no_exception(at.switch_page("pages/leverage_cards.py").run())
    assert "Sign in as a partner to open this page" in _texts(at) and not at.dataframe


# --- what Streamlit itself shows ---------------------------------------------------------------------------

def test_config_hides_error_details_and_built_in_exports() -> None:
    """The project's config turns off error details and the tables' own CSV download.

    Read twice: the file itself, and the options Streamlit takes from it when
    started in the repository (a fresh process, as ``streamlit run`` is).
    """
    client = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))["client"]
    assert client["showErrorDetails"] == "none"
    assert client["disableDataExport"] is True
    code = ("import json; from streamlit import config; config.get_config_options(force_reparse=True); "
            "print(json.dumps([config.get_option('client.showErrorDetails'), "
            "config.get_option('client.disableDataExport')]))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == ["none", True]


def test_an_unexpected_error_reaches_the_page_without_its_details(app: AppTest,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug no page catches: the page says something went wrong, with no text, code or path of it.

    AppTest reads the repository's .streamlit/config.toml like ``streamlit run`` does.
    """
    secret = "boom in /srv/rmo/secret/store.sqlite"

    from components import cached

    real = cached.read

    def broken(query: Callable[..., object], *args: object, **kwargs: object) -> object:
        if query is queries.sources:
            raise RuntimeError(secret)
        return real(query, *args, **kwargs)

    monkeypatch.setattr(cached, "read", broken)
    at = app.switch_page("pages/sources.py").run()
    assert at.exception, "the stand-in bug was raised"
    shown = " ".join(e.message + " ".join(e.stack_trace) for e in at.exception)
    assert secret not in shown and "RuntimeError" not in shown and "/" not in shown
    assert not any(e.stack_trace for e in at.exception)


def test_sign_in_on_a_full_disk_is_a_plain_message(app: AppTest, own_users: Path, client_of: list[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The attempts file cannot be written: a wrong password is refused in plain words, a right one works."""
    def full(path: Path, text: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(accounts, "write_private_file", full)
    at = no_exception(app.switch_page("pages/sign_in.py").run())
    name, password = USERS["partner"]
    text = _attempt(at, name, "not the password")
    assert "cannot record sign-in attempts" in text and "/" not in " ".join(e.value for e in at.error)
    assert ui_auth.SESSION not in at.session_state
    assert f"Signed in as {name}" in _attempt(at, name, password)


def test_sign_out_ends_the_sign_in_in_every_browser(app: AppTest, own_users: Path) -> None:
    """*Sign out* in one browser signs the same user out of another at its next click."""
    name, password = USERS["partner"]
    at = no_exception(app.switch_page("pages/sign_in.py").run())
    _attempt(at, name, password)
    other = no_exception(new_session().switch_page("pages/sign_in.py").run())
    _attempt(other, name, password)
    at.button(key="page_sign_out").click()
    no_exception(at.run())
    assert ui_auth.SESSION not in at.session_state
    no_exception(other.switch_page("pages/prioritisation.py").run())
    assert ui_auth.SESSION not in other.session_state
    assert "Sign in as a partner to open this page" in _texts(other) and not other.dataframe
    assert "signed out in another browser" in other.session_state[ui_auth.NOTE]
    _attempt(at, name, password)  # signing in again works, with the new generation
    no_exception(at.switch_page("pages/prioritisation.py").run())
    assert at.session_state[ui_auth.SESSION].generation == 1 and at.dataframe
