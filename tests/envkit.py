"""Build real Python environments for tests and pack them with the real conda-pack.

No conda channel is reachable here, so an environment is a virtualenv plus the
``conda-meta/`` folder conda-pack requires; conda-pack then packs it as it would a conda
environment. A plain virtualenv links ``bin/python`` to its base interpreter (which the
runtime accepts when that interpreter exists); ``--copies`` copies it instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent

OLD_STACK = ["mlflow-skinny==2.22.*", "numpy==1.26.*", "pandas==2.2.*", "scikit-learn==1.5.*"]
"""An older stack than the server's (MLflow 3, numpy 2, pandas 3), on an older Python."""
ONLY_IN_ENV = "humanize"
"""A small package the server's environment lacks; the humanized model imports it."""


def find_python(version: str) -> str | None:
    """An interpreter of ``version`` (e.g. "3.9") on this machine, or None."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [str(p / "bin" / f"python{version}") for p in sorted(pyenv.glob(f"{version}.*"), reverse=True)]
    candidates.append(shutil.which(f"python{version}") or "")
    for exe in candidates:  # a pyenv shim exists even when it cannot run that version
        if exe and subprocess.run([exe, "-c", "pass"], capture_output=True).returncode == 0:
            return exe
    return None


def make_venv(python: str, prefix: Path, packages: list[str], installer: str = "pip", copies: bool = True) -> Path:
    """A virtualenv with ``packages`` installed by pip (its own) or uv (the server's)."""
    subprocess.run([python, "-m", "venv", *(["--copies"] if copies else []), str(prefix)], check=True)
    if packages and installer == "pip":
        subprocess.run(
            [str(prefix / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", *packages],
            check=True,
        )
    elif packages:
        subprocess.run([str(BIN / "uv"), "pip", "install", "-q", "--python", str(prefix / "bin" / "python"), *packages],
                       check=True)
    return prefix


def conda_pack(prefix: Path, output: Path) -> Path:
    (prefix / "conda-meta").mkdir(exist_ok=True)
    (prefix / "conda-meta" / "history").touch()
    subprocess.run(
        [str(BIN / "conda-pack"), "-p", str(prefix), "-o", str(output), "--compress-level", "1", "-q", "--force"],
        check=True,
    )
    return output
