"""``runtime-mlflow pack``: build a model's environment.tar.gz from its requirements, without conda.

The environment is built as ``environment: build`` builds it (a ``venv --copies`` of a
matching local Python, requirements installed by uv), packed by conda-pack into the
format the runtime unpacks, then proved: unpacked into a scratch cache, started as a
model process, the model loaded and, if it was saved with an input example, asked to
predict it. No MLServer is needed inside the archive.

The archive is relocatable (any folder, any cache) but, being a virtualenv, needs the
same base Python installation at the same path on the serving machine; a conda
environment packed with ``conda pack`` carries its own interpreter instead.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path
from typing import Any

from . import extras
from .environments import Choice, prepare
from .environments.build import interpreter_for, make, read_spec
from .hosting.payload.rmlf_proven import rows_of
from .hosting.process import ModelProcess
from .hosting.templates import template_for

logger = logging.getLogger("mlserver.runtime_mlflow")


def pack(model_dir: Path, output: Path | None = None, python: str | None = None,
         allow_local_python: bool = False, verify: bool = True, compress_level: int = 4) -> Path:
    """Write the model's environment archive (default ``MODEL_DIR/environment.tar.gz``) and return its path."""
    extras.need("build", "runtime-mlflow pack")
    import conda_pack

    model_dir = model_dir.resolve()
    spec = read_spec(model_dir)
    minor = python or spec.minor
    interpreter = interpreter_for(minor, allow_local_python, f"{model_dir} asks for Python {python or spec.python}",
                                  "pass --python or --allow-local-python")
    output = (output or model_dir / "environment.tar.gz").resolve()
    with tempfile.TemporaryDirectory(prefix="runtime-mlflow-pack-") as scratch:
        prefix = Path(scratch) / "env"
        make(prefix, interpreter, spec.requirements)
        (prefix / "conda-meta").mkdir()
        (prefix / "conda-meta" / "history").touch()  # what conda-pack looks for
        logger.info("Packing %s into %s", prefix, output)
        conda_pack.pack(prefix=str(prefix), output=str(output), force=True, compress_level=compress_level)
    if verify:
        prove(model_dir, output)
    return output


def prove(model_dir: Path, archive: Path) -> Any:
    """Load the model from ``archive`` as the runtime would; returns its answer to the input example, if any."""
    with tempfile.TemporaryDirectory(prefix="runtime-mlflow-proof-") as scratch:
        with prepare("pack", Choice("tarball", archive), model_dir, Path(scratch)) as env:
            return asyncio.run(_prove(model_dir, archive, env.path))


async def _prove(model_dir: Path, archive: Path, env: Path) -> Any:
    template = await template_for(env)
    try:
        process = await ModelProcess.start("'pack'", template, model_dir, lambda _: None)
        try:
            await process.load("pack", model_dir, "predict", None)
            example = _input_example(model_dir)
            if example is None:
                logger.info("Loaded %s from %s (no input example to predict)", model_dir.name, archive)
                return None
            answer = await process.predict("pack", example, None, rows_of(example))
            logger.info("Loaded %s from %s; its input example predicts %s", model_dir.name, archive, _summary(answer))
            return answer
        finally:
            await process.stop()
    finally:
        template.stop()


def _input_example(model_dir: Path) -> Any:
    from mlflow.models import Model

    try:
        return Model.load(str(model_dir)).load_input_example(str(model_dir))
    except Exception as exc:  # an unreadable example is not a reason to refuse the archive
        logger.warning("Could not read %s's input example: %s", model_dir, exc)
        return None


def _summary(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 300 else text[:300] + "..."
