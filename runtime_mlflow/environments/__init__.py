"""Which Python environment a model runs in, and getting that environment ready.

Three ways a model gets its own environment:

- ``environment.tar.gz`` (a conda-pack archive) in the model folder, found with no setting,
  or another archive named by the ``environment`` parameter: unpacked safely into the cache
  (:mod:`..infra.extract`, :mod:`..infra.cache`) and run in model processes of its own (:mod:`..hosting`)
  that needs MLflow and the model's dependencies, not MLServer.
- ``environment: build``: built with uv from the model's own requirements (``build``).
- MLServer's ``environment_tarball`` / ``environment_path``: MLServer itself runs this
  runtime in that environment (which must then contain runtime_mlflow); nothing to do here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mlserver.settings import ModelSettings

from ..compat.model_settings import settings_folder
from ..errors import ModelEnvironmentError, ModelLoadError
from ..hosting.interpreter import python_of
from ..infra import cache, extract
from ..infra.cache import logger
from ..infra.commands import run

TARBALL = "environment.tar.gz"


@dataclass(frozen=True)
class Choice:
    mode: str
    """``none`` (the server's Python), ``native`` (MLServer's environment_tarball), ``tarball`` or ``build``."""
    tarball: Path | None = None

    @property
    def own_process(self) -> bool:
        """Whether the runtime runs the model in a process of its own environment."""
        return self.mode in ("tarball", "build")


def choose(settings: ModelSettings, environment: str | None, model_path: Path | None) -> Choice:
    """The environment the settings ask for; ModelLoadError if a named archive does not exist.

    ``model_path`` is None for a remote model not downloaded yet: an archive inside it
    cannot be seen, so only an explicit ``environment`` counts.
    """
    params = settings.parameters
    if params is not None and (params.environment_tarball or params.environment_path):
        return Choice("native")
    if environment in (None, "auto"):
        if model_path is None:
            return Choice("none")
        found = model_path / TARBALL
        return Choice("tarball", found) if found.is_file() else Choice("none")
    if environment in ("none", "build"):
        return Choice(environment)
    path = Path(os.path.expanduser(environment))
    if not path.is_absolute():
        path = settings_folder(settings) / path
    if not path.is_file():
        raise ModelLoadError(f"model {settings.name!r}: parameter environment names {path}, which is not a file")
    return Choice("tarball", path)


def prepare(name: str, choice: Choice, model_path: Path, root: Path, allow_local_python: bool = False) -> cache.Entry:
    """A ready environment for ``choice``, held in use (blocking: may unpack or build)."""
    cache.check_writable(root)
    if choice.mode == "tarball":
        assert choice.tarball is not None
        tarball = choice.tarball
        key = cache.file_digest(root, tarball)
        return cache.materialize(root, key, lambda folder: unpack(tarball, folder), what=str(tarball), step="unpack")
    if choice.mode == "build":
        from .build import build

        return build(name, model_path, root, allow_local_python)
    raise ValueError(f"environment mode {choice.mode!r} has no prefix to prepare")


def unpack(tarball: Path, folder: Path) -> None:
    """Extract a conda-pack archive into ``folder`` and make it runnable there."""
    size = tarball.stat().st_size
    logger.info("Extracting %s (%.1f MB) into %s", tarball, size / 1e6, folder)
    members = extract.extract(tarball, folder)
    python = python_of(folder)
    if not python.exists():
        raise ModelEnvironmentError(
            f"{tarball} is not a packed Python environment: it has no bin/python ({members} members)"
        )
    unpacker = folder / "bin" / "conda-unpack"
    if unpacker.is_file():
        # -E -s rather than -I: conda-unpack imports a helper from its own folder
        run([python, "-E", "-s", unpacker], f"conda-unpack {tarball.name}", cwd=folder)
