"""runtime_mlflow: an MLServer runtime serving MLflow pyfunc models over the V2 protocol."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from .version import __version__

__all__ = ["MLflowRuntime", "__version__"]


def _codecs_from_checkout() -> None:
    """Make ``runtime_mlflow.codecs`` importable from a source checkout.

    setup.py installs the top-level ``codecs/`` folder as ``runtime_mlflow.codecs``.
    When this package is imported from the checkout itself (``mlserver start .`` puts
    the folder on ``sys.path``), ``codecs/`` sits beside it instead of inside it.
    """
    here = Path(__file__).parent
    beside = here.parent / "codecs" / "__init__.py"
    name = f"{__name__}.codecs"
    if (here / "codecs").is_dir() or name in sys.modules or not beside.is_file():
        return
    spec = importlib.util.spec_from_file_location(name, beside, submodule_search_locations=[str(beside.parent)])
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


_codecs_from_checkout()


def __getattr__(name: str) -> Any:
    # Importing the runtime imports mlflow: only pay for it when it is asked for.
    if name == "MLflowRuntime":
        from .runtime import MLflowRuntime

        return MLflowRuntime
    raise AttributeError(f"module 'runtime_mlflow' has no attribute {name!r}")
