"""Another method than ``predict``: the native model, its methods, and what a method answers.

Shared by the server (:mod:`runtime_mlflow.methods`) and a model process (``rmlf_host``), so
it imports neither MLServer nor the runtime, and runs on Python 3.9+ with MLflow 2.x or 3.x.
"""

from __future__ import annotations

import importlib
import inspect

PYFUNC = "python_function"
DEFAULT = "predict"
USUAL = ("predict", "predict_proba", "predict_log_proba", "predict_joint_log_proba", "decision_function",
         "transform", "score_samples", "inverse_transform")
"""Methods named first when a model lacks the one asked for."""
_PROBABILITIES = ("predict_proba", "predict_log_proba", "predict_joint_log_proba")


class NoSuchMethod(AttributeError):
    """The model has no public method of that name."""


class NoLoadableFlavor(ImportError):
    """The model has no python_function flavor and no flavor MLflow can load natively."""


class MethodModel:
    """A loaded model answering with ``method``: ``predict(data, params)`` and ``metadata``,
    as a pyfunc model has them. ``enforce(data, schema)`` is MLflow's input schema enforcement."""

    def __init__(self, raw, method, metadata, enforce):
        self.raw, self.method, self.metadata = raw, method, metadata
        self._call = getattr(raw, method)
        self._schema = metadata.get_input_schema()
        self._enforce = enforce

    def predict(self, data, params=None):
        """``method`` on the input as MLflow's schema enforcement leaves it (params are not passed)."""
        if self._schema is not None:
            data = self._enforce(data, self._schema)
        return self._call(data)


def load(uri, method, load_pyfunc, enforce):
    """The model at ``uri`` answering with ``method``: the pyfunc model (loaded by
    ``load_pyfunc``) for ``predict`` when it has that flavor, else a :class:`MethodModel`
    (``enforce``: MLflow's input schema enforcement). NoSuchMethod names the methods the model
    has; NoLoadableFlavor says why no flavor can load it."""
    from mlflow.models import Model

    metadata = Model.load(str(uri))
    if PYFUNC in metadata.flavors:
        model = load_pyfunc(uri)
        if method == DEFAULT:
            return model
        raw = raw_model(model)
    else:
        raw = load_native(str(uri), metadata.flavors)
    check(raw, method)
    return MethodModel(raw, method, metadata, enforce)


def raw_model(pyfunc_model):
    """The flavor's native model object behind a pyfunc model (a PythonModel itself)."""
    try:
        return pyfunc_model.get_raw_model()
    except (NotImplementedError, AttributeError):
        pass
    return pyfunc_model.unwrap_python_model()


def load_native(uri, flavors):
    """The model loaded by the first of its flavors MLflow can load natively (NoLoadableFlavor if none)."""
    tried = []
    for flavor in flavors:
        if flavor == PYFUNC:
            continue
        try:
            module = importlib.import_module("mlflow.%s" % flavor)
        except ImportError:
            tried.append("%s (no module mlflow.%s)" % (flavor, flavor))
            continue
        if callable(getattr(module, "load_model", None)):
            return module.load_model(uri)
        tried.append("%s (mlflow.%s cannot load models)" % (flavor, flavor))
    raise NoLoadableFlavor("the model has no python_function flavor and no flavor MLflow can load natively (%s)"
                      % (", ".join(tried) or "none listed in MLmodel"))


def check(raw, method):
    """NoSuchMethod naming ``method`` and the public methods ``raw`` has, unless it has it."""
    if method.startswith("_") or not callable(_attribute(raw, method)):
        raise NoSuchMethod("no method %r (parameter method); %s has %s" % (
            method, type(raw).__name__, ", ".join(methods_of(raw)) or "no public methods"))


def methods_of(raw):
    """Public methods of ``raw``: the usual prediction methods first, then the rest."""
    public = [n for n in dir(raw) if not n.startswith("_") and callable(_attribute(raw, n))
              and not inspect.isclass(getattr(type(raw), n, None))]
    usual = [n for n in USUAL if n in public]
    return usual + sorted(n for n in public if n not in usual and not n.startswith(("fit", "set_", "get_")))


def describe(raw, method):
    """What ``method`` of ``raw`` answers, as ``{"name", "shape", "parameters"}``, or None if unknown."""
    classes = _attribute(raw, "classes_")
    labels = _listed(classes)
    if method in _PROBABILITIES and labels is not None:
        return {"name": method, "shape": [-1, len(labels)], "parameters": {"classes": labels}}
    if method == "decision_function" and labels is not None:
        return {"name": method, "shape": [-1] if len(labels) == 2 else [-1, len(labels)],
                "parameters": {"classes": labels}}
    if method == "transform":
        names = _feature_names_out(raw)
        if names is not None:
            return {"name": method, "shape": [-1, len(names)], "parameters": {"columns": names}}
        width = _attribute(raw, "n_components_")
        if isinstance(width, int) or type(width).__name__.startswith("int"):
            return {"name": method, "shape": [-1, int(width)], "parameters": {}}
    return None


def _attribute(raw, name):
    try:
        return getattr(raw, name, None)
    except Exception:  # a property that raises (e.g. an unfitted attribute)
        return None


def _listed(values):
    """A one-dimensional array-like as a list of the Python values JSON carries, else None."""
    if values is None or not hasattr(values, "__len__") or isinstance(values, (str, bytes, dict)):
        return None
    listed = values.tolist() if hasattr(values, "tolist") else list(values)
    if any(isinstance(v, (list, tuple)) for v in listed):
        return None
    return listed


def _feature_names_out(raw):
    names_out = getattr(raw, "get_feature_names_out", None)
    if not callable(names_out):
        return None
    try:
        return [str(n) for n in names_out()]
    except Exception:
        return None
