"""The house rules, checked on the source itself (ast, no imports).

* layers go one way: no ps_graph module imports qbaselines, not even inside a function;
* inside each package, the graph of module imports (imports inside functions included,
  package ``__init__`` files and type-only imports under ``if TYPE_CHECKING:`` left out)
  has no cycle;
* no module over 500 lines, no function over 100 lines (docstring included);
* every module is listed in the Layout page, docs/layout.md.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ps_graph", "qbaselines")
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 100


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources(package: str) -> dict[str, tuple[Path, ast.Module]]:
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        found[module_name(path)] = (path, ast.parse(path.read_text(), filename=str(path)))
    return found


ALL = {name: entry for package in PACKAGES for name, entry in sources(package).items()}


def is_type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def walk(tree: ast.AST, type_only: bool):
    """Every node of ``tree``; without ``type_only``, leaving out ``if TYPE_CHECKING:`` bodies."""
    for child in ast.iter_child_nodes(tree):
        if not type_only and is_type_checking(child):
            yield from (node for other in child.orelse for node in walk(other, type_only))
            continue
        yield child
        yield from walk(child, type_only)


def imported_modules(name: str, path: Path, tree: ast.Module, type_only: bool = True) -> set[str]:
    """Every module ``name`` imports, anywhere in the file (inside functions too), resolved
    to absolute names; ``type_only=False`` leaves out the imports under ``if TYPE_CHECKING:``."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in walk(tree, type_only):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            for alias in node.names:  # "from package import module"
                if f"{target}.{alias.name}" in ALL:
                    found.add(f"{target}.{alias.name}")
    return found


def test_ps_graph_never_imports_qbaselines():
    offenders = sorted(
        name
        for name, (path, tree) in ALL.items()
        if name.startswith("ps_graph")
        and any(m == "qbaselines" or m.startswith("qbaselines.") for m in imported_modules(name, path, tree))
    )
    assert offenders == [], f"ps_graph modules importing qbaselines: {offenders}"


@pytest.mark.parametrize("package", PACKAGES)
def test_module_graph_has_no_cycle(package):
    graph = nx.DiGraph()
    for name, (path, tree) in ALL.items():
        if not name.startswith(package) or path.name == "__init__.py":
            continue
        graph.add_node(name)
        for target in imported_modules(name, path, tree, type_only=False):
            if target in ALL and ALL[target][0].name != "__init__.py" and target != name:
                graph.add_edge(name, target)
    cycles = list(nx.simple_cycles(graph))
    assert cycles == [], f"import cycles in {package}: {cycles[:5]}"


def test_modules_and_functions_stay_small():
    too_long = []
    for name, (path, tree) in ALL.items():
        lines = len(path.read_text().splitlines())
        if lines > MAX_MODULE_LINES:
            too_long.append(f"module {name}: {lines} lines")
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"function {name}.{node.name}: {length} lines")
    assert too_long == []


def test_the_checks_can_fail(tmp_path):
    """The import resolver sees relative, absolute and function-level imports."""
    source = (
        "from ..x import y\ndef f():\n    import qbaselines.dqn\n    from . import z\nif TYPE_CHECKING:\n    import w\n"
    )
    tree = ast.parse(source)
    found = imported_modules("ps_graph.sub.mod", tmp_path / "mod.py", tree)
    assert {"ps_graph.x", "qbaselines.dqn", "ps_graph.sub", "w"} <= found
    assert "w" not in imported_modules("ps_graph.sub.mod", tmp_path / "mod.py", tree, type_only=False)


def test_every_module_is_listed_in_the_layout_page():
    page = (ROOT / "docs" / "layout.md").read_text()
    layout = page[page.index("```") : page.index("```", page.index("```") + 3)]
    missing = []
    for path, _ in ALL.values():
        relative = path.relative_to(ROOT).as_posix()
        folder = relative.rsplit("/", 1)[0] + "/"
        named = re.search(rf"(?<![\w/]){re.escape(path.name)}(?!\w)", layout) is not None
        listed = relative in layout or (folder in layout and (path.name == "__init__.py" or named))
        if not listed:
            missing.append(relative)
    assert missing == [], f"modules missing from the Layout page (docs/layout.md): {missing}"
