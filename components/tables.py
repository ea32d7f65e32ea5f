"""Tables as every page draws them: ``st.dataframe`` with empty cells that say so.

Streamlit shows a missing value as "None"; in this app a missing figure must
read "no data recorded" (``constants.MISSING``), never look like a value or a
zero.  Tables that are not figures (an upload preview, the audit log) pass
their own placeholder, e.g. "—".
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from rmo_data import constants


def dataframe(data: Any, *, container: Any = None, placeholder: str = constants.MISSING, **kwargs: Any) -> Any:
    """``container.dataframe(data, placeholder=placeholder, **kwargs)`` (``st`` when no container)."""
    return (container or st).dataframe(data, placeholder=placeholder, **kwargs)
