"""The ``kg.serve`` modules import one another without a cycle (imports inside functions included)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "kg.serve"
FOLDER = Path(__file__).resolve().parents[1] / "kg" / "serve"


def module_name(path: Path) -> str:
    return PACKAGE if path.name == "__init__.py" else f"{PACKAGE}.{path.stem}"


def imports(path: Path, modules: set[str]) -> set[str]:
    """The ``kg.serve`` modules ``path`` imports, wherever the import statement is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative to kg.serve (every module here is directly in it)
                parts = PACKAGE.split(".")[: PACKAGE.count(".") + 2 - node.level]
                base = ".".join([*parts, base] if base else parts)
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return {m for m in found if m in modules} - {module_name(path)}


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (as a path that returns to its start), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_checker_finds_a_cycle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_kg_serve_has_no_import_cycle():
    files = sorted(FOLDER.glob("*.py"))
    modules = {module_name(p) for p in files}
    graph = {module_name(p): imports(p, modules) for p in files}
    assert graph["kg.serve.cache"] >= {"kg.serve.engine"}  # the parser sees the imports
    assert "kg.serve.remote_engine" in graph["kg.serve.builds"]  # including those inside functions
    assert cycle(graph) is None, f"import cycle: {' -> '.join(cycle(graph) or [])}"
