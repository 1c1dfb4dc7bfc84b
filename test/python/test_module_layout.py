"""The runtime's module layout: no import circles, and every module's ``__all__`` is importable.

An import circle inside the runtime works only as long as nobody reorders the imports or moves a
name to module level, so none is allowed, not even behind ``TYPE_CHECKING`` or inside a function:
shared vocabulary belongs in a module below both of its users.  The graph is read from the source
with ``ast`` (importing would only see the circles that happen to be taken at import time).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from typing import Optional

import pytest

from conftest import PYTHON_DIR

PACKAGE = "deferred_graph"
PACKAGE_DIR = PYTHON_DIR / PACKAGE
MODULES = sorted(path.stem for path in PACKAGE_DIR.glob("*.py"))


def _imported_modules(source: str, modules: set[str]) -> set[str]:
    """The package's modules one module's source imports, wherever the import statement is
    (module level, a function, an ``if TYPE_CHECKING`` block)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == PACKAGE:
                    found.add(parts[1] if len(parts) > 1 else "__init__")
        elif isinstance(node, ast.ImportFrom):
            if node.level == 1 or (node.level == 0 and node.module == PACKAGE):
                if node.module and node.module != PACKAGE:
                    found.add(node.module.split(".")[0])  # from .sender import X
                else:  # from . import wire: a module, or a name of the package itself
                    named = {alias.name for alias in node.names} & modules
                    found.update(named or {"__init__"})
            elif node.level == 0 and node.module and node.module.startswith(PACKAGE + "."):
                found.add(node.module.split(".")[1])
    return found & modules


def import_graph(package_dir: Path) -> dict[str, set[str]]:
    """Module name (file stem) -> the package modules it imports."""
    modules = {path.stem for path in package_dir.glob("*.py")}
    return {
        path.stem: _imported_modules(path.read_text(encoding="utf-8"), modules) - {path.stem}
        for path in package_dir.glob("*.py")
    }


def find_cycle(graph: dict[str, set[str]]) -> Optional[list[str]]:
    """One import circle as a path that ends where it starts, or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> Optional[list[str]]:
        if module in path:
            return path[path.index(module) :] + [module]
        if module in done:
            return None
        path.append(module)
        for target in sorted(graph.get(module, ())):
            cycle = visit(target)
            if cycle:
                return cycle
        path.pop()
        done.add(module)
        return None

    for module in sorted(graph):
        cycle = visit(module)
        if cycle:
            return cycle
    return None


def test_the_runtime_has_no_import_circle() -> None:
    cycle = find_cycle(import_graph(PACKAGE_DIR))
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_sees_a_circle_through_a_lazy_or_type_checking_import(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.py").write_text("from .b import x\n")
    (tmp_path / "b.py").write_text("def f():\n    from .c import y\n")
    (tmp_path / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n"
    )
    (tmp_path / "d.py").write_text("import deferred_graph.a\n")
    graph = import_graph(tmp_path)
    assert graph["d"] == {"a"}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    (tmp_path / "c.py").write_text("from . import wire\n")
    assert find_cycle(import_graph(tmp_path)) is None


@pytest.mark.parametrize("module", MODULES)
def test_star_import_of_every_module_works(module: str) -> None:
    name = PACKAGE if module == "__init__" else "%s.%s" % (PACKAGE, module)
    exported = getattr(importlib.import_module(name), "__all__", None)
    namespace: dict[str, object] = {}
    exec("from %s import *" % name, namespace)
    if exported is not None:
        assert set(exported) <= set(namespace)
