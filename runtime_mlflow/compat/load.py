"""Loading a pyfunc model with MLflow's environment warnings after readiness, not before.

``mlflow.pyfunc.load_model`` first compares the model's ``requirements.txt`` with what is
installed, which maps every installed distribution to its modules: 0.45-0.65 s of a
2.5 s start on the wine model, depending on how many packages are installed, only to log
a warning. :func:`load_model` loads with ``suppress_warnings=True`` and gives the same two
warnings (requirements that do not match, another Python version) from a daemon thread
:data:`WARN_AFTER` seconds later, when the model is already answering.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import mlflow.pyfunc
from mlflow.models import Model
from mlflow.pyfunc import (
    FLAVOR_NAME,
    PY_VERSION,
    PyFuncModel,
    _get_pip_requirements_from_model_path,
    _warn_potentially_incompatible_py_version_if_necessary,
)
from mlflow.utils.requirements_utils import warn_dependency_requirement_mismatches

WRITTEN_FOR = "mlflow 3.17"

WARN_AFTER = 1.0

logger = logging.getLogger(__name__)


def load_model(path: Path) -> PyFuncModel:
    """``mlflow.pyfunc.load_model(path)``, its environment warnings logged a moment later."""
    model: PyFuncModel = mlflow.pyfunc.load_model(str(path), suppress_warnings=True)
    threading.Thread(target=_warn_later, args=(str(path),), name="runtime-mlflow-warnings", daemon=True).start()
    return model


def _warn_later(path: str) -> None:
    time.sleep(WARN_AFTER)
    try:
        warn(path)
    except Exception:  # a warning must never break serving
        logger.debug("Checking the environment of %s failed", path, exc_info=True)


def warn(path: str) -> None:
    """The warnings ``load_model(path)`` logs when its ``suppress_warnings`` is False."""
    warn_dependency_requirement_mismatches(_get_pip_requirements_from_model_path(path))
    conf = Model.load(path).flavors.get(FLAVOR_NAME) or {}
    _warn_potentially_incompatible_py_version_if_necessary(model_py_version=conf.get(PY_VERSION))
