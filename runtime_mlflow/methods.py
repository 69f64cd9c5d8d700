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
``transform`` where the model knows them.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from typing import Any

import numpy as np
from mlflow.models import Model
from mlserver.types import MetadataTensor, Parameters

from .compat import load as loading_model
from .compat.pyfunc import enforce_schema
from .errors import ModelLoadError

DEFAULT = "predict"
USUAL = ("predict", "predict_proba", "predict_log_proba", "predict_joint_log_proba", "decision_function",
         "transform", "score_samples", "inverse_transform")
"""Methods named first when a model lacks the one asked for."""
_PROBABILITIES = ("predict_proba", "predict_log_proba", "predict_joint_log_proba")
PYFUNC = "python_function"


class MethodModel:
    """A loaded model answering with ``method``; what the runtime needs of a pyfunc model
    (``predict(data, params)`` and ``metadata``)."""

    def __init__(self, raw: Any, method: str, metadata: Model) -> None:
        self.raw, self.method, self.metadata = raw, method, metadata
        self._call = getattr(raw, method)
        self._schema = metadata.get_input_schema()

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """``method`` on the input as MLflow's schema enforcement leaves it (params are not passed)."""
        if self._schema is not None:
            data = enforce_schema(data, self._schema)
        return self._call(data)


def load(name: str, path: Path, method: str) -> Any:
    """The model at ``path`` answering with ``method``: MLflow's pyfunc model for ``predict``
    when it has that flavor, else a :class:`MethodModel`. ModelLoadError if the model has
    no such method, naming those it has."""
    metadata = Model.load(str(path))
    if PYFUNC in metadata.flavors:
        model = loading_model.load_model(path)
        if method == DEFAULT:
            return model
        raw = _raw(name, model)
    else:
        raw = _load_native(name, path, metadata)
    if not callable(getattr(raw, method, None)) or method.startswith("_"):
        raise ModelLoadError(
            f"model {name!r} has no method {method!r} (parameter method); {type(raw).__name__} has "
            f"{', '.join(methods_of(raw)) or 'no public methods'}"
        )
    return MethodModel(raw, method, metadata)


def _raw(name: str, model: Any) -> Any:
    """The flavor's native model object behind a pyfunc model."""
    try:
        return model.get_raw_model()
    except NotImplementedError:
        pass
    try:
        return model.unwrap_python_model()
    except Exception as exc:
        raise ModelLoadError(
            f"model {name!r}: its flavor ({model.loader_module}) gives no native model whose methods could be "
            f"called (parameter method): {exc}"
        ) from None


def _load_native(name: str, path: Path, metadata: Model) -> Any:
    """The model loaded by the first of its flavors MLflow can load natively."""
    tried = []
    for flavor in metadata.flavors:
        try:
            module = importlib.import_module(f"mlflow.{flavor}")
        except ImportError:
            tried.append(f"{flavor} (no module mlflow.{flavor})")
            continue
        if callable(getattr(module, "load_model", None)):
            try:
                return module.load_model(str(path))
            except Exception as exc:
                raise ModelLoadError(f"model {name!r} could not be loaded with mlflow.{flavor}: "
                                     f"{type(exc).__name__}: {exc}") from exc
        tried.append(f"{flavor} (mlflow.{flavor} cannot load models)")
    raise ModelLoadError(f"model {name!r} has no python_function flavor and no flavor MLflow can load natively "
                         f"({', '.join(tried) or 'none listed in MLmodel'})")


def methods_of(raw: Any) -> list[str]:
    """Public methods of ``raw``: the usual prediction methods first, then the rest."""
    public = [n for n in dir(raw) if not n.startswith("_") and _callable(raw, n) and not inspect.isclass(
        getattr(type(raw), n, None))]
    usual = [n for n in USUAL if n in public]
    return usual + sorted(n for n in public if n not in usual and not n.startswith(("fit", "set_", "get_")))


def _callable(raw: Any, name: str) -> bool:
    try:
        return callable(getattr(raw, name))
    except Exception:  # a property that raises (e.g. an unfitted attribute)
        return False


def describe(model: Any) -> list[MetadataTensor] | None:
    """The outputs ``model``'s method answers, where known; None for ``predict`` (the
    signature's outputs stay) and [] where the method's answer is not known in advance."""
    if not isinstance(model, MethodModel):
        return None
    raw, method = model.raw, model.method
    classes = _attribute(raw, "classes_")
    if method in _PROBABILITIES and classes is not None and np.ndim(classes) == 1:
        return [_tensor(method, [-1, len(classes)], classes=_plain(classes))]
    if method == "decision_function" and classes is not None and np.ndim(classes) == 1:
        shape = [-1] if len(classes) == 2 else [-1, len(classes)]
        return [_tensor(method, shape, classes=_plain(classes))]
    if method == "transform":
        names = _feature_names_out(raw)
        if names is not None:
            return [_tensor(method, [-1, len(names)], columns=names)]
        width = _attribute(raw, "n_components_")
        if isinstance(width, (int, np.integer)):
            return [_tensor(method, [-1, int(width)])]
    return []


def output_names(model: Any) -> list[str] | None:
    """Names of the columns of the method's answer (class labels, transformed features), if known."""
    for spec in describe(model) or []:
        extra = spec.parameters.model_extra if spec.parameters is not None else None
        for key in ("classes", "columns"):
            if extra and extra.get(key) is not None and len(spec.shape) == 2:
                return [str(v) for v in extra[key]]
    return None


def _tensor(name: str, shape: list[int], **parameters: Any) -> MetadataTensor:
    return MetadataTensor(name=name, datatype="FP64", shape=shape,
                          parameters=Parameters(content_type="np", **parameters))


def _attribute(raw: Any, name: str) -> Any:
    try:
        return getattr(raw, name, None)
    except Exception:
        return None


def _feature_names_out(raw: Any) -> list[str] | None:
    names_out = getattr(raw, "get_feature_names_out", None)
    if not callable(names_out):
        return None
    try:
        return [str(n) for n in names_out()]
    except Exception:
        return None


def _plain(values: Any) -> list[Any]:
    return np.asarray(values).tolist()  # numpy scalars as the Python values JSON carries
