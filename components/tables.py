"""Tables as every page draws them: ``st.dataframe`` with empty cells that say so.

Streamlit shows a missing value as "None"; in this app a missing figure must
read "no data recorded" (``rmo_data.formatting.NO_DATA``), never look like a value or a
zero.  Tables that are not figures (an upload preview, the audit log) pass
their own placeholder, e.g. "—".  A number column that holds a missing value is made
wide enough for those words: a narrow right-aligned column cut them to "o data recorded".
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from rmo_data import formatting

# Wide enough for "no data recorded" in a table cell (px), with the cell's padding.
NO_DATA_WIDTH = 135


def _fit_missing(data: Any, column_config: dict[str, Any], placeholder: str) -> dict[str, Any]:
    """``column_config`` with number columns that hold a missing value widened for ``placeholder``."""
    if placeholder != formatting.NO_DATA or not isinstance(data, pd.DataFrame):
        return column_config
    fitted = dict(column_config)
    for column, config in column_config.items():
        if not isinstance(config, dict) or column not in data.columns:
            continue
        kind = (config.get("type_config") or {}).get("type")
        width = config.get("width")
        narrow = width in (None, "small") or (isinstance(width, int) and width < NO_DATA_WIDTH)
        if kind in {"number", "progress"} and narrow and data[column].isna().any():
            fitted[column] = {**config, "width": NO_DATA_WIDTH}
    return fitted


def dataframe(data: Any, *, container: Any = None, placeholder: str = formatting.NO_DATA, **kwargs: Any) -> Any:
    """``container.dataframe(data, placeholder=placeholder, **kwargs)`` (``st`` when no container)."""
    if isinstance(kwargs.get("column_config"), dict):
        kwargs["column_config"] = _fit_missing(data, kwargs["column_config"], placeholder)
    return (container or st).dataframe(data, placeholder=placeholder, **kwargs)
