"""mypy, strict (``[tool.mypy]`` in pyproject.toml), passes on the package as it installs:
``codecs/`` as ``runtime_mlflow.codecs``. The model-process payload is excluded there (it runs on
Python 3.9 in a model's environment; ``hosting/test_payload_syntax.py`` checks it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_strict_passes(tmp_path):
    # the installed layout, made of links: runtime_mlflow/* and codecs/ as runtime_mlflow/codecs
    package = tmp_path / "src" / "runtime_mlflow"
    package.mkdir(parents=True)
    for entry in (ROOT / "runtime_mlflow").iterdir():
        if entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    (package / "codecs").symlink_to(ROOT / "codecs")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
         "--cache-dir", str(tmp_path / "cache"), "-p", "runtime_mlflow"],
        cwd=package.parent, capture_output=True, text=True, env={**os.environ, "MYPYPATH": str(package.parent)},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout
