"""The core's import graph, read from the syntax tree: no import circle anywhere, and
``graph/`` imports nothing above it (DESIGN section 1).

Every ``import`` and ``from ... import`` counts, at module level or inside a function (a lazy
import still makes a circle), relative ones resolved against the importing module's package,
except those under ``if TYPE_CHECKING:`` (never run: type hints only).
``from package import name`` points at ``package.name`` when that is a module, else at the
package. The implicit import of a module's parent package is not an arrow.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Optional, Set

ROOT = Path(__file__).resolve().parents[2]
ABOVE_GRAPH = ("cli", "assist", "config", "session", "agent", "worker", "client")

Graph = Dict[str, Set[str]]


def module_files(root: Path, package: str) -> Dict[str, Path]:
    """``dotted name -> file`` for every module and package under ``root / package``."""
    out = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def import_graph(root: Path, package: str) -> Graph:
    """``module -> the package's modules it imports``."""
    files = module_files(root, package)

    def known(name: str) -> Optional[str]:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph: Graph = {}
    for module, path in files.items():
        here = module if path.name == "__init__.py" else module.rpartition(".")[0]
        targets: Set[str] = set()
        for node in _run_nodes(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")[:len(here.split(".")) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                names = [f"{source}.{a.name}" if f"{source}.{a.name}" in files else source
                         for a in node.names]
            else:
                continue
            targets.update(t for t in map(known, names) if t and t.split(".")[0] == package)
        targets.discard(module)
        graph[module] = targets
    return graph


def _run_nodes(tree: ast.AST) -> List[ast.AST]:
    """Every node of ``tree`` but the bodies of ``if TYPE_CHECKING:`` (its ``else`` runs)."""
    out: List[ast.AST] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        out.append(node)
        if isinstance(node, ast.If) and _type_checking(node.test):
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))
    return out


def _type_checking(test: ast.AST) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def circles(graph: Graph) -> List[List[str]]:
    """Every strongly connected group of more than one module (Tarjan, iteratively)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    found: List[List[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
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
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_the_reader_resolves_every_form_and_finds_a_lazy_circle(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "base.py").write_text("X = 1\n")
    (pkg / "top.py").write_text("from .sub import low\nimport os\nfrom typing import "
                                "TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import base\n")
    (pkg / "sub" / "__init__.py").write_text("from .. import base\n")
    (pkg / "sub" / "low.py").write_text(
        "from ..base import X\n\ndef later():\n    from pkg import top\n    import pkg.sub\n")
    graph = import_graph(tmp_path, "pkg")
    assert graph == {"pkg": set(), "pkg.base": set(), "pkg.top": {"pkg.sub.low"},
                     "pkg.sub": {"pkg.base"}, "pkg.sub.low": {"pkg.base", "pkg.top", "pkg.sub"}}
    assert circles(graph) == [["pkg.sub.low", "pkg.top"]]


def test_no_import_circle_anywhere_in_the_core() -> None:
    graph = import_graph(ROOT, "nuke_ai_panel")
    assert "nuke_ai_panel.cli.scripts" in graph and len(graph) > 80
    assert circles(graph) == []


def test_graph_imports_nothing_above_it() -> None:
    graph = import_graph(ROOT, "nuke_ai_panel")
    above = tuple(f"nuke_ai_panel.{name}" for name in ABOVE_GRAPH)
    upward = {module: sorted(t for t in targets if t == "nuke_ai_panel" or t.startswith(above))
              for module, targets in graph.items() if module.startswith("nuke_ai_panel.graph")}
    assert {m: t for m, t in upward.items() if t} == {}


def test_no_import_circle_in_the_qt_layer() -> None:
    """The Qt layer (``src/``) is read the same way: a lazy import inside a function that
    closes a circle counts too."""
    graph = import_graph(ROOT, "src")
    assert "src.ui.chat_panel" in graph and "src.ui.markdown" in graph
    assert circles(graph) == []
