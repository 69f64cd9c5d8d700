"""One model as it is served where it lives: loaded with its method, predicting what arrives.

The same class serves a model in the server's own process (``parallel_workers: 0``) and in
a model process (``rmlf_child``), so the lean path (``rmlf_proven``, ``rmlf_pyfunc``) is
the same in both. This module runs on Python 3.9+ with MLflow 2.x or 3.x.
"""

from __future__ import annotations

import importlib
import inspect

try:  # as runtime_mlflow.hosting.payload.rmlf_host, in the server
    from . import rmlf_methods as methods
    from . import rmlf_pyfunc as pyfunc
    from .rmlf_proven import Proven
except ImportError:  # as rmlf_host, in a model's process, with this folder on sys.path
    import rmlf_methods as methods
    import rmlf_pyfunc as pyfunc
    from rmlf_proven import Proven

LIBRARIES = {"sklearn": ("sklearn", "skops.io"), "xgboost": ("xgboost",), "lightgbm": ("lightgbm",),
             "catboost": ("catboost",), "statsmodels": ("statsmodels.api",), "prophet": ("prophet",)}
"""Flavor -> the libraries loading such a model imports (a template imports them once for all)."""


class Hosted:
    """A loaded model answering with ``method``.

    ``lean``: ``{"names": [...] or None, "one_dtype": bool}`` when the server proves inputs
    for this model's signature (see ``runtime_mlflow.lean``), else None.
    """

    def __init__(self, uri, method=methods.DEFAULT, lean=None):
        self.uri, self.method = str(uri), method
        self.model = methods.load(self.uri, method, pyfunc.load_model, pyfunc.enforce_schema)
        self.described = methods.describe(self.model.raw, method) if method != methods.DEFAULT else None
        """What ``method`` answers (``{"name", "shape", "parameters"}``), or None: predict, or unknown."""
        self.direct = None
        if method == methods.DEFAULT and lean is not None:
            self.direct = pyfunc.direct_predict(self.model, lean.get("names"), lean.get("one_dtype", False))
        self._takes_params = "params" in inspect.signature(self.model.predict).parameters  # MLflow < 2.6 has none

    @property
    def metadata(self):
        return self.model.metadata

    def predict(self, value, params=None):
        """The model's answer for ``value`` (a :class:`Proven` goes the lean way where it can)."""
        if isinstance(value, Proven):
            if self.direct is not None:
                return self.direct(value, params)
            value = value.frame()
        if params is None:
            return self.model.predict(value)
        if not self._takes_params:
            raise TypeError("this environment's MLflow (%s) does not accept params" % _mlflow_version())
        return self.model.predict(value, params=params)

    def stream(self, value, params=None):
        """The model's ``predict_stream`` for ``value``: an iterator of chunks."""
        if isinstance(value, Proven):
            value = value.frame()
        if params is None:
            return self.model.predict_stream(value)
        return self.model.predict_stream(value, params=params)


def warm_modules(uri):
    """The modules loading the model at ``uri`` imports: its flavors' MLflow modules and libraries."""
    from mlflow.models import Model

    flavors = Model.load(str(uri)).flavors
    found = []
    loader = (flavors.get(methods.PYFUNC) or {}).get("loader_module")
    if loader:
        found.append(loader)
    for flavor in flavors:
        if flavor != methods.PYFUNC:
            found.append("mlflow.%s" % flavor)
            found.extend(LIBRARIES.get(flavor, ()))
    return found


def warm(modules):
    """Import ``modules`` (those that cannot be imported are skipped: the model's load will say why)."""
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:
            pass


def _mlflow_version():
    import mlflow

    return mlflow.__version__
