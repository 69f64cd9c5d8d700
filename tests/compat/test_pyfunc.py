"""Contract of the MLflow internals behind ``runtime_mlflow.compat.pyfunc`` (written for
MLflow 3.17): if one of these fails after an MLflow upgrade, the seam needs a look."""

from __future__ import annotations

import inspect

import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.models.utils import _enforce_mlflow_datatype, _enforce_params_schema
from mlflow.pyfunc import PyFuncModel, _validate_prediction_input
from mlflow.types.schema import DataType

from runtime_mlflow.compat import pyfunc as seam


def test_pyfunc_predict_still_validates_then_calls_the_flavor_function():
    source = inspect.getsource(PyFuncModel._predict)
    assert "_validate_prediction_input" in source and "self._predict_fn(data, params=params)" in source
    assert "_enforce_schema" in inspect.getsource(_validate_prediction_input)
    assert callable(_enforce_params_schema)


def test_enforcement_leaves_a_column_of_the_exact_dtype_alone():
    for kind in (DataType.double, DataType.float, DataType.long, DataType.integer, DataType.boolean):
        values = pd.Series(np.zeros(3, dtype=kind.to_numpy()))
        assert _enforce_mlflow_datatype("x", values, kind) is values


def test_direct_predict_for_sklearn_only(model_dirs):
    wine = mlflow.pyfunc.load_model(str(model_dirs["wine"]))
    assert wine.loader_module == "mlflow.sklearn" and callable(wine._predict_fn)
    assert seam.direct_predict(wine, None) is not None
    assert seam.direct_predict(mlflow.pyfunc.load_model(str(model_dirs["scaler"])), None) is None


def test_mlflows_sklearn_wrapper_still_forwards_to_the_estimator():
    from mlflow.sklearn import _SklearnModelWrapper

    source = inspect.getsource(_SklearnModelWrapper)
    assert "self.sklearn_model = sklearn_model" in source
    assert "return self.sklearn_model.predict(data)" in inspect.getsource(_SklearnModelWrapper.predict)
    assert "setattr(self, predict_fn, fn)" in source  # pyfunc_predict_fn: the estimator's own bound method
