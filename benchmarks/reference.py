"""The reference server, mlserver-mlflow 1.7.1, in a virtualenv of its own (made once, reused).

It gets the same MLflow, numpy, pandas and scikit-learn as this runtime's environment, so
both sides load the same model with the same libraries; ``uvloop<0.22`` because 0.22+
kills MLServer 1.7.1's inference workers at start, ``fastapi<0.116`` and ``protobuf<7``
because MLServer 1.7.1 needs them.
"""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / ".bench" / "mlserver-mlflow-1.7.1"
SAME_AS_OURS = ("mlflow", "numpy", "pandas", "scikit-learn")


def requirements() -> list[str]:
    return ["mlserver==1.7.1", "mlserver-mlflow==1.7.1", "uvloop<0.22", "fastapi<0.116", "protobuf<7",
            *(f"{name}=={version(name)}" for name in SAME_AS_OURS)]


def ensure(venv: Path = DEFAULT) -> Path:
    """The reference virtualenv's ``bin`` folder, installing it first if needed."""
    marker = venv / ".installed"
    wanted = "\n".join(requirements())
    if marker.exists() and marker.read_text() == wanted:
        return venv / "bin"
    print(f"installing mlserver-mlflow 1.7.1 into {venv} ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, *requirements()], check=True)
    marker.write_text(wanted)
    return venv / "bin"
