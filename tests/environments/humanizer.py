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


class Counter(mlflow.pyfunc.PythonModel):
    """Streams ``humanize.intcomma(10**i)`` for i < n. With the ``gate`` param (a folder) it
    waits after chunk i until the client has created ``gate/i`` (gives up after 30 s)."""

    def predict(self, context, model_input, params=None):
        return [humanize.intcomma(10**i) for i in range(int(model_input["n"].iloc[0]))]

    def predict_stream(self, context, model_input, params=None):
        import os
        import time

        n = model_input["n"] if isinstance(model_input, dict) else model_input
        n = int(n.iloc[0] if hasattr(n, "iloc") else n)
        gate = (params or {}).get("gate")
        for i in range(n):
            yield humanize.intcomma(10**i)
            if gate:
                deadline = time.monotonic() + 30
                while not os.path.exists(os.path.join(gate, str(i))):
                    if time.monotonic() > deadline:
                        raise TimeoutError("chunk %d never reached the client" % i)
                    time.sleep(0.01)
