"""The layout holds: no module imports another that imports it back, and modules stay small enough to read."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "storage")
# Modules allowed past about 500 lines, each because its docstring says why.
LONG_MODULES_SAY_WHY = 560


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Every project module this one imports, wherever the import stands (function bodies and TYPE_CHECKING too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    wanted: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            wanted.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            wanted.add(base)
            wanted.update(f"{base}.{alias.name}" for alias in node.names)
    return {module for module in wanted if module in known and module != name}


def test_no_module_imports_itself_in_a_circle():
    modules = _modules()
    graph = {name: _imports(path, name, set(modules)) for name, path in modules.items()}
    # A package may import its own submodules (its __init__ names them) without that being a circle.
    for name, wanted in graph.items():
        graph[name] = {w for w in wanted if not name.startswith(w + ".")}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert cycles == []


def test_a_long_module_says_in_its_docstring_why_it_is_long():
    unexplained = []
    for name, path in _modules().items():
        lines = path.read_text(encoding="utf-8").count("\n")
        if lines <= LONG_MODULES_SAY_WHY:
            continue
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        if "long on purpose" not in " ".join(docstring.lower().split()):
            unexplained.append(f"{name} ({lines} lines)")
    assert unexplained == []
