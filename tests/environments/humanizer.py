"""Model code shipped with code_paths; imports ``humanize``, which only the packed environment has."""

import importlib.util
import sys

import humanize
import mlflow.pyfunc
import pandas as pd


class Humanized(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        numbers = model_input.iloc[:, 0].tolist()
        return pd.DataFrame({
            "text": [humanize.intcomma(int(n)) for n in numbers],
            "python": [sys.executable] * len(numbers),
            "server_packages_visible": [importlib.util.find_spec("mlserver") is not None] * len(numbers),
        })


class Echo(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        if params and params.get("fail") == "value":
            raise ValueError("echo was told to fail")
        if params and params.get("fail") == "crash":
            raise RuntimeError("echo crashed on purpose")
        return model_input
