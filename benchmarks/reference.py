"""Each side's virtualenv: mlserver-mlflow 1.7.1's, and this runtime's as a user installs it.

The reference gets the same MLflow, numpy, pandas and scikit-learn as this runtime's
environment, so both sides load the same model with the same libraries; ``uvloop<0.22``
because 0.22+ kills MLServer 1.7.1's inference workers at start, ``fastapi<0.116`` and
``protobuf<7`` because MLServer 1.7.1 needs them. It is made once and reused.

This runtime is served from ``pip install .`` of the checkout (reinstalled on every run)
into a virtualenv of its own with the same scikit-learn, not from the development one: the
test extras there (pytest, moto, hypothesis, ...) are imported by scikit-learn and scanned
by MLflow at load, which would add memory and start-up time no user has.
"""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / ".bench" / "mlserver-mlflow-1.7.1"
OURS = ROOT / ".bench" / "runtime_mlflow"
SAME_AS_OURS = ("mlflow", "numpy", "pandas", "scikit-learn")


def requirements() -> list[str]:
    return ["mlserver==1.7.1", "mlserver-mlflow==1.7.1", "uvloop<0.22", "fastapi<0.116", "protobuf<7",
            *(f"{name}=={version(name)}" for name in SAME_AS_OURS)]


def ensure(venv: Path = DEFAULT) -> Path:
    """The reference virtualenv's ``bin`` folder, installing it first if needed."""
    return _venv(venv, requirements(), "mlserver-mlflow 1.7.1")


def ours(venv: Path = OURS) -> Path:
    """This runtime's virtualenv ``bin`` folder, with the checkout installed as a user would."""
    setup = (ROOT / "setup.py").read_text()
    bin_dir = _venv(venv, [str(ROOT), f"scikit-learn=={version('scikit-learn')}"], "runtime_mlflow", key=setup)
    print("installing this checkout of runtime_mlflow ...", file=sys.stderr)
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall",
                    str(ROOT)], check=True, cwd=venv)
    return bin_dir


def _venv(venv: Path, packages: list[str], label: str, key: str = "") -> Path:
    marker = venv / ".installed"
    wanted = "\n".join(packages) + key
    if marker.exists() and marker.read_text() == wanted:
        return venv / "bin"
    print(f"installing {label} into {venv} ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, *packages], check=True, cwd=venv)
    marker.write_text(wanted)
    return venv / "bin"
