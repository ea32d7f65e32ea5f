"""The code's layout rules, read from the syntax tree of every module (nothing is imported).

* No import cycle among the app's modules, counting imports written inside functions.
* ``rmo_data`` never imports ``streamlit`` or ``components`` (it is used from scripts, tests
  and the command line, with no UI).
* No module uses another module's private (``_x``) name: ``from x import _y`` or
  ``module._y`` of an imported module of ``rmo_data``, ``components`` or ``pages``.
* No module of ``rmo_data``, ``components`` or ``pages`` is over 600 lines unless its
  docstring has a line starting ``Long because:`` that says why.
* Every SQL statement the app runs is in ``rmo_data.store``: no other module runs one
  or builds one.

The checker is ``tests/layout.py``; the second half of this file runs it on small
made-up packages, so each check is shown to fail on what it is meant to find.
A failure lists every offender as ``file:line: what``.
"""

from __future__ import annotations

import pkgutil
import textwrap
from pathlib import Path

import pytest

from tests import layout
from tests.layout import LONG_REASON, Module

ROOT = Path(__file__).resolve().parents[1]
# The app's own code: the data package, the UI helpers, the page scripts and the router.
APP_PACKAGES = ("rmo_data", "components", "pages", "app")
UI_PACKAGES = ("streamlit", "components")


@pytest.fixture(scope="module")
def app_modules() -> dict[str, Module]:
    return layout.load_modules(ROOT, APP_PACKAGES)


def _fail_listing(findings: list[str]) -> None:
    """Fail with one finding a line (no repr of the list: the lines are the message)."""
    if findings:
        pytest.fail("\n".join(findings), pytrace=False)


def _in(modules: dict[str, Module], package: str) -> dict[str, Module]:
    return {name: m for name, m in modules.items() if name == package or name.startswith(f"{package}.")}


# --- the repository -------------------------------------------------------------------------------

def test_every_module_of_rmo_data_is_read(app_modules: dict[str, Module]) -> None:
    """The file walk finds every module Python can import, and the folders it cannot (migrations)."""
    names = set(_in(app_modules, "rmo_data"))
    walked = {m.name for m in pkgutil.walk_packages([str(ROOT / "rmo_data")], "rmo_data.")}
    assert walked <= names, walked - names
    assert {"rmo_data", "rmo_data.access.accounts", "rmo_data.briefing.pack",
            "rmo_data.store.migrations.env"} <= names
    assert any(name.startswith("rmo_data.store.migrations.versions.") for name in names)


def test_no_import_cycle(app_modules: dict[str, Module]) -> None:
    _fail_listing([layout.describe_cycle(app_modules, cycle) for cycle in layout.import_cycles(app_modules)])


def test_rmo_data_never_imports_streamlit_or_components(app_modules: dict[str, Module]) -> None:
    """At any depth: a function body, a branch, ``importlib.import_module("...")`` with a literal."""
    _fail_listing([str(p) for p in layout.forbidden_imports(_in(app_modules, "rmo_data"), UI_PACKAGES)])


def test_no_module_uses_another_modules_private_names(app_modules: dict[str, Module]) -> None:
    _fail_listing([str(p) for p in layout.private_names(app_modules)])


def test_no_module_is_long_without_a_reason(app_modules: dict[str, Module]) -> None:
    checked = {name: m for name, m in app_modules.items() if name.split(".")[0] in {"rmo_data", "components", "pages"}}
    _fail_listing([str(p) for p in layout.long_modules(checked)])


def test_every_sql_statement_is_in_the_store_package(app_modules: dict[str, Module]) -> None:
    _fail_listing([str(p) for p in layout.sql_outside(app_modules, "rmo_data.store")])


# --- the checker, on made-up packages ---------------------------------------------------------------

def _tree(root: Path, files: dict[str, str]) -> Path:
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")
    return root


CLEAN = {
    "pkg/__init__.py": '"""A package."""\n',
    "pkg/base.py": '"""Base."""\nimport json\n\n\ndef _own() -> int:\n    return 1\n\n\ndef public() -> int:\n    return _own()\n',
    "pkg/middle.py": '"""Middle."""\nfrom pkg import base\nfrom pkg.base import public\n\n\ndef go() -> int:\n'
                     '    from . import base as again  # kept for start-up cost\n'
                     '    return public() + again.public() + len(base.__name__)\n',
    "pkg/sub/__init__.py": '"""Sub."""\n',
    "pkg/sub/top.py": '"""Top."""\nfrom ..middle import go\nimport pkg.base\nimport email._parseaddr as lib\n\n\n'
                      'class Thing:\n    def run(self) -> int:\n        return go() + pkg.base.public() + self._x + lib._y\n',
    "pkg/loose/env.py": '"""No __init__ beside it."""\nfrom pkg.base import public\n',
}


def test_a_clean_package_passes_every_check(tmp_path: Path) -> None:
    modules = layout.load_modules(_tree(tmp_path, CLEAN), ["pkg"])
    assert set(modules) == {"pkg", "pkg.base", "pkg.middle", "pkg.sub", "pkg.sub.top", "pkg.loose.env"}
    assert layout.import_graph(modules)["pkg.sub.top"].keys() == {"pkg.middle", "pkg.base"}
    assert layout.import_cycles(modules) == []
    assert layout.forbidden_imports(modules, UI_PACKAGES) == []
    assert layout.private_names(modules) == []
    assert layout.long_modules(modules) == []


def test_a_cycle_through_a_function_level_import_is_found_and_named(tmp_path: Path) -> None:
    files = {**CLEAN,
             "pkg/base.py": '"""Base."""\n\n\ndef late() -> None:\n    from pkg.sub import top  # dodging the cycle\n',
             "pkg/alone_a.py": '"""A."""\nfrom . import alone_b\n',
             "pkg/alone_b.py": '"""B."""\nimport importlib\nimportlib.import_module("pkg.alone_a")\n'}
    modules = layout.load_modules(_tree(tmp_path, files), ["pkg"])
    cycles = layout.import_cycles(modules)
    assert cycles == [["pkg.alone_a", "pkg.alone_b", "pkg.alone_a"],
                      ["pkg.base", "pkg.sub.top", "pkg.base"],
                      ["pkg.base", "pkg.sub.top", "pkg.middle", "pkg.base"]]
    text = layout.describe_cycle(modules, cycles[1])
    assert "pkg.base (pkg/base.py, line 5, in function late) imports pkg.sub.top" in text
    assert "pkg.sub.top (pkg/sub/top.py, line 3) imports pkg.base" in text


def test_streamlit_and_components_imports_are_found_at_any_depth(tmp_path: Path) -> None:
    files = {**CLEAN,
             "pkg/ui.py": '"""UI."""\nimport streamlit as st\n\n\ndef draw() -> None:\n'
                          '    from components.cached import cached\n',
             "pkg/loose/env.py": '"""No __init__."""\nimport importlib\n\n'
                                 'if True:\n    importlib.import_module("streamlit.runtime")\n',
             "pkg/sub/name_only.py": '"""A name that only looks alike."""\nimport streamlit_extras\n'}
    modules = layout.load_modules(_tree(tmp_path, files), ["pkg"])
    assert [str(p) for p in layout.forbidden_imports(modules, UI_PACKAGES)] == [
        "pkg/loose/env.py:5: pkg.loose.env imports streamlit.runtime",
        "pkg/ui.py:2: pkg.ui imports streamlit",
        "pkg/ui.py:6: pkg.ui imports components.cached (in function draw)",
    ]


def test_private_names_of_other_modules_are_found(tmp_path: Path) -> None:
    files = {**CLEAN,
             "pkg/base.py": '"""Base."""\n\n\ndef _helper() -> int:\n    return 1\n',
             "pkg/_hidden.py": '"""A private module."""\n',
             "pkg/user.py": textwrap.dedent('''\
                 """Uses what it should not."""
                 import pkg.base
                 import pkg.base as aliased
                 from pkg import base
                 from pkg.base import _helper, public_name
                 from . import _hidden


                 def run() -> int:
                     from .base import _helper as again
                     total = base._helper()
                     total += aliased._helper()
                     total += pkg.base._helper() + len(base.__doc__ or "")
                     return total + again()
                 ''')}
    modules = layout.load_modules(_tree(tmp_path, files), ["pkg"])
    assert [str(p) for p in layout.private_names(modules)] == [
        "pkg/user.py:5: pkg.user imports private _helper from pkg.base",
        "pkg/user.py:6: pkg.user imports private _hidden from pkg",
        "pkg/user.py:10: pkg.user imports private _helper from pkg.base (in function run)",
        "pkg/user.py:11: pkg.user uses private pkg.base._helper (in function run)",
        "pkg/user.py:12: pkg.user uses private pkg.base._helper (in function run)",
        "pkg/user.py:13: pkg.user uses private pkg.base._helper (in function run)",
    ]
    # Only the modules asked for are checked (the others are still read, to know what is a module).
    assert layout.private_names(modules, checked=["pkg.base"]) == []


def test_long_modules_need_a_reason_in_their_docstring(tmp_path: Path) -> None:
    body = "x = 1\n" * 600
    files = {"pkg/__init__.py": "",
             "pkg/at_limit.py": body,
             "pkg/too_long.py": '"""Too long."""\n' + body,
             "pkg/explained.py": f'"""Long on purpose.\n\n{LONG_REASON} one table of 600 rows reads best in one place.\n"""\n'
                                 + body}
    modules = layout.load_modules(_tree(tmp_path, files), ["pkg"])
    assert [str(p) for p in layout.long_modules(modules)] == [
        "pkg/too_long.py:1: pkg.too_long has 601 lines (over 600) and its docstring gives no line "
        "starting 'Long because:'"]


def test_sql_outside_the_store_package_is_found(tmp_path: Path) -> None:
    files = {**CLEAN,
             "pkg/store/__init__.py": '"""Store."""\n',
             "pkg/store/reads.py": '"""Reads."""\nfrom sqlalchemy import select\n\n\n'
                                   'def rows(conn):\n    return conn.execute(select(1))\n',
             "pkg/page.py": '"""A page that runs its own SQL."""\nfrom sqlalchemy import Engine, text\n\n\n'
                            'def count(conn):\n    return conn.exec_driver_sql("SELECT 1")\n'}
    modules = layout.load_modules(_tree(tmp_path, files), ["pkg"])
    assert layout.sql_outside(modules, "pkg.store") == [
        layout.Problem("pkg/page.py", 2, "pkg.page imports SQL builders text"),
        layout.Problem("pkg/page.py", 6, "pkg.page runs SQL (.exec_driver_sql) (in function count)"),
    ]
    assert layout.sql_outside(modules, "pkg") == []
