"""``compat.load``: MLflow's environment warnings come after the load, and are the same
warnings ``mlflow.pyfunc.load_model`` gives (contract written for MLflow 3.17)."""

from __future__ import annotations

import inspect
import logging
import shutil
import threading

import mlflow.pyfunc

from runtime_mlflow.compat import load


def test_mlflow_still_guards_both_warnings_with_suppress_warnings():
    source = inspect.getsource(mlflow.pyfunc.load_model)
    checks = source.index("if not suppress_warnings:")
    assert checks < source.index("warn_dependency_requirement_mismatches(model_requirements)")
    assert source.count("if not suppress_warnings:") == 2
    assert "_warn_potentially_incompatible_py_version_if_necessary(model_py_version=model_py_version)" in source


def _with_missing_requirement(model_dirs, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(model_dirs["wine"], model)
    with (model / "requirements.txt").open("a") as requirements:
        requirements.write("\nnot-a-real-package-for-runtime-mlflow==1.0\n")
    return model


def test_the_requirement_warning_comes_after_the_load(model_dirs, tmp_path, caplog, monkeypatch):
    model = _with_missing_requirement(model_dirs, tmp_path)
    monkeypatch.setattr(load, "WARN_AFTER", 0.0)
    with caplog.at_level(logging.WARNING):
        loaded = load.load_model(model)
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
        load.warn(str(model))
    ours = [r.getMessage() for r in caplog.records if "not-a-real-package" in r.getMessage()]
    assert theirs and ours == theirs
