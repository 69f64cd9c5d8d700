"""Build a model's environment from its own requirements, with uv, into the cache.

The spec comes from the model folder, in MLflow's order of preference:
``python_env.yaml`` (``python`` and ``dependencies``, whose ``-r file`` lines are read
from the folder), else ``requirements.txt`` (Python from the MLmodel file), else the
``pip`` section of ``conda.yaml``. The environment is a ``venv --copies`` of a matching
Python from this machine with the requirements installed by uv; it is cached under a key
hashed from the Python version and the requirements, so an unchanged spec is built once.
uv reads its own configuration for package indexes (``UV_INDEX_URL``,
``UV_EXTRA_INDEX_URL``, ``uv.toml``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .. import extras
from ..errors import MissingExtra, ModelEnvironmentError
from ..hosting.interpreter import python_of
from ..infra import cache
from ..infra.cache import logger
from ..infra.commands import run


@dataclass(frozen=True)
class Spec:
    python: str
    """The Python version the model was saved with, e.g. ``3.9.18``."""
    requirements: tuple[str, ...]
    source: Path

    @property
    def minor(self) -> str:
        return ".".join(self.python.split(".")[:2])

    def key(self, python_minor: str) -> str:
        text = json.dumps({"python": python_minor, "requirements": list(self.requirements)})
        return "build-" + hashlib.sha256(text.encode()).hexdigest()


def read_spec(model_path: Path) -> Spec:
    """The model's Python version and pip requirements; ModelEnvironmentError if it has none."""
    python_env = model_path / "python_env.yaml"
    if python_env.is_file():
        data = _yaml(python_env)
        requirements = _expand(model_path, [str(d) for d in data.get("dependencies") or []])
        return Spec(str(data.get("python") or _mlmodel_python(model_path)), requirements, python_env)
    requirements_txt = model_path / "requirements.txt"
    if requirements_txt.is_file():
        return Spec(_mlmodel_python(model_path), _expand(model_path, ["-r requirements.txt"]), requirements_txt)
    conda = model_path / "conda.yaml"
    if conda.is_file():
        python, pip = _mlmodel_python(model_path), list[str]()
        for dep in _yaml(conda).get("dependencies") or []:
            if isinstance(dep, str) and dep.replace(" ", "").startswith("python="):
                python = dep.split("=", 1)[1].strip()
            elif isinstance(dep, dict):
                pip.extend(str(p) for p in dep.get("pip") or [])
        return Spec(python, _expand(model_path, pip), conda)
    raise ModelEnvironmentError(
        f"{model_path} has no python_env.yaml, requirements.txt or conda.yaml to build an environment from"
    )


def build(name: str, model_path: Path, root: Path, allow_local_python: bool = False) -> cache.Entry:
    """The model's built environment, from the cache or built now (with progress in the log), held in use."""
    spec = read_spec(model_path)
    python = interpreter_for(spec.minor, allow_local_python, f"model {name!r} asks for Python {spec.python} "
                             f"({spec.source.name})", "set allow_local_python")
    minor = _python_minor(python)
    if minor is None:
        raise ModelEnvironmentError(f"model {name!r}: {python} does not run (asked what Python it is)")
    if minor != spec.minor:
        logger.warning("Model %r asks for Python %s; building with the local Python %s", name, spec.python, minor)
    return cache.materialize(
        root, spec.key(minor), lambda folder: make(folder, python, spec.requirements),
        what=f"{model_path} ({spec.source.name}, Python {minor})", step="build",
    )


def make(folder: Path, python: str, requirements: tuple[str, ...]) -> None:
    """A ``venv --copies`` in ``folder`` with ``requirements`` installed by uv."""
    run([python, "-m", "venv", "--copies", "--without-pip", folder], "venv")
    listed = folder / "runtime-mlflow-requirements.txt"
    listed.write_text("\n".join(requirements) + "\n")
    run([uv_binary(), "pip", "install", "--python", python_of(folder), "-r", listed], "uv pip install")


def uv_binary() -> str:
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found is None:
            raise MissingExtra(extras.message("build", "building an environment")) from None
        return found


def interpreter_for(minor: str, allow_local_python: bool, asked: str, how_to_allow: str) -> str:
    """A local interpreter for ``minor``; the server's own if none and allowed, else ModelEnvironmentError."""
    python = find_python(minor)
    if python is not None:
        return python
    if not allow_local_python:
        local = ".".join(map(str, sys.version_info[:3]))
        raise ModelEnvironmentError(
            f"{asked}, which this machine does not have; install it, or {how_to_allow} to build with Python {local}"
        )
    return sys.executable


def find_python(minor: str) -> str | None:
    """An interpreter for ``minor`` (e.g. ``3.9``): the server's own, on PATH, or under pyenv."""
    if _python_minor(sys.executable) == minor:
        return sys.executable
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [shutil.which(f"python{minor}"), *(str(p / "bin" / f"python{minor}")
                                                     for p in sorted(pyenv.glob(f"{minor}.*"), reverse=True))]
    for candidate in candidates:
        if candidate and _python_minor(candidate) == minor:  # pyenv shims exist for versions they cannot run
            return candidate
    return None


def _python_minor(python: str) -> str | None:
    try:
        done = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                              capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _mlmodel_python(model_path: Path) -> str:
    mlmodel = _yaml(model_path / "MLmodel")
    version = (mlmodel.get("flavors", {}).get("python_function", {}) or {}).get("python_version")
    if not version:
        raise ModelEnvironmentError(f"{model_path}/MLmodel does not say which Python the model was saved with")
    return str(version)


def _expand(model_path: Path, lines: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for line in lines:
        line = line.strip()
        if line.startswith(("-r ", "--requirement ")):
            included = model_path / line.split(None, 1)[1]
            if not included.is_file():
                raise ModelEnvironmentError(f"{model_path}: {line!r} names a file that does not exist")
            out.extend(_expand(model_path, included.read_text().splitlines()))
        elif line and not line.startswith("#"):
            out.append(line)
    return tuple(out)


def _yaml(path: Path) -> dict[str, Any]:
    try:
        return yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ModelEnvironmentError(f"{path} cannot be read: {exc}") from exc
