"""MLflow's pyfunc internals this runtime uses, in one place.

It runs wherever a model runs: in the server (``parallel_workers: 0``), in a model process
forked from the server's template, and in a model's own environment, whose MLflow may be
2.x. So it imports MLflow only inside its functions, and where a private part is not
there, or not of the shape it was written for (``WRITTEN_FOR``), it falls back to MLflow's
public ``PyFuncModel.predict``. ``tests/compat/test_pyfunc.py`` checks the shapes against the
server's MLflow.

* :func:`load_model`: ``mlflow.pyfunc.load_model`` with its environment warnings a moment
  after the load rather than before it: comparing the model's ``requirements.txt`` with what
  is installed maps every installed distribution to its modules, 0.45-2.2 s of a model's
  load, only to log a warning. :func:`prime` computes that map ahead (in a template, whose
  model processes inherit it).
* :func:`direct_predict`: the flavor's own predict function, past ``PyFuncModel.predict``.
  That opens a prediction context (used by MLflow tracing), enforces the input schema,
  enforces the params schema and calls the flavor's predict function; at batch 1 on the wine
  model the first two cost twice what the model does. For the flavors in
  :data:`DIRECT_FLAVORS`, whose predict functions never read that context, a proven input
  (``rmlf_proven``) goes straight to the function; params still go through MLflow's own
  enforcement. A scikit-learn model that reads its input by position (``rmlf_positional``)
  is given the proven block itself instead of the frame.
* :func:`enforce_schema`: MLflow's input schema enforcement on its own (another method
  than ``predict``).
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
import warnings

try:  # as runtime_mlflow.hosting.payload.rmlf_pyfunc, in the server
    from .rmlf_positional import FEATURE_NAMES_WARNING, reads_by_position
except ImportError:  # as rmlf_pyfunc, in a model's process, with this folder on sys.path
    from rmlf_positional import FEATURE_NAMES_WARNING, reads_by_position

WRITTEN_FOR = "mlflow 3.17"

DIRECT_FLAVORS = frozenset({"mlflow.sklearn"})
"""Loader modules whose pyfunc wrapper only forwards to the native model."""

WARN_AFTER = 1.0
"""Seconds after a load before its environment warnings are logged."""

logger = logging.getLogger("mlserver.runtime_mlflow")


def load_model(path):
    """``mlflow.pyfunc.load_model(path)``, its environment warnings logged a moment later."""
    import mlflow.pyfunc

    model = mlflow.pyfunc.load_model(str(path), suppress_warnings=True)
    threading.Thread(target=_warn_later, args=(str(path),), name="runtime-mlflow-warnings", daemon=True).start()
    return model


def _warn_later(path):
    time.sleep(WARN_AFTER)
    try:
        warn(path)
    except Exception:  # a warning must never break serving
        logger.debug("Checking the environment of %s failed", path, exc_info=True)


def warn(path):
    """The warnings ``load_model(path)`` logs when its ``suppress_warnings`` is False."""
    from mlflow.models import Model
    from mlflow.pyfunc import (
        FLAVOR_NAME,
        PY_VERSION,
        _get_pip_requirements_from_model_path,
        _warn_potentially_incompatible_py_version_if_necessary,
    )
    from mlflow.utils.requirements_utils import warn_dependency_requirement_mismatches

    warn_dependency_requirement_mismatches(_get_pip_requirements_from_model_path(path))
    conf = Model.load(path).flavors.get(FLAVOR_NAME) or {}
    _warn_potentially_incompatible_py_version_if_necessary(model_py_version=conf.get(PY_VERSION))


def prime():
    """Map the installed distributions to their modules now, as the requirement warnings will."""
    try:
        from mlflow.utils.requirements_utils import _init_packages_to_modules_map
    except ImportError:
        return
    _init_packages_to_modules_map()


def enforce_schema(data, schema):
    """``data`` as ``PyFuncModel.predict`` gives it to the flavor: after MLflow's input schema enforcement."""
    from mlflow.models.utils import _enforce_schema

    return _enforce_schema(data, schema)


def direct_predict(model, names, one_dtype):
    """``predict(proven, params)`` calling the flavor's function with MLflow's params
    enforcement, or None where the model must go through ``PyFuncModel.predict``.

    ``names``/``one_dtype``: the signature's column names (None: by position) and whether
    its columns share one dtype, as the server's proof compiled them.
    """
    from mlflow.pyfunc import PyFuncModel

    if not isinstance(model, PyFuncModel) or getattr(model, "loader_module", None) not in DIRECT_FLAVORS:
        return None
    function = getattr(model, "_predict_fn", None)  # private: the bound predict method of the flavor's wrapper
    if function is None:
        return None
    try:
        from mlflow.models.utils import _enforce_params_schema
    except ImportError:
        return None
    params_schema = model.metadata.get_params_schema()
    accepted = inspect.signature(function).parameters.get("params")
    takes_params = accepted is not None and accepted.kind != inspect.Parameter.VAR_KEYWORD
    native = _native_method(getattr(model, "_model_impl", None), function) if one_dtype else None  # private
    if native is not None and not reads_by_position(native.__self__, names):
        native = None
    if native is not None and getattr(native.__self__, "feature_names_in_", None) is not None:
        warnings.filterwarnings("ignore", message=FEATURE_NAMES_WARNING, category=UserWarning)

    def predict(data, params):
        params = _enforce_params_schema(params, params_schema)
        if native is not None and data.block is not None:
            return native(data.block)
        return function(data.frame(), params=params) if takes_params else function(data.frame())

    predict.native = native  # what one-dtype inputs are given to, if not None
    return predict


def _native_method(wrapper, function):
    """The scikit-learn estimator's own bound method that ``function`` (MLflow's wrapper's
    ``predict``, or the estimator's method chosen by ``pyfunc_predict_fn``) calls."""
    estimator = getattr(wrapper, "sklearn_model", None)
    if estimator is None:
        return None
    try:
        from mlflow.sklearn import _SklearnModelWrapper
    except ImportError:
        return None
    if getattr(function, "__func__", None) is _SklearnModelWrapper.predict:
        return estimator.predict
    if getattr(function, "__self__", None) is estimator:
        return function
    return None
