"""The ``method`` parameter: which method of the model answers (``predict_proba``, ``transform``, ...).

With ``predict`` (the default) a model is MLflow's pyfunc model, as always. With another
method the input still follows the signature, through the runtime's codecs and MLflow's
schema enforcement, and only the call changes: ``method`` of the flavor's native model
object (``PyFuncModel.get_raw_model()``: the scikit-learn estimator, the XGBoost, LightGBM
or CatBoost model, the statsmodels results, ...; a ``PythonModel`` itself).

A model saved without a ``python_function`` flavor (a scikit-learn ``PCA`` or
``StandardScaler`` has no ``predict``, so MLflow saves it without one) is loaded with the
first of its flavors that MLflow can load natively (``mlflow.<flavor>.load_model``).

:func:`describe` says what the method answers, for metadata: one FP64 output of shape
``[-1, k]`` for ``predict_proba`` and ``predict_log_proba`` of a k-class classifier (the
class labels under ``parameters.classes``), and the output width and names of
``transform`` where the model knows them. The same code runs in a model's own environment
(``hosting/payload/rmlf_methods.py``, loaded by ``rmlf_host.Hosted``), which reports
the description at load.
"""

from __future__ import annotations

from typing import Any

from mlserver.types import MetadataTensor, Parameters

from .hosting.payload.rmlf_methods import DEFAULT

__all__ = ["DEFAULT", "describe", "output_names"]


def describe(model: Any) -> list[MetadataTensor] | None:
    """The outputs ``model``'s method answers, where known; None for ``predict`` (the
    signature's outputs stay) and [] where the method's answer is not known in advance.
    ``model``: a loaded model with its ``method`` and what the method answers, ``described``
    (see :class:`runtime_mlflow.hosting.payload.rmlf_host.Hosted`)."""
    if model.method == DEFAULT:
        return None
    described = model.described
    if described is None:
        return []
    return [MetadataTensor(name=described["name"], datatype="FP64", shape=described["shape"],
                           parameters=Parameters(content_type="np", **described["parameters"]))]


def output_names(model: Any) -> list[str] | None:
    """Names of the columns of the method's answer (class labels, transformed features), if known."""
    for spec in describe(model) or []:
        extra = spec.parameters.model_extra if spec.parameters is not None else None
        for key in ("classes", "columns"):
            if extra and extra.get(key) is not None and len(spec.shape) == 2:
                return [str(v) for v in extra[key]]
    return None
