"""Messages about a user's own action: one-shot notes across a rerun, and failed saves.

``flash`` keeps a message for the next run (a callback cannot draw), ``show_flash``
draws and forgets it; ``saving`` wraps a write so that a database or file fault
becomes one plain sentence on the page (what failed, why, and that nothing was
lost), never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from components.safe import escape_html
from rmo_data import faults

_FLASH = "_flash_messages"
ICONS = {"success": ":material/check_circle:", "error": ":material/error:",
         "warning": ":material/warning:", "info": ":material/info:"}


def flash(message: str, kind: str = "success", slot: str = "main", *, escape: bool = True) -> None:
    """Keep ``message`` to be shown once on the next run of the page that shows ``slot``.

    ``kind`` is the alert it is shown in (success, error, warning, info).  The
    message is escaped when shown; ``escape=False`` shows it as written.
    """
    st.session_state.setdefault(_FLASH, {})[slot] = (kind, message, escape)


def pending(slot: str = "main") -> bool:
    """True when a message is kept for ``slot`` (a fragment then reruns the page that shows it)."""
    return slot in st.session_state.get(_FLASH, {})


def forget(slot: str = "main") -> None:
    """Drop the message kept for ``slot`` unshown (the place that would show it is gone)."""
    st.session_state.get(_FLASH, {}).pop(slot, None)


def show_flash(slot: str = "main", *, icon: str | None = None, toast: bool = False,
               alert: bool = True) -> None:
    """Draw and forget the message kept for ``slot``, if any.

    ``icon`` replaces the kind's own icon; ``toast`` also shows the message as a
    toast (next to where the user clicked, when the alert is far above);
    ``alert=False`` shows it as a toast only (a projector's layout stays put).
    """
    kept = st.session_state.get(_FLASH, {}).pop(slot, None)
    if not kept:
        return
    kind, message, escape = kept
    text = escape_html(message) if escape else message
    shown_icon = icon or ICONS.get(kind)
    if alert:
        getattr(st, kind)(text, icon=shown_icon)
    if toast or not alert:
        st.toast(text, icon=shown_icon)


def failed_save_text(what: str, err: BaseException) -> str:
    """The sentence shown when saving ``what`` failed with ``err``."""
    return (f"{what} could not be saved because {faults.sentence(err)}. Nothing was changed, "
            "and what you entered is still here: try again in a moment.")


@contextmanager
def saving(what: str, slot: str | None = None) -> Iterator[None]:
    """Run a write; on a database or OS fault show (or, in a callback, ``flash``) a plain message.

    ``what`` names the thing saved, e.g. "Your submission". Inside a widget
    callback pass ``slot`` so the message survives to the next run.
    """
    try:
        yield
    except faults.WRITE_ERRORS as err:
        message = failed_save_text(what, err)
        if slot is not None:
            flash(message, "error", slot)
        else:
            st.error(escape_html(message), icon=":material/error:")
