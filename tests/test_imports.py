"""The package imports as a tree: no module of glossary_rag/ or bench/ reaches itself again through its imports
(counting imports inside functions and under TYPE_CHECKING, which hide cycles rather than remove them), and
the library never imports the benchmark."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import PROJECT_ROOT

PACKAGES = ("glossary_rag", "bench")


def module_name(file: Path, root: Path) -> str:
    parts = file.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path, packages=PACKAGES) -> dict[str, set[str]]:
    """module -> the project modules it imports anywhere in its file."""
    files = {module_name(f, root): f for package in packages for f in (root / package).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, file in files.items():
        package = name if file.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                targets.add(base)
                targets.update(f"{base}.{alias.name}" for alias in node.names)
        graph[name] = {t for t in targets if t in files and t != name}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted.

    >>> find_cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}})
    [['a', 'b']]
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(cycles)


def test_no_import_cycles():
    assert find_cycles(import_graph(PROJECT_ROOT)) == []


def test_the_cycle_finder_finds_a_hidden_cycle(tmp_path):
    """The check can fail: a cycle closed by an import inside a function is reported."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("from pkg.b import f\n")
    (tmp_path / "pkg" / "b.py").write_text("def f():\n    from pkg import a\n")
    (tmp_path / "pkg" / "c.py").write_text("from . import a\n")
    assert find_cycles(import_graph(tmp_path, ("pkg",))) == [["pkg.a", "pkg.b"]]


def test_the_library_never_imports_the_benchmark():
    graph = import_graph(PROJECT_ROOT)
    assert {name: deps for name, deps in graph.items()
            if name.startswith("glossary_rag") and any(d.startswith("bench") for d in deps)} == {}


def test_every_module_stays_under_300_lines():
    files = [*(PROJECT_ROOT / p for p in ("app.py",)), *(f for p in PACKAGES for f in (PROJECT_ROOT / p).rglob("*.py"))]
    assert {str(f.relative_to(PROJECT_ROOT)): n for f in files
            if (n := len(f.read_text(encoding="utf-8").splitlines())) > 300} == {}
