"""Calling a pyfunc flavor's own predict function, past ``PyFuncModel.predict``.

``PyFuncModel.predict`` opens a prediction context (used by MLflow tracing), enforces the
input schema, enforces the params schema and calls the flavor's predict function. At batch
1 on the wine model the first two cost twice what the model does. For the flavors in
:data:`DIRECT_FLAVORS`, whose predict functions never read that context, the runtime calls
the function itself once it has proven that schema enforcement would leave the input as it
is (see :mod:`runtime_mlflow.lean`); params still go through MLflow's own enforcement.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from mlflow.models.utils import _enforce_params_schema
from mlflow.pyfunc import PyFuncModel

WRITTEN_FOR = "mlflow 3.17"

DIRECT_FLAVORS = frozenset({"mlflow.sklearn"})
"""Loader modules whose pyfunc wrapper only forwards to the native model."""

DirectPredict = Callable[[Any, "dict[str, Any] | None"], Any]


def direct_predict(model: Any) -> DirectPredict | None:
    """The flavor's predict function with MLflow's params enforcement, or None where the
    model must go through ``PyFuncModel.predict``."""
    if not isinstance(model, PyFuncModel) or model.loader_module not in DIRECT_FLAVORS:
        return None
    function = model._predict_fn  # private: the bound predict method of the flavor's wrapper
    params_schema = model.metadata.get_params_schema()
    accepted = inspect.signature(function).parameters.get("params")
    takes_params = accepted is not None and accepted.kind != inspect.Parameter.VAR_KEYWORD

    def predict(data: Any, params: dict[str, Any] | None) -> Any:
        params = _enforce_params_schema(params, params_schema)
        return function(data, params=params) if takes_params else function(data)

    return predict
