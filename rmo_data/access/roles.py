"""Who may see what: the three roles and the one mapping of page to minimum role.

``app.py`` builds each session's navigation from ``PAGES`` and the router
refuses a page whose minimum role is above the session's, so this module is
the only place that says which page (or part of a page) a role may open.
It never imports streamlit.

Roles rise in this order; each one sees everything the one before it sees:

* ``public``: anyone, without signing in: Overview, Material profile (without
  case-level evidence or leverage cards), Sources & method, and joining a
  workshop with its code (the code is the credential).
* ``partner``: adds risk evidence, stakeholders, leverage cards,
  prioritisation, facilitating and reviewing workshops, downloads and
  briefing packs.
* ``editor``: adds data management.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

PUBLIC: Final = "public"
PARTNER: Final = "partner"
EDITOR: Final = "editor"
ROLES: Final[tuple[str, ...]] = (PUBLIC, PARTNER, EDITOR)  # lowest first
ROLE_LABELS: Final[dict[str, str]] = {PUBLIC: "Public", PARTNER: "Partner", EDITOR: "Editor"}


@dataclass(frozen=True)
class PageSpec:
    """A page of the app: its script, menu entry and the lowest role that may open it."""

    path: str  # relative to the app folder, e.g. "pages/overview.py"
    title: str
    icon: str
    section: str
    min_role: str
    default: bool = False
    filters: bool = True  # False: the shared sidebar filters mean nothing here and are not drawn

    @property
    def url_path(self) -> str:
        """The address Streamlit gives the page (its file name without ``.py``)."""
        return Path(self.path).stem


PAGES: Final[tuple[PageSpec, ...]] = (
    PageSpec("pages/overview.py", "Overview", ":material/dashboard:", "Explore", PUBLIC, default=True),
    PageSpec("pages/material.py", "Material profile", ":material/category:", "Explore", PUBLIC),
    PageSpec("pages/evidence.py", "Risk evidence", ":material/report:", "Explore", PARTNER),
    PageSpec("pages/stakeholders.py", "Stakeholders & initiatives", ":material/groups:", "Explore", PARTNER),
    PageSpec("pages/prioritisation.py", "Prioritisation", ":material/leaderboard:", "Act", PARTNER),
    PageSpec("pages/leverage_cards.py", "Leverage cards", ":material/style:", "Act", PARTNER),
    # Public on purpose: participants join with the workshop's code, which is their
    # credential; facilitating and the closed records need partner (WORKSHOP_MODES).
    PageSpec("pages/workshop.py", "Workshop", ":material/diversity_3:", "Act", PUBLIC),
    # Written by the data-management work; skipped while its file does not exist.
    PageSpec("pages/data_management.py", "Data management", ":material/database:", "Manage", EDITOR,
             filters=False),
    # Nothing on it follows the shared filters: they would only cost a rerun there.
    PageSpec("pages/sources.py", "Sources & method", ":material/menu_book:", "About", PUBLIC, filters=False),
    PageSpec("pages/sign_in.py", "Sign in", ":material/login:", "Account", PUBLIC, filters=False),
)
SECTIONS: Final[tuple[str, ...]] = tuple(dict.fromkeys(p.section for p in PAGES))

# Parts of pages that are not pages of their own.
WORKSHOP_MODES: Final[dict[str, str]] = {"join": PUBLIC, "run": PARTNER, "closed": PARTNER}
FEATURES: Final[dict[str, str]] = {
    "downloads": PARTNER,  # CSV/XLSX of figures, workshop records
    "briefing_pack": PARTNER,
    "case_evidence": PARTNER,  # case-level risk evidence on the Material profile
    "leverage_preview": PARTNER,  # leverage cards on the Material profile
}


def rank(role: str) -> int:
    """Position of ``role`` in ``ROLES`` (an unknown role counts as public)."""
    return ROLES.index(role) if role in ROLES else 0


def allows(role: str, min_role: str) -> bool:
    """True when ``role`` is at least ``min_role``."""
    return rank(role) >= rank(min_role)


def page(path: str) -> PageSpec | None:
    """The spec of the page at ``path`` ("pages/x.py"), None for an unknown page."""
    wanted = Path(path).as_posix()
    return next((p for p in PAGES if p.path == wanted or wanted.endswith("/" + p.path)), None)


def may_open(role: str, path: str) -> bool:
    """True when ``role`` may open the page at ``path`` (an unknown page: never)."""
    spec = page(path)
    return spec is not None and allows(role, spec.min_role)


def may_use(role: str, feature: str) -> bool:
    """True when ``role`` may use ``feature`` (a key of ``FEATURES``)."""
    return allows(role, FEATURES[feature])


def pages_for(role: str, app_dir: Path | None = None) -> list[PageSpec]:
    """Pages ``role`` may open, in menu order; with ``app_dir``, only those whose file exists."""
    return [p for p in PAGES if allows(role, p.min_role)
            and (app_dir is None or (app_dir / p.path).is_file())]


def locked_for(role: str, app_dir: Path | None = None) -> list[PageSpec]:
    """Pages ``role`` may not open (with ``app_dir``, only those whose file exists)."""
    return [p for p in PAGES if not allows(role, p.min_role)
            and (app_dir is None or (app_dir / p.path).is_file())]
