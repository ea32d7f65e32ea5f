"""The one place that turns text from data or users into markdown that shows it literally.

Streamlit renders markdown (and, with ``unsafe_allow_html``, HTML) in
``st.markdown``, captions, titles, alerts, toasts, widget labels and help
tooltips.  A stored value such as ``[click](javascript:alert(1))``,
``![x](http://evil/)``, ``<script>…</script>`` or ``:red[…]`` must show as the
characters it holds, so every piece of data text that goes into any of those
passes through ``escape_html`` first.  Only labels and colours from
``rmo_data.constants`` and text written in the code are put in as markup.
"""

from __future__ import annotations

import html
import re
from typing import Any

# Markdown punctuation (CommonMark allows a backslash before any of it) plus the
# colon of Streamlit's ``:icon:`` / ``:red[…]`` directives and the dollar of math.
# ``[`` and ``]`` escaped is enough to break every link and image, so parentheses
# are kept readable; ``)`` after a line's leading number is escaped (a list marker).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]#+\-.!|>~:$<=])")
_LIST_PAREN = re.compile(r"(?m)^(\s*\d+)\)")


def escape_html(text: Any) -> str:
    """Escape HTML, then markdown, so ``text`` is shown exactly as written (None/NaN: empty)."""
    if text is None or (isinstance(text, float) and text != text):
        return ""
    # HTML first: its entities (&lt;) must not get backslashes, which would show them raw.
    escaped = _MD_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False))
    return _LIST_PAREN.sub(r"\1\\)", escaped)


def safe_url(url: Any) -> str | None:
    """The URL if it is a plain http(s) address that cannot break out of a markdown link."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if re.fullmatch(r"https?://[^\s()<>\[\]\"']+", url):
        return url
    return None
