"""lemm's import contract (docs/architecture.md), checked over the source with ``ast``.

- ``lemm.score`` imports no renderer, singer or mixer, and no torch, not even through another package;
- ``lemm.io`` imports no ``lemm.mix``; ``lemm.compose`` imports no ``lemm.vocals`` (both transitively);
- no cycle between lemm's packages (``lemm.score``, ``lemm.render``, ... and the top-level modules
  ``lemm.song``, ``lemm.cli``, ...; the top-level ``lemm`` facade is a node of its own);
- a lemm import inside a function body only where :data:`LOCAL_IMPORTS_ALLOWED` says why.

Imports under ``if TYPE_CHECKING:`` count in the graph too (a type from a higher layer is a dependency
on it), but they are module-level by nature, never "local".
The checks are plain functions of a module graph, so each is also run on a
small made-up graph that breaks it (a contract test that cannot fail proves nothing).
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: (package, packages it must not reach, even through others).
FORBIDDEN = (
    ("lemm.score", ("lemm.render", "lemm.vocals", "lemm.mix")),
    ("lemm.io", ("lemm.mix",)),
    ("lemm.compose", ("lemm.vocals",)),
)

#: Third-party packages a package must not import, directly or through the lemm packages it imports.
FORBIDDEN_THIRD_PARTY = (("lemm.score", ("torch",)),)

#: (module, imported lemm module) -> why the import has to wait for the call.
#: Only an optional dependency is a reason: a lemm module that imports one at its top.
LOCAL_IMPORTS_ALLOWED: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Import:
    """One imported name: ``source`` module imports ``target`` module (line ``line``), ``local`` inside a function body,
    ``typing_only`` under ``if TYPE_CHECKING:``."""

    source: str
    target: str
    line: int
    local: bool
    typing_only: bool = False


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_of(module: str) -> str:
    """``lemm.score.model`` -> ``lemm.score``; ``lemm.song`` -> ``lemm.song``; ``lemm`` -> ``lemm``."""
    return ".".join(module.split(".")[:2])


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(source: str, module: str, *, is_package: bool, modules: set[str]) -> list[Import]:
    """Every module ``module`` imports (lemm or not), as :class:`Import`; ``from X import y`` names ``X.y`` where that is a module."""
    found: list[Import] = []

    def targets(node: ast.Import | ast.ImportFrom) -> list[str]:
        if isinstance(node, ast.Import):
            return [alias.name for alias in node.names]
        base = node.module or ""
        if node.level:
            parts = module.split(".") if is_package else module.split(".")[:-1]
            parts = parts[: len(parts) - (node.level - 1)]
            base = ".".join(parts + ([node.module] if node.module else []))
        return [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]

    def visit(node: ast.AST, local: bool, typing_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            typing = typing_only or (isinstance(node, ast.If) and _is_type_checking(node.test) and child in node.body)
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.extend(Import(module, t, child.lineno, local, typing) for t in dict.fromkeys(targets(child)))
            visit(child, local or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)), typing)

    visit(ast.parse(source), False, False)
    return found


def lemm_imports(root: Path = ROOT) -> list[Import]:
    """Every import statement of lemm/**.py."""
    files = sorted((root / "lemm").rglob("*.py"))
    modules = {module_name(p, root) for p in files}
    out: list[Import] = []
    for path in files:
        out += imports_of(path.read_text(encoding="utf-8"), module_name(path, root), is_package=path.name == "__init__.py", modules=modules)
    return out


def package_graph(imports: list[Import]) -> dict[str, set[str]]:
    """Package -> packages it imports (lemm ones, and the top-level name of third-party ones)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for imp in imports:
        src = package_of(imp.source)
        dst = package_of(imp.target) if imp.target.split(".")[0] == "lemm" else imp.target.split(".")[0]
        graph[src]
        if dst != src:
            graph[src].add(dst)
    return dict(graph)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted; [] for an acyclic graph."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph.get(v, ()):
                out.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph) + 100))
    try:
        for v in sorted(graph):
            if v not in index:
                connect(v)
    finally:
        sys.setrecursionlimit(limit)
    return out


def reachable(graph: dict[str, set[str]], start: str) -> dict[str, str]:
    """Every node reachable from ``start`` -> the node it was reached from (a path back to ``start``)."""
    seen = {start: start}
    todo = [start]
    while todo:
        v = todo.pop()
        for w in sorted(graph.get(v, ())):
            if w not in seen:
                seen[w] = v
                todo.append(w)
    return seen


def forbidden_paths(graph: dict[str, set[str]], rules) -> list[str]:
    """One line per rule broken: the import chain from the package to the forbidden one."""
    broken = []
    for package, banned in rules:
        came_from = reachable(graph, package)
        for target in banned:
            if target in came_from:
                chain = [target]
                while chain[-1] != package:
                    chain.append(came_from[chain[-1]])
                broken.append(" -> ".join(reversed(chain)))
    return broken


def unexplained_local_imports(imports: list[Import], allowed: dict[tuple[str, str], str]) -> list[str]:
    return [f"{i.source}:{i.line} imports {i.target} inside a function" for i in imports
            if i.local and i.target.split(".")[0] == "lemm" and (i.source, i.target) not in allowed]


# --- lemm itself -------------------------------------------------------------------------------------------

IMPORTS = lemm_imports()
LEMM_GRAPH = {k: {d for d in v if d.split(".")[0] == "lemm"} for k, v in package_graph(IMPORTS).items()}


def test_the_graph_covers_lemm():
    assert {"lemm.score", "lemm.compose", "lemm.render", "lemm.vocals", "lemm.mix", "lemm.io", "lemm.song", "lemm"} <= set(LEMM_GRAPH)
    assert "lemm.score" in LEMM_GRAPH["lemm.compose"] and "lemm.io" in LEMM_GRAPH["lemm.score"]  # real edges are seen


def test_no_cycles_between_packages():
    assert cycles(LEMM_GRAPH) == []


def test_forbidden_imports():
    assert forbidden_paths(LEMM_GRAPH, FORBIDDEN) == []


def test_score_imports_no_torch():
    full = package_graph(IMPORTS)
    assert forbidden_paths(full, FORBIDDEN_THIRD_PARTY) == []


def test_function_local_lemm_imports_are_explained():
    assert unexplained_local_imports(IMPORTS, LOCAL_IMPORTS_ALLOWED) == []
    stale = set(LOCAL_IMPORTS_ALLOWED) - {(i.source, i.target) for i in IMPORTS if i.local}
    assert not stale, f"allow-list entries that no longer match a local import: {sorted(stale)}"


# --- the checks themselves, on made-up graphs --------------------------------------------------------------

SYNTHETIC = '''
from typing import TYPE_CHECKING
import torch
from lemm.io.audio import write_audio
from . import model
if TYPE_CHECKING:
    from lemm.song import Song

def f():
    from lemm.mix import master
    return master
'''


def test_imports_of_reads_relative_local_and_type_checking_imports():
    modules = {"lemm.score.model", "lemm.score.timing", "lemm.io.audio", "lemm.mix", "lemm.song"}
    found = imports_of(SYNTHETIC, "lemm.score.timing", is_package=False, modules=modules)
    assert {(i.target, i.local, i.typing_only) for i in found} == {
        ("typing", False, False), ("torch", False, False), ("lemm.io.audio", False, False), ("lemm.score.model", False, False),
        ("lemm.song", False, True), ("lemm.mix", True, False),
    }
    graph = package_graph(found)
    assert graph == {"lemm.score": {"typing", "torch", "lemm.io", "lemm.mix", "lemm.song"}}
    assert forbidden_paths(graph, FORBIDDEN) == ["lemm.score -> lemm.mix"]
    assert forbidden_paths(graph, FORBIDDEN_THIRD_PARTY) == ["lemm.score -> torch"]
    assert unexplained_local_imports(found, {}) == ["lemm.score.timing:10 imports lemm.mix inside a function"]
    assert unexplained_local_imports(found, {("lemm.score.timing", "lemm.mix"): "optional"}) == []


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"a"}}, [["a"]]),
    ],
)
def test_cycles_finds_every_cycle(graph, expected):
    assert cycles(graph) == expected


def test_forbidden_paths_follow_other_packages():
    graph = {"lemm.io": {"lemm.errors"}, "lemm.compose": {"lemm.text"}, "lemm.text": {"lemm.vocals"}, "lemm.vocals": set()}
    assert forbidden_paths(graph, FORBIDDEN) == ["lemm.compose -> lemm.text -> lemm.vocals"]
    # the real graph with one made-up edge back: the cycle check and the rules both catch it
    broken = {k: set(v) for k, v in LEMM_GRAPH.items()}
    broken["lemm.io"].add("lemm.mix")
    assert forbidden_paths(broken, FORBIDDEN) == ["lemm.score -> lemm.io -> lemm.mix", "lemm.io -> lemm.mix"]
    assert any({"lemm.io", "lemm.mix"} <= set(c) for c in cycles(broken))
