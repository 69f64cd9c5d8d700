"""The package's modules (codecs/ included) import each other without cycles, counting every import
(function-level ones too: a cycle broken by a lazy import is still a cycle)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "runtime_mlflow"
PAYLOAD = "runtime_mlflow.hosting.payload"  # runs in a model's own Python: imports nothing of ours


CODECS = ROOT / "codecs"  # installed as runtime_mlflow.codecs (package_dir in setup.py)


def module_name(path: Path) -> str:
    relative = path.relative_to(ROOT)
    parts = list(relative.with_suffix("").parts)
    if relative.parts[0] == "codecs":
        parts = ["runtime_mlflow", *parts]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports(path: Path, name: str) -> set[str]:
    """The package modules ``path`` imports (``from . import x`` counts as ``pkg.x`` if it is a module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("runtime_mlflow")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            elif node.module and node.module.startswith("runtime_mlflow"):
                target = node.module
            else:
                continue
            found.add(target)
            found |= {f"{target}.{alias.name}" for alias in node.names}
    return found


def graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in [*PACKAGE.rglob("*.py"), *CODECS.rglob("*.py")]}
    edges = {}
    for name, path in paths.items():
        targets = {t for t in imports(path, name) if t in paths and t != name}
        # importing a.b.c runs a and a.b first: a package's __init__ is not a dependency worth a cycle
        edges[name] = {t for t in targets if not name.startswith(t + ".")}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    found, state, stack = [], {}, []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == "open":
                found.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


def test_the_package_has_no_import_cycle():
    assert cycles(graph()) == []


def test_the_check_sees_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


def test_the_model_process_payload_imports_nothing_of_the_package():
    for path in (PACKAGE / "hosting" / "payload").rglob("*.py"):
        assert not {t for t in imports(path, module_name(path)) if not t.startswith(PAYLOAD)}, path


def _reach(edges: dict[str, set[str]], start: str) -> set[str]:
    """Every module ``start``'s package imports, directly or not."""
    seen: set[str] = set()
    todo = [name for name in edges if name == start or name.startswith(start + ".")]
    while todo:
        for target in edges.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


@pytest.mark.parametrize(("layer", "not_above"), [
    ("runtime_mlflow.infra", ("runtime_mlflow.environments", "runtime_mlflow.sources", "runtime_mlflow.protocols")),
    ("runtime_mlflow.sources", ("runtime_mlflow.environments", "runtime_mlflow.protocols")),
    ("runtime_mlflow.protocols.scoring", ("runtime_mlflow.environments",)),
])
def test_layers_import_downwards_only(layer, not_above):
    reached = _reach(graph(), layer)
    assert not {m for m in reached for above in not_above if m == above or m.startswith(above + ".")}
