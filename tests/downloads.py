"""Catch the files behind a page's download buttons in AppTest, and open them.

A download button given a callable (every figure's CSV, XLSX, PNG and SVG)
registers it with Streamlit's media file manager and writes the file only when
clicked.  AppTest has no browser to click, so ``catch_downloads`` wraps that
registration: each callable is kept under its button's file name, and
``Downloads.file`` runs it, as a click does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager


@dataclass
class Downloads:
    """The deferred downloads registered since the last ``clear``, by file name."""

    makers: dict[str, Callable[[], Any]] = field(default_factory=dict)

    def clear(self) -> None:
        self.makers.clear()

    def names(self, suffix: str = "") -> list[str]:
        return sorted(n for n in self.makers if n.endswith(suffix))

    def file(self, name: str) -> bytes:
        """The file a click on the button for ``name`` downloads."""
        data = self.makers[name]()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def catch_downloads(monkeypatch: pytest.MonkeyPatch) -> Downloads:
    """Keep every deferred download a page registers from now on (see the module docstring)."""
    caught = Downloads()
    real = MediaFileManager.add_deferred

    def add_deferred(self: MediaFileManager, data_callable: Callable[[], Any], mimetype: str | None,
                     coordinates: str, file_name: str | None = None, **kwargs: Any) -> str:
        caught.makers[file_name or coordinates] = data_callable
        return real(self, data_callable, mimetype, coordinates, file_name=file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return caught


def each_page() -> Iterator[str]:
    """Every page a partner opens that has figure downloads."""
    yield from ("pages/overview.py", "pages/prioritisation.py", "pages/evidence.py", "pages/material.py",
                "pages/stakeholders.py", "pages/leverage_cards.py", "pages/sources.py")
