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
(``environments/payload/rmlf_methods.py``), which reports the description at load.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlflow.models import Model
from mlserver.types import MetadataTensor, Parameters

from .compat import load as loading_model
from .compat.pyfunc import enforce_schema
from .environments.payload.rmlf_methods import (
    DEFAULT,
    PYFUNC,
    MethodModel,
    NoLoadableFlavor,
    NoSuchMethod,
    check,
    load_native,
    raw_model,
)
from .environments.payload.rmlf_methods import describe as describe_raw
from .errors import ModelLoadError

__all__ = ["DEFAULT", "MethodModel", "describe", "load", "output_names"]


def load(name: str, path: Path, method: str) -> Any:
    """The model at ``path`` answering with ``method``: MLflow's pyfunc model for ``predict``
    when it has that flavor, else a :class:`MethodModel`. ModelLoadError if the model has
    no such method, naming those it has."""
    metadata = Model.load(str(path))
    try:
        if PYFUNC in metadata.flavors:
            model = loading_model.load_model(path)
            if method == DEFAULT:
                return model
            raw = raw_model(model)
        else:
            raw = load_native(str(path), metadata.flavors)
        check(raw, method)
    except NoSuchMethod as exc:
        raise ModelLoadError(f"model {name!r} has {exc}") from None
    except NoLoadableFlavor as exc:
        raise ModelLoadError(f"model {name!r}: {exc}") from None
    return MethodModel(raw, method, metadata, enforce_schema)


def describe(model: Any) -> list[MetadataTensor] | None:
    """The outputs ``model``'s method answers, where known; None for ``predict`` (the
    signature's outputs stay) and [] where the method's answer is not known in advance.
    ``model`` is a :class:`MethodModel`, or a model in its own environment that reported
    ``method`` and its description at load."""
    method = getattr(model, "method", DEFAULT)
    if method == DEFAULT:
        return None
    described = describe_raw(model.raw, method) if isinstance(model, MethodModel) else model.described
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
