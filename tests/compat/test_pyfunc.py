"""Contract of the MLflow internals behind ``hosting/payload/rmlf_pyfunc.py`` (written for
MLflow 3.17): if one of these fails after an MLflow upgrade, the seam needs a look. The
module also runs in models' own environments, where it falls back to ``PyFuncModel.predict``
when a private part is missing."""

from __future__ import annotations

import inspect
import logging
import shutil
import threading

import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.models.utils import _enforce_mlflow_datatype, _enforce_params_schema
from mlflow.pyfunc import PyFuncModel, _validate_prediction_input
from mlflow.types.schema import DataType
from mlflow.utils import requirements_utils

from runtime_mlflow.hosting.payload import rmlf_pyfunc as seam


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
    assert seam.direct_predict(wine, None, False) is not None
    assert seam.direct_predict(mlflow.pyfunc.load_model(str(model_dirs["scaler"])), None, False) is None


def test_mlflows_sklearn_wrapper_still_forwards_to_the_estimator():
    from mlflow.sklearn import _SklearnModelWrapper

    source = inspect.getsource(_SklearnModelWrapper)
    assert "self.sklearn_model = sklearn_model" in source
    assert "return self.sklearn_model.predict(data)" in inspect.getsource(_SklearnModelWrapper.predict)
    assert "setattr(self, predict_fn, fn)" in source  # pyfunc_predict_fn: the estimator's own bound method


def test_mlflow_still_guards_both_warnings_with_suppress_warnings():
    source = inspect.getsource(mlflow.pyfunc.load_model)
    checks = source.index("if not suppress_warnings:")
    assert checks < source.index("warn_dependency_requirement_mismatches(model_requirements)")
    assert source.count("if not suppress_warnings:") == 2
    assert "_warn_potentially_incompatible_py_version_if_necessary(model_py_version=model_py_version)" in source


def test_prime_fills_the_map_the_requirement_warning_reads():
    assert "_init_packages_to_modules_map()" in inspect.getsource(requirements_utils._check_requirement_satisfied)
    seam.prime()
    assert requirements_utils._PACKAGES_TO_MODULES and requirements_utils._MODULES_TO_PACKAGES


def _with_missing_requirement(model_dirs, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(model_dirs["wine"], model)
    with (model / "requirements.txt").open("a") as requirements:
        requirements.write("\nnot-a-real-package-for-runtime-mlflow==1.0\n")
    return model


def test_the_requirement_warning_comes_after_the_load(model_dirs, tmp_path, caplog, monkeypatch):
    model = _with_missing_requirement(model_dirs, tmp_path)
    monkeypatch.setattr(seam, "WARN_AFTER", 0.0)
    with caplog.at_level(logging.WARNING):
        loaded = seam.load_model(model)
        assert loaded.metadata.signature is not None
        for thread in threading.enumerate():
            if thread.name == "runtime-mlflow-warnings":
                thread.join(30)
    assert "not-a-real-package-for-runtime-mlflow" in caplog.text


def test_warn_says_what_load_model_says(model_dirs, tmp_path, caplog):
    model = _with_missing_requirement(model_dirs, tmp_path)
    with caplog.at_level(logging.WARNING):
        mlflow.pyfunc.load_model(str(model))
    theirs = [r.getMessage() for r in caplog.records if "not-a-real-package" in r.getMessage()]
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        seam.warn(str(model))
    ours = [r.getMessage() for r in caplog.records if "not-a-real-package" in r.getMessage()]
    assert theirs and ours == theirs
