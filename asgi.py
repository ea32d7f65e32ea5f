"""The app as an ASGI application: Streamlit's own server (``st.App``) plus the sign-in cookie route.

``python scripts/serve.py`` runs this file (``streamlit run asgi.py`` does the
same without the preload).  It serves ``app.py`` exactly as ``streamlit run
app.py`` does, and adds one route, ``POST /_rmo/session``
(``rmo_data.access.session_route``), so that the sign-in is kept in an
HTTP-only cookie that no script on the page can read.  Under a plain
``streamlit run app.py`` the app still works; the sign-in cookie is then
written by the page's JavaScript instead.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit import config

from rmo_data.access import page_shell, roles, session_route

BASE_PATH = config.get_option("server.baseUrlPath") or ""
INDEX_HTML = Path(st.__file__).parent / "static" / "index.html"  # the page Streamlit itself serves

app = st.App("app.py", routes=[*session_route.mount(BASE_PATH),
                               *page_shell.routes([p.url_path for p in roles.PAGES], INDEX_HTML, BASE_PATH)])
