"""Make sure the store exists before any page reads it.

On first run the store is built from the repository's files with a progress
bar.  An existing store is brought to the newest schema revision once per
server (``rmo_data.store.migrate``), keeping its user-made rows.  A store that is
busy, read-only or on a server that cannot be reached stops the page with a
plain explanation and a *Try again* button: nothing is wrong with its data,
so nothing is rebuilt.  A damaged store stops the page too; only a signed-in
editor is offered a rebuild (which keeps the damaged file and recovers what
it can), and messages to anyone else name no path.  Never a traceback.
"""

from __future__ import annotations

import streamlit as st

from sqlalchemy.exc import SQLAlchemyError

from components import signin
from components import cached
from components.safe import escape_html
from rmo_data import faults
from rmo_data.access import roles
from rmo_data.store.engine import get_engine, shown_url, store_status

# What the user is told when the store had to be (re)built without asking.
_BUILT_BECAUSE = {
    "missing": "No data store was found (or its file was empty), so it was built from the project's files.",
    "empty": "The data store was incomplete (a build had stopped half-way), so it was built again from the "
             "project's files; scenarios, workshops and plans in it were kept.",
}


def _run_build(action: str) -> bool:
    # Imported here: the build (seed validation, ETL) is only needed when the store is
    # missing, and importing it costs ~0.2 s on the first run of every server.
    from rmo_data.ingest.build import StoreUnavailable, build, ensure_store
    from rmo_data.ingest.seeds import SeedError

    bar = st.progress(0.0, text=f"{action} the data store from the project's files…")

    def progress(step: str, fraction: float) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=f"{action} the data store: {step}")

    try:
        if action == "Rebuilding":
            build(progress=progress)
        else:
            ensure_store(progress=progress)
    except SeedError as err:
        bar.empty()
        st.error("The data store could not be built because some input files are invalid. "
                 "Nothing was changed. Problems found:", icon=":material/error:")
        st.code("\n".join(str(p) for p in err.problems[:50]), language=None)
        return False
    except StoreUnavailable as err:  # locked or read-only since the check: nothing was replaced
        bar.empty()
        st.warning(_UNUSABLE[err.status], icon=":material/hourglass_top:")
        return False
    except (OSError, SQLAlchemyError) as err:  # disk full, no write permission, locked file...
        bar.empty()
        st.error(f"The data store could not be written because {faults.sentence(err)}. The previous "
                 "store (if any) was left as it was.", icon=":material/error:")
        return False
    bar.empty()
    # Pooled connections still point at the replaced file: drop them with the cached reads.
    get_engine().dispose()
    cached.clear()
    return True


def _migrate() -> None:
    """Bring the store's tables to the newest revision (a no-op after the first call)."""
    from rmo_data.store import migrate  # imported here: alembic is needed once per server

    try:
        migrate.ensure_current()
    except Exception as err:  # noqa: BLE001 - shown as a sentence, never a traceback
        reason = (faults.sentence(err) if isinstance(err, faults.WRITE_ERRORS)
                  else "the store's tables are not those of a known version of this app")
        st.error("The data store could not be brought up to date with this version of the app "
                 f"because {reason}, so nothing was changed.", icon=":material/database:")
        st.stop()


_UNUSABLE = {
    "busy": ("The data store is busy: another program is writing to it. Nothing has been changed. "
             "Try again in a few seconds."),
    "read_only": ("The data store cannot be opened on this server: its file or folder is read-only "
                  "for the app. Nothing has been changed. Whoever runs the app must make the store "
                  "writable (the file, its folder and SQLite's side files)."),
    "bad_url": ("The app is set to use a database address it cannot use: it is not a database URL, or "
                "it names a kind of database this app has no driver for. Nothing has been changed. "
                "Whoever runs the app should check RMO_DATABASE_URL (it is not shown here, as it may "
                "hold a password) and start the app again."),
    "unreachable": ("The database server cannot be reached, or it refused the app's connection. "
                    "Nothing has been changed. Try again shortly; if it goes on, whoever runs the app "
                    "should check the server and the database address and password."),
    "refused": ("The database server turned the app's sign-in down: the user name or password in the "
                "database address is wrong, or that user may not connect. Nothing has been changed. "
                "Whoever runs the app should correct RMO_DATABASE_URL (it is not shown here) and start "
                "the app again."),
}


def _stop_unusable(status: str) -> None:
    """Say why the store cannot be used now (no rebuild: nothing is wrong with its data) and stop."""
    st.warning(_UNUSABLE[status], icon=":material/hourglass_top:" if status == "busy" else ":material/database:")
    st.button("Try again", type="primary", icon=":material/refresh:", key="store_retry")  # a click reruns
    st.stop()


def _stop_damaged() -> None:
    """A damaged store: editors may rebuild it (the old file is kept); everyone else is told who can."""
    signin.refresh()
    editor = signin.role() == roles.EDITOR
    st.error("The data store cannot be read: its file looks damaged or is not a store of this app. "
             "Nothing has been changed.", icon=":material/database:")
    if not editor:
        st.info("An editor can rebuild it after signing in below, or whoever runs the app can run "
                "`python -m rmo_data build`. Either way the damaged file is kept aside and the "
                "scenarios, workshops and plans that can still be read are carried over.",
                icon=":material/info:")
        signin.sign_in_form("store_signin")
        st.stop()
    st.caption(f"Location: {escape_html(shown_url())}")
    st.info("Rebuilding writes a new store from the project's files. The damaged file is first kept "
            "beside it with the time in its name, and every scenario, workshop, plan item and audit "
            "row that can still be read from it is carried over.", icon=":material/info:")
    if st.button("Rebuild the data store", type="primary", icon=":material/build:", key="store_rebuild"):
        if _run_build("Rebuilding"):
            st.rerun()
    st.stop()


def ensure() -> None:
    """Build the store when missing; stop the page with a message when it is unusable."""
    status = store_status()
    if status == "ok":
        _migrate()
        return
    if status in {"missing", "empty"}:
        if not _run_build("Building"):
            st.stop()
        st.info(_BUILT_BECAUSE[status], icon=":material/database:")
        return
    if status in _UNUSABLE:
        _stop_unusable(status)
    _stop_damaged()
