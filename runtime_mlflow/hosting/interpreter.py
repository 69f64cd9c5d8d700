"""A model environment's Python, as the runtime sees it: where it is, the variables it is
started with, whether its model process can serve (from its hello), and the server's own
package folders that a model process must not see.
"""

from __future__ import annotations

import os
import site
import sysconfig
from pathlib import Path
from typing import Any

from .payload import rmlf_frames as frames

MIN_PYTHON = (3, 9)
MIN_MLFLOW = (2, 0)
# Variables that would let the server's environment leak into the model's.
_SCRUBBED = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV", "CONDA_PREFIX", "__PYVENV_LAUNCHER__")


def python_of(env: Path) -> Path:
    return env / "bin" / "python"


def child_environ(env: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    environ["PATH"] = f"{env / 'bin'}{os.pathsep}{environ.get('PATH', '')}"
    return environ


def compatibility_problem(hello: dict[str, Any]) -> str | None:
    """What makes an environment unusable, from its hello; None if it is usable."""
    if hello.get("op") != "hello" or hello.get("protocol") != frames.PROTOCOL:
        return f"its model process speaks another protocol ({hello.get('protocol')!r}, expected {frames.PROTOCOL})"
    python = tuple(hello["python"])
    where = f"Python {'.'.join(map(str, python))} at {hello['executable']}"
    if python < MIN_PYTHON:
        return f"{where} is too old; environments need Python {'.'.join(map(str, MIN_PYTHON))} or newer"
    for name in ("mlflow", "numpy", "pandas"):
        if name in hello["missing"]:
            return (
                f"{name} cannot be imported by {where} ({hello['missing'][name]}); the environment must "
                "contain mlflow (2.x or 3.x), numpy, pandas and the model's own dependencies"
            )
    mlflow_version = _version_tuple(hello["versions"]["mlflow"])
    if mlflow_version < MIN_MLFLOW:
        return (
            f"its MLflow {hello['versions']['mlflow']} is too old; "
            f"MLflow {'.'.join(map(str, MIN_MLFLOW))} or newer is needed"
        )
    return None


def server_site_packages() -> list[str]:
    """The folders the server imports third-party packages from; a model process must not see them."""
    paths = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()}
    if site.ENABLE_USER_SITE and site.USER_SITE:
        paths.add(site.USER_SITE)
    return sorted(paths)


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for part in version.split(".")[:3]:
        digits = "".join(ch for ch in part if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)
