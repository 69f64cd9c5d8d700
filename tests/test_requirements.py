"""What the package imports is what setup.py declares: every third-party module imported
directly is in install_requires or in the feature extra that brings it (not only present
because mlserver or mlflow happens to pull it in), and an extra's modules are imported only
where the feature runs, so a plain install imports without them."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

from runtime_mlflow import extras

ROOT = Path(__file__).resolve().parent.parent
PAYLOAD = ROOT / "runtime_mlflow" / "hosting" / "payload"  # runs in the model's environment


def _sources() -> list[Path]:
    return [p for p in [*(ROOT / "runtime_mlflow").rglob("*.py"), *(ROOT / "codecs").rglob("*.py")]
            if PAYLOAD not in p.parents]


def _third_party(module: str) -> bool:
    top = module.split(".")[0]
    return top not in sys.stdlib_module_names and top not in ("runtime_mlflow", "__future__")


def _imports(nodes: list[ast.stmt] | ast.AST) -> set[str]:
    found = set()
    for node in (nodes if isinstance(nodes, list) else ast.walk(nodes)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return {m for m in found if _third_party(m)}


def imported() -> set[str]:
    """Top-level names of the third-party modules the package imports, anywhere."""
    return {m.split(".")[0] for path in _sources() for m in _imports(ast.parse(path.read_text()))}


def _setup() -> tuple[set[str], dict[str, set[str]]]:
    """install_requires and FEATURES (the feature extras), read from setup.py's source."""
    tree = ast.parse((ROOT / "setup.py").read_text())
    features: dict[str, list[str]] = {}
    required: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "FEATURES" for t in node.targets):
            features = ast.literal_eval(node.value)
        if isinstance(node, ast.keyword) and node.arg == "install_requires":
            required = ast.literal_eval(node.value)

    def names(requirements: list[str]) -> set[str]:
        return {re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9_.\-]+", r).group(0)).lower() for r in requirements}

    return names(required), {extra: names(reqs) for extra, reqs in features.items()}


def _distributions(module: str) -> set[str]:
    found = importlib.metadata.packages_distributions().get(module.split(".")[0], [])
    return {re.sub(r"[-_.]+", "-", d).lower() for d in found}


def test_every_direct_import_is_declared():
    required, features = _setup()
    declared = required.union(*features.values())
    missing = {m: sorted(_distributions(m)) for m in sorted(imported()) if not _distributions(m) & declared}
    assert missing == {}, f"imported but not in install_requires or an extra: {missing}"


def test_the_extras_modules_are_the_extras_requirements():
    _, features = _setup()
    assert set(features) == set(extras.MODULES)
    for extra, modules in extras.MODULES.items():
        for module in modules:
            assert _distributions(module) & features[extra], f"{module} is not brought by [{extra}]"


def test_no_module_imports_an_extra_at_import_time():
    """An extra's module is imported inside the function that needs it, never at a module's top."""
    optional = {m for modules in extras.MODULES.values() for m in modules}
    for path in _sources():
        top = _imports(ast.parse(path.read_text()).body)
        assert not {m for m in top if any(m == o or m.startswith(o + ".") or o.startswith(m + ".") for o in optional)}, path


def test_the_check_reads_setup_py():
    required, features = _setup()
    assert {"mlserver", "mlflow-skinny", "numpy", "pandas"} <= required and "boto3" in features["s3"]
    assert {"mlflow", "numpy", "mlserver", "boto3", "google"} <= imported()
