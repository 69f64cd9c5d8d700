"""Calling a pyfunc flavor's own predict function, past ``PyFuncModel.predict``.

``PyFuncModel.predict`` opens a prediction context (used by MLflow tracing), enforces the
input schema, enforces the params schema and calls the flavor's predict function. At batch
1 on the wine model the first two cost twice what the model does. For the flavors in
:data:`DIRECT_FLAVORS`, whose predict functions never read that context, the runtime calls
the function itself once it has proven that schema enforcement would leave the input as it
is (see :mod:`runtime_mlflow.lean`); params still go through MLflow's own enforcement.

A scikit-learn model that reads its input by position (see :mod:`runtime_mlflow.positional`)
is then given the proven frame's one block instead of the frame: the array scikit-learn
would make of the frame itself, without its checks of the frame. Its warning that the
array has no feature names is filtered out once such a model loads (the names were
checked at load).

:func:`enforce_schema` is MLflow's input schema enforcement on its own, for a model answered
by another method than ``predict``.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from typing import Any

from mlflow.models.utils import _enforce_params_schema, _enforce_schema
from mlflow.pyfunc import PyFuncModel
from mlflow.sklearn import _SklearnModelWrapper

from ..lean import ColumnsPlan, Proven
from ..positional import FEATURE_NAMES_WARNING, reads_by_position

WRITTEN_FOR = "mlflow 3.17"

DIRECT_FLAVORS = frozenset({"mlflow.sklearn"})
"""Loader modules whose pyfunc wrapper only forwards to the native model."""

DirectPredict = Callable[[Proven, "dict[str, Any] | None"], Any]


def enforce_schema(data: Any, schema: Any) -> Any:
    """``data`` as ``PyFuncModel.predict`` gives it to the flavor: after MLflow's input schema
    enforcement (used where another method than ``predict`` answers; see :mod:`runtime_mlflow.methods`)."""
    return _enforce_schema(data, schema)


def direct_predict(model: Any, plan: ColumnsPlan | None) -> DirectPredict | None:
    """The flavor's predict function with MLflow's params enforcement, or None where the
    model must go through ``PyFuncModel.predict``. ``plan``: the signature compiled for the
    lean path (None: no input is ever proven)."""
    if not isinstance(model, PyFuncModel) or model.loader_module not in DIRECT_FLAVORS:
        return None
    function = model._predict_fn  # private: the bound predict method of the flavor's wrapper
    params_schema = model.metadata.get_params_schema()
    accepted = inspect.signature(function).parameters.get("params")
    takes_params = accepted is not None and accepted.kind != inspect.Parameter.VAR_KEYWORD
    one_dtype = plan is not None and plan.one_dtype
    native = _native_method(model._model_impl, function) if one_dtype else None  # private: the flavor's wrapper
    if native is not None and not reads_by_position(native.__self__, plan.names):  # type: ignore[union-attr]
        native = None
    if native is not None and getattr(native.__self__, "feature_names_in_", None) is not None:
        warnings.filterwarnings("ignore", message=FEATURE_NAMES_WARNING, category=UserWarning)

    def predict(data: Proven, params: dict[str, Any] | None) -> Any:
        params = _enforce_params_schema(params, params_schema)
        if native is not None and data.array is not None:
            return native(data.array)
        return function(data.frame, params=params) if takes_params else function(data.frame)

    predict.native = native  # type: ignore[attr-defined]  # what one-dtype inputs are given to, if not None
    return predict


def _native_method(wrapper: Any, function: Any) -> Any:
    """The scikit-learn estimator's own bound method that ``function`` (MLflow's wrapper's
    ``predict``, or the estimator's method chosen by ``pyfunc_predict_fn``) calls."""
    estimator = getattr(wrapper, "sklearn_model", None)
    if estimator is None:
        return None
    if getattr(function, "__func__", None) is _SklearnModelWrapper.predict:
        return estimator.predict
    if getattr(function, "__self__", None) is estimator:
        return function
    return None
