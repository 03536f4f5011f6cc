"""The house rules of docs/design.md, checked on the import graph of daphnelib.

Every import is counted, top-level and inside functions (a function-level import is a
runtime dependency too); imports under ``if TYPE_CHECKING:`` are not.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "daphnelib"
LAYERS = ("context", "operator", "interop", "sql", "engine", "_native", "dsl",
          "script_building", "backends")
# package -> what it must never import
FORBIDDEN = {
    "engine": ("daphnelib.interop", "daphnelib.operator", "daphnelib.context", "pandas"),
    "interop": ("daphnelib.operator", "daphnelib.context"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """The modules ``module`` imports at run time."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            found.add(prefix)
            found.update(f"{prefix}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _graph() -> dict[str, set[str]]:
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        module = _module_name(path)
        graph[module] = _imports(ast.parse(path.read_text()), module,
                                 path.name == "__init__.py")
    return graph


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "daphnelib" or len(parts) < 2 or parts[1] not in LAYERS:
        return None
    return parts[1]


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the directed graph ``edges`` as a path, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (found := dfs(nxt)) is not None:
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := dfs(node)) is not None:
            return found
    return None


def test_the_graph_sees_function_level_imports_and_skips_type_checking() -> None:
    graph = _graph()
    # a function-level import (the embedded backend imports the executor when it runs)
    assert "daphnelib.engine.executor" in graph["daphnelib.backends.embedded"]
    # operation_node imports DaphneContext under TYPE_CHECKING only
    assert not any(m.startswith("daphnelib.context")
                   for m in graph["daphnelib.operator.operation_node"])


def test_no_import_cycle_between_packages() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for module, imported in _graph().items():
        src = _layer(module)
        for target in imported:
            dst = _layer(target)
            if src and dst and src != dst:
                edges[src].add(dst)
    assert _cycle(edges) is None, f"import cycle between packages: {_cycle(edges)}"


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_forbidden_imports() -> None:
    bad = []
    for module, imported in _graph().items():
        for target in imported:
            for banned in FORBIDDEN.get(_layer(module) or "", ()):
                if target == banned or target.startswith(banned + "."):
                    bad.append(f"{module} imports {target}")
    assert not bad, "\n".join(sorted(bad))
