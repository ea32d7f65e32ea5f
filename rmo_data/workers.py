"""What a child process of the app (a chart-drawing worker) needs to find the app's own modules.

Workers are started as ``python -m rmo_data...``; a server started from another
folder than the project's root would not find them without the root on the
child's ``PYTHONPATH``. No streamlit here.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child_env() -> dict[str, str]:
    """This process's environment with the project's root first on ``PYTHONPATH``."""
    paths = (str(ROOT), os.environ.get("PYTHONPATH", ""))
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
