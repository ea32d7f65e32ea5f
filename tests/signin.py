"""Test helpers for access roles: the test users and signing in through the real form.

``tests/conftest.py`` writes a users file with ``USERS`` once per test session
and points ``RMO_USERS_FILE`` at it (AppTest runs in the test's process, the
browser tests' server inherits the variable).  ``sign_in`` fills in and
submits the sign-in page's form, exactly as a person does.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

# Made only for the tests' temporary users file.
USERS: dict[str, tuple[str, str]] = {
    "partner": ("pat.partner", "partner-test-password"),
    "editor": ("eve.editor", "editor-test-password"),
}
SIGN_IN_PAGE = "pages/sign_in.py"


def sign_in(at: AppTest, role: str = "partner") -> AppTest:
    """Sign in as the test user of ``role`` through the sign-in page's form; returns ``at``.

    Works before the first run too (the page is then found by its file name,
    as a browser opening ``/sign_in`` finds it).  The app stays on the sign-in
    page: switch to the page under test afterwards.
    """
    name, password = USERS[role]
    at.switch_page(SIGN_IN_PAGE).run()
    at.text_input(key="signin_name").input(name)
    at.text_input(key="signin_password").input(password)
    at.button(key="signin_submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    signed = [s.value for s in at.success]
    assert any(f"Signed in as {name}" in s for s in signed), (signed, [e.value for e in at.error])
    return at
