"""Run the app like ``streamlit run asgi.py``, with the slow imports and the store check done first.

Usage (from anywhere; options go to ``streamlit run``)::

    python scripts/serve.py
    python scripts/serve.py --server.port 8502 --server.headless true

The first page a new server draws used to pay for importing pandas, Altair,
SQLAlchemy and Alembic and for checking the store's schema revision: about a
second on two cores, on top of the browser's own start.  This script does
that work once, before the server listens (as ``gunicorn --preload`` does), so
the first visitor waits no longer than the next one.  The server itself is
streamlit's own command line, started in this process on ``asgi.py``: the app
of ``app.py`` plus the route that keeps the sign-in in an HTTP-only cookie.

Only libraries and ``rmo_data`` (which never imports streamlit) are loaded
ahead; the pages and ``components`` are imported by streamlit's script runner
as usual.  A store that is missing or unreadable is left alone: the app's first
page builds it or says what is wrong, as it does under ``streamlit run``.
"""

from __future__ import annotations

import gc
import importlib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# What the first page imports, slowest first (``python -X importtime`` on app.py's first run).
LIBRARIES = ("pandas", "pyarrow", "altair", "plotly.graph_objects", "sqlalchemy", "alembic", "argon2")


def preload(url: str | None = None) -> list[str]:
    """Import the app's libraries and bring an existing store to the newest schema revision.

    Returns what was done, one short line each, for the server log.  Never
    raises for a store problem: the app reports those on its first page.
    """
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    started = time.perf_counter()
    for name in LIBRARIES:
        importlib.import_module(name)
    from rmo_data.store import migrate
    from rmo_data.store import queries  # noqa: F401 - imported for its import cost
    from rmo_data.analysis import scoring  # noqa: F401 - imported for their import cost
    from rmo_data.store.engine import shown_url, store_status

    done = [f"imported {', '.join(LIBRARIES)} and rmo_data in {time.perf_counter() - started:.1f} s"]
    status = store_status(url)
    if status != "ok":
        return [*done, f"store is {status}: the app's first page will deal with it"]
    try:
        # Marks the store as current for this process, so the app's own check is then free.
        migrate.ensure_current(url)
    except Exception as err:  # noqa: BLE001 - the app shows the same failure as a sentence
        return [*done, f"store could not be brought up to date now ({err}); the app will say so"]
    return [*done, f"store {shown_url(url)} is at the newest schema revision"]


def main(argv: list[str]) -> None:
    """Preload, then hand over to ``streamlit run app.py`` with ``argv`` as its options (exits with it)."""
    for line in preload():
        print(f"serve: {line}", file=sys.stderr, flush=True)
    from streamlit.web import cli

    # Everything imported so far lives as long as the server: move it out of the garbage
    # collector's sight, so each automatic full collection walks only what the sessions made.
    gc.collect()
    gc.freeze()

    # The very command-line entry of ``streamlit``, so every option works as documented.
    # asgi.py serves app.py with one more route, the HTTP-only sign-in cookie (see its docstring).
    cli.main(args=["run", str(ROOT / "asgi.py"), *argv], prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])
