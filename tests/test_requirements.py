"""Every third-party module the package imports directly is declared in setup.py's
install_requires (not only present because mlserver or mlflow happens to pull it in)."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OPTIONAL = {"sklearn": "positional.py asks only when a model is a scikit-learn estimator (guarded import)"}
PAYLOAD = ROOT / "runtime_mlflow" / "environments" / "payload"  # runs in the model's environment


def imported() -> set[str]:
    found = set()
    for path in [*(ROOT / "runtime_mlflow").rglob("*.py"), *(ROOT / "codecs").rglob("*.py")]:
        if PAYLOAD in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m not in ("runtime_mlflow", "__future__")}


def declared() -> set[str]:
    source = (ROOT / "setup.py").read_text()
    block = source[source.index("install_requires=["):source.index("],", source.index("install_requires=["))]
    names = re.findall(r'^\s*"([A-Za-z0-9_.\-]+)', block, re.M)
    return {re.sub(r"[-_.]+", "-", n).lower() for n in names}


def test_every_direct_import_is_declared():
    distributions = importlib.metadata.packages_distributions()
    missing = {}
    for module in sorted(imported() - set(OPTIONAL)):
        candidates = {re.sub(r"[-_.]+", "-", d).lower() for d in distributions.get(module, [])}
        if not candidates & declared():
            missing[module] = sorted(candidates)
    assert missing == {}, f"imported but not in install_requires: {missing}"


def test_the_check_reads_setup_py():
    assert {"mlserver", "mlflow", "numpy", "pandas"} <= declared()
    assert {"mlflow", "numpy", "mlserver"} <= imported()
