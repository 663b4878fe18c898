"""The architecture, checked: core/ grouped by concept, no import circles, dependencies pointing one way.

The graph is read from the source (every ``import`` a module can execute,
including those inside functions; imports under ``if TYPE_CHECKING:`` are
annotations only and do not count).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

from tests.conftest import REPO

CORE = REPO / "core"

#: subpackage -> the subpackages it may import (``_errors`` is imported by all)
ALLOWED = {
    "_commandline": {"_frontend", "_storage", "_framework", "_results", "plugin"},
    "_frontend": {"_framework", "_results", "plugin"},
    "_storage": {"_framework", "plugin"},
    "plugin": {"_framework", "_results", "_storage"},
    "_results": set(),
    "_framework": set(),
}


def module_of(path: Path) -> str:
    parts = list(path.relative_to(CORE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(["neurofiles", *parts])


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", "")) == "TYPE_CHECKING":
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def import_graph() -> dict[str, set[str]]:
    """``module -> modules it imports`` for every module of core/ (within neurofiles, plugins excluded)."""
    modules = {module_of(p): p for p in CORE.rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_lines(tree)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(tree):
            if getattr(node, "lineno", 0) in skip:
                continue
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in modules else mod for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name and target.startswith("neurofiles") and not target.startswith(
                    "neurofiles.plugins"
                ):
                    graph[name].add(target)
    return graph


def _group(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_no_import_circles():
    graph = import_graph()
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt == "neurofiles" or (nxt.rpartition(".")[0] == node):  # a package's own contract / submodule
                continue
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt] if nxt in stack else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert cycles == [], "import circles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_dependencies_point_one_way():
    wrong = []
    for module, targets in sorted(import_graph().items()):
        group = _group(module)
        if group not in ALLOWED:
            continue
        for target in sorted(targets):
            other = _group(target)
            if other in ("", "_errors", group) or other not in ALLOWED:
                continue
            if other not in ALLOWED[group]:
                wrong.append(f"{module} -> {target}")
    assert wrong == [], "imports against the layering:\n" + "\n".join(wrong)


@pytest.mark.parametrize(
    "package",
    sorted(ALLOWED),
)
def test_every_subpackage_has_a_contract(package):
    init = CORE / package / "__init__.py"
    assert init.is_file(), f"core/{package}/ is not a package"
    doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
    assert len(doc.splitlines()) >= 3, f"core/{package}/__init__.py needs a contract docstring"


def test_core_is_grouped_not_flat():
    flat = sorted(p.name for p in CORE.glob("*.py"))
    assert flat == ["__init__.py", "__main__.py", "_errors.py", "brian2.py"], flat


def test_core_never_names_a_plugin_format():
    """Format-specific machinery lives with its formats: no reader or writer name appears in core/.

    ``neurofiles.brian2`` is the exception by purpose: the bridge between
    Brian2 and AEDAT files, whose ``save_monitor`` defaults to ``format="aedat"``.
    """
    from neurofiles._framework.discovery import get_registry

    registry = get_registry(third_party=False)
    names = set(registry.readers) | set(registry.writers)
    found = []
    for path in sorted(CORE.rglob("*.py")):
        if path.name == "brian2.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names:
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: {node.value!r}")
    assert found == [], found
