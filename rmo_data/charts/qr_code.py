"""The QR code of a workshop's join link, drawn here with ``segno`` (nothing fetched from outside).

``join_qr_png`` gives PNG bytes that the facilitator's share box and
presentation mode show with ``st.image``: a phone's camera opens the join
link from the projector.  Error correction level M (about 15 % of the code
may be unreadable) keeps the code small enough to read from the back of a
room.  No streamlit.
"""

from __future__ import annotations

import io

import segno

INK = "#1B2631"  # the workshop charts' ink: dark enough for any projector


def join_qr(link: str) -> segno.QRCode:
    """The QR code (segno) holding ``link`` exactly, at error correction level M."""
    return segno.make_qr(link, error="m", boost_error=False)


def join_qr_png(link: str, size_px: int = 240) -> bytes:
    """PNG bytes of the QR code of ``link``, about ``size_px`` wide with its quiet zone.

    Every module is a whole number of pixels (at least 4), so the code stays
    sharp when shown at its own size.
    """
    code = join_qr(link)
    border = 4  # the quiet zone the QR standard asks for, in modules
    modules = code.symbol_size(scale=1, border=border)[0]
    scale = max(4, size_px // modules)
    out = io.BytesIO()
    code.save(out, kind="png", scale=scale, border=border, dark=INK, light="white")
    return out.getvalue()


def png_width(png: bytes) -> int:
    """The width in pixels of a PNG (from its header), to show it at its own size."""
    return int.from_bytes(png[16:20], "big")
