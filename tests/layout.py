"""The code-layout checker behind ``tests/test_layout.py``: read from the syntax tree, never imported.

Every ``.py`` file under a package folder is a module here, folders without an
``__init__.py`` included (``rmo_data/store/migrations`` is one: Alembic loads
it by path), and every import counts wherever it is written: at module level,
in a function, under ``if TYPE_CHECKING:``, or as ``importlib.import_module``
/ ``__import__`` with a literal name.  Each check returns ``Problem`` rows that
name the file and line, so a failing test says what to fix and where.

The checks:

* ``import_cycles``: cycles in the graph of imports among the scanned modules.
  An import points at the most specific module it names (``from a.b import c``
  points at ``a.b.c`` when that is a module, else at ``a.b``); the parent
  packages Python also runs on the way are not counted, because every package
  ``__init__`` here only holds a docstring.
* ``forbidden_imports``: imports of given top-level packages (streamlit, components).
* ``private_names``: ``from x import _y``, ``import x._y`` and ``module._name``, where ``x``
  or ``module`` is a scanned module imported in that file.
* ``long_modules``: modules over a line limit whose docstring gives no line
  starting with ``LONG_REASON`` ("Long because:").
* ``sql_outside``: SQL run outside the store package: a call of ``.execute``,
  ``.exec_driver_sql`` or ``.executescript``, or an import of SQLAlchemy's statement
  builders (``select``, ``insert``, ``update``, ``delete``, ``text``).
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

# A module that must stay longer than the limit says why in its docstring, on a line starting so.
LONG_REASON = "Long because:"
LINE_LIMIT = 600


@dataclass(frozen=True)
class Problem:
    """One finding: where (file and line) and what."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Import:
    """One import statement's target, as a dotted module name, with where it is written."""

    target: str  # the most specific module (or package) it names, resolved if relative
    names: tuple[str, ...]  # the names a ``from`` import takes (empty for ``import x``)
    source: str  # the module a ``from`` import takes them from (resolved), else ``target``
    line: int
    scope: str  # "" at module level, else the enclosing function or class, e.g. "in function load"

    def where(self) -> str:
        return f"line {self.line}" + (f", {self.scope}" if self.scope else "")


def _in_scope(scope: str) -> str:
    """`` (in function f)`` after a finding whose line is already given, or nothing at module level."""
    return f" ({scope})" if scope else ""


@dataclass
class Module:
    """One source file: its dotted name, path (relative to the scanned root) and parsed tree."""

    name: str
    path: Path
    relative: str
    is_package: bool
    source: str
    tree: ast.Module
    imports: list[Import] = field(default_factory=list)

    def __repr__(self) -> str:  # short, as a failing test prints its fixtures
        return f"Module({self.name!r})"

    @property
    def line_count(self) -> int:
        return len(self.source.splitlines())


def module_name(root: Path, path: Path) -> str:
    """The dotted name of ``path`` under ``root`` (``a/b/__init__.py`` is ``a.b``)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def load_modules(root: Path, packages: Iterable[str]) -> dict[str, Module]:
    """Every ``.py`` file under ``root/<package>`` for each package (at any depth), by dotted name.

    A package may also be a single file (``app`` for ``root/app.py``).
    """
    modules: dict[str, Module] = {}
    for package in packages:
        folder = root / package
        files = sorted(folder.rglob("*.py")) if folder.is_dir() else [root / f"{package}.py"]
        for path in files:
            source = path.read_text(encoding="utf-8")
            name = module_name(root, path)
            modules[name] = Module(name, path, path.relative_to(root).as_posix(), path.name == "__init__.py",
                                   source, ast.parse(source, filename=str(path)))
    for module in modules.values():
        module.imports = list(_imports_of(module, modules))
    return modules


def _resolve_relative(module: Module, level: int, name: str | None) -> str:
    """The absolute name of ``from <dots><name> import ...`` written in ``module``."""
    base = module.name.split(".")
    if not module.is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, *([name] if name else [])])


def _literal_import(node: ast.Call) -> str | None:
    """The literal module name of ``importlib.import_module("x")`` or ``__import__("x")``."""
    func = node.func
    called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if called in {"import_module", "__import__"} and node.args and isinstance(node.args[0], ast.Constant) \
            and isinstance(node.args[0].value, str):
        return node.args[0].value
    return None


def _walk_with_scope(tree: ast.AST) -> Iterator[tuple[ast.AST, str]]:
    """Every node of ``tree`` with the function or class it is written in ("" at module level)."""
    stack: list[tuple[ast.AST, str]] = [(tree, "")]
    while stack:
        node, scope = stack.pop()
        yield node, scope
        inner = scope
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inner = f"in function {node.name}"
        elif isinstance(node, ast.ClassDef):
            inner = f"in class {node.name}"
        stack.extend((child, inner) for child in reversed(list(ast.iter_child_nodes(node))))


def _imports_of(module: Module, known: dict[str, Module]) -> Iterator[Import]:
    for node, scope in _walk_with_scope(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(alias.name, (), alias.name, node.lineno, scope)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve_relative(module, node.level, node.module) if node.level else (node.module or "")
            names = tuple(alias.name for alias in node.names)
            submodules = [f"{base}.{name}" for name in names if f"{base}.{name}" in known]
            if submodules:  # ``from pkg import mod``: the import points at each module it takes
                for target in submodules:
                    yield Import(target, names, base, node.lineno, scope)
                if len(submodules) < len(names):  # and names defined in ``pkg`` itself
                    yield Import(base, names, base, node.lineno, scope)
            else:
                yield Import(base, names, base, node.lineno, scope)
        elif isinstance(node, ast.Call) and (literal := _literal_import(node)):
            yield Import(literal, (), literal, node.lineno, scope)


# --- the checks ----------------------------------------------------------------------------------

def forbidden_imports(modules: dict[str, Module], banned: Iterable[str]) -> list[Problem]:
    """Every import, at any depth, of a module under one of the ``banned`` top-level packages."""
    tops = set(banned)
    return [Problem(m.relative, imp.line, f"{m.name} imports {imp.target}{_in_scope(imp.scope)}")
            for m in modules.values() for imp in m.imports if imp.target.split(".")[0] in tops]


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _dotted(node: ast.AST) -> list[str] | None:
    """``a.b.c`` as ["a", "b", "c"] when the expression is only names and attributes."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(parts)]


def _bound_modules(module: Module, known: dict[str, Module]) -> dict[str, str]:
    """Local names that the file's imports bind to a scanned module (``from a import b`` binds ``b``)."""
    bound: dict[str, str] = {}
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:  # ``import a.b.c`` binds ``a``; the attributes lead on to ``a.b.c``
                    bound[alias.name.split(".")[0]] = alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve_relative(module, node.level, node.module) if node.level else (node.module or "")
            for alias in node.names:
                if f"{base}.{alias.name}" in known:
                    bound[alias.asname or alias.name] = f"{base}.{alias.name}"
    return bound


def private_names(modules: dict[str, Module], checked: Iterable[str] | None = None) -> list[Problem]:
    """Uses of another module's private (``_x``) names in the modules named ``checked`` (default: all).

    ``from x import _y``, ``import x._y`` and ``module._y`` count when ``x`` or ``module`` is one
    of the scanned modules (or under their top-level packages): those can offer a public,
    well-named function instead.  A library's private names are left to review, and a
    module's own private names are its own business.
    """
    wanted = set(modules) if checked is None else set(checked)
    ours = {name.split(".")[0] for name in modules}
    problems: list[Problem] = []
    for module in (modules[name] for name in sorted(wanted)):
        for imp in module.imports:
            if imp.source.split(".")[0] not in ours:
                continue  # a library's internals are not ours to make public
            private = [name for name in imp.names if _is_private(name)]
            if private and imp.source != module.name:
                # ``from pkg import mod, _x`` is one Import per target, with the same message: kept once.
                problems.append(Problem(module.relative, imp.line,
                                        f"{module.name} imports private {', '.join(private)} from {imp.source}"
                                        f"{_in_scope(imp.scope)}"))
            elif not imp.names and any(_is_private(part) for part in imp.target.split(".")) \
                    and imp.target != module.name:
                problems.append(Problem(module.relative, imp.line,
                                        f"{module.name} imports private module {imp.target}{_in_scope(imp.scope)}"))
        bound = _bound_modules(module, modules)
        for node, scope in _walk_with_scope(module.tree):
            if not (isinstance(node, ast.Attribute) and _is_private(node.attr)):
                continue
            parts = _dotted(node.value)
            if not parts or parts[0] not in bound:
                continue
            target = ".".join([bound[parts[0]], *parts[1:]])
            if target in modules and target != module.name:
                problems.append(Problem(module.relative, node.lineno,
                                        f"{module.name} uses private {target}.{node.attr}{_in_scope(scope)}"))
    return _unique(problems)


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


def import_graph(modules: dict[str, Module]) -> dict[str, dict[str, Import]]:
    """``{module: {imported module: first import of it}}`` among the scanned modules only."""
    graph: dict[str, dict[str, Import]] = {name: {} for name in modules}
    for module in modules.values():
        for imp in module.imports:
            if imp.target in modules and imp.target != module.name:
                graph[module.name].setdefault(imp.target, imp)
    return graph


def _strongly_connected(graph: dict[str, dict[str, Import]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:  # iterative, so a long chain cannot hit the recursion limit
        nonlocal counter
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return sorted(found)


def _shortest_path(graph: dict[str, dict[str, Import]], start: str, goal: str, within: set[str]) -> list[str]:
    """The shortest chain of imports from ``start`` to ``goal`` through ``within`` (breadth first)."""
    previous: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            break
        for child in sorted(graph[node]):
            if child in within and child not in previous:
                previous[child] = node
                queue.append(child)
    path: list[str] = []
    node: str | None = goal
    while node is not None:
        path.append(node)
        node = previous[node]
    return path[::-1]


def import_cycles(modules: dict[str, Module]) -> list[list[str]]:
    """Each distinct shortest cycle through every import that lies on a cycle.

    For every import ``a → b`` inside a group of modules that import each other
    (a strongly connected component), the shortest way back ``b → … → a``
    closes one cycle; cycles are returned once each, starting at their
    alphabetically first module, as ``[a, b, …, a]``.
    """
    graph = import_graph(modules)
    cycles: dict[tuple[str, ...], list[str]] = {}
    for component in _strongly_connected(graph):
        members = set(component)
        for source in component:
            for target in sorted(graph[source]):
                if target not in members:
                    continue
                loop = [source, *_shortest_path(graph, target, source, members)[:-1]]
                first = loop.index(min(loop))
                loop = loop[first:] + loop[:first]
                cycles.setdefault(tuple(loop), [*loop, loop[0]])
    return [cycles[key] for key in sorted(cycles)]


def describe_cycle(modules: dict[str, Module], cycle: list[str]) -> str:
    """A cycle as readable lines: each module, the file and line of its import of the next one."""
    graph = import_graph(modules)
    steps = [f"  {source} ({modules[source].relative}, {graph[source][target].where()}) imports {target}"
             for source, target in zip(cycle, cycle[1:])]
    return "import cycle " + " → ".join(cycle) + ":\n" + "\n".join(steps)


def long_modules(modules: dict[str, Module], limit: int = LINE_LIMIT) -> list[Problem]:
    """Modules over ``limit`` lines whose docstring has no line starting with ``LONG_REASON``."""
    problems = []
    for module in modules.values():
        if module.line_count <= limit:
            continue
        docstring = ast.get_docstring(module.tree) or ""
        if any(line.strip().startswith(LONG_REASON) for line in docstring.splitlines()):
            continue
        problems.append(Problem(module.relative, 1,
                                f"{module.name} has {module.line_count} lines (over {limit}) and its "
                                f"docstring gives no line starting {LONG_REASON!r}"))
    return problems


# The calls that run SQL, and SQLAlchemy's statement builders.
SQL_CALLS = frozenset({"execute", "exec_driver_sql", "executescript", "executemany"})
SQL_BUILDERS = frozenset({"select", "insert", "update", "delete", "text"})


def sql_outside(modules: dict[str, Module], store: str) -> list[Problem]:
    """Every statement-running call or statement-builder import in a module outside ``store``."""
    problems: list[Problem] = []
    for module in modules.values():
        if module.name == store or module.name.startswith(f"{store}."):
            continue
        for node, scope in _walk_with_scope(module.tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in SQL_CALLS):
                problems.append(Problem(module.relative, node.lineno,
                                        f"{module.name} runs SQL (.{node.func.attr}){_in_scope(scope)}"))
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
                built = sorted(SQL_BUILDERS & {a.name for a in node.names})
                if built:
                    problems.append(Problem(module.relative, node.lineno,
                                            f"{module.name} imports SQL builders {', '.join(built)}"
                                            f"{_in_scope(scope)}"))
    return problems
