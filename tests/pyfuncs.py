"""PythonModel classes the tests save and serve.

This module ships inside each model through ``code_paths`` (the seed's
``proprietary.py`` workflow), so a server process imports it from the model.
"""

from __future__ import annotations

import mlflow.pyfunc
import numpy as np
import pandas as pd


class Proprietary(mlflow.pyfunc.PythonModel):
    """Custom pre/post-processing: a DataFrame with a number and a string column."""

    def predict(self, context, model_input, params=None):
        total = model_input.sum(axis=1)
        return pd.DataFrame({"score": total * 2.0, "label": np.where(total > 10, "high", "low")})


class Shapes(mlflow.pyfunc.PythonModel):
    """Returns the output kind named by the ``kind`` param, computed from column ``x``."""

    def predict(self, context, model_input, params=None):
        x = model_input["x"].to_numpy()
        kind = (params or {}).get("kind", "series")
        if kind == "series":
            return pd.Series(x * 2, name="doubled")
        if kind == "numbers":
            return (x * 2).tolist()
        if kind == "strings":
            return [f"item-{v:g}" for v in x]
        if kind == "records":
            return [{"value": float(v), "label": f"v{v:g}"} for v in x]
        if kind == "dict":
            return {"doubled": x * 2, "negated": (-x).tolist()}
        if kind == "scalar":
            return float(x.sum())
        if kind == "matrix":
            return np.column_stack([x, x * 10])
        raise ValueError(f"unknown kind {kind!r}")


class Scaler(mlflow.pyfunc.PythonModel):
    """x * alpha + n; ``flag`` negates; params typed by the schema."""

    def predict(self, context, model_input, params=None):
        params = params or {}
        out = model_input["x"].to_numpy() * params["alpha"] + params["n"]
        return -out if params["flag"] else out


class Text(mlflow.pyfunc.PythonModel):
    """String columns in: the length and upper-case of ``text``, plus ``n``."""

    def predict(self, context, model_input, params=None):
        text = model_input["text"].astype(str)
        return pd.DataFrame({"length": text.str.len().astype("int64") + model_input["n"], "upper": text.str.upper()})


class TensorSum(mlflow.pyfunc.PythonModel):
    """Unnamed float32 tensor [-1, 3] -> row sums [-1, 1]."""

    def predict(self, context, model_input, params=None):
        return model_input.sum(axis=1, keepdims=True).astype(np.float32)


class NamedTensors(mlflow.pyfunc.PythonModel):
    """Named tensors a [-1, 2] and b [-1, 2] -> {"sum": a + b, "diff": a - b}."""

    def predict(self, context, model_input, params=None):
        return {"sum": model_input["a"] + model_input["b"], "diff": model_input["a"] - model_input["b"]}


class Picky(mlflow.pyfunc.PythonModel):
    """Raises ValueError for negative x (the client's fault) and RuntimeError at x == 13 (its own)."""

    def predict(self, context, model_input, params=None):
        x = model_input["x"].to_numpy()
        if (x < 0).any():
            raise ValueError("x must not be negative")
        if (x == 13).any():
            raise RuntimeError("unlucky number in the model's own code")
        return x


class Echo(mlflow.pyfunc.PythonModel):
    """No signature: answers what it was given, as the V2 response sees it."""

    def predict(self, context, model_input, params=None):
        return model_input


class Sleepy(mlflow.pyfunc.PythonModel):
    """Sleeps ``seconds`` (a column) before answering, to show the server stays responsive."""

    def predict(self, context, model_input, params=None):
        import time

        time.sleep(float(model_input["seconds"].iloc[0]))
        return model_input["seconds"].to_numpy()


class Countdown(mlflow.pyfunc.PythonModel):
    """Streams ``token-0`` .. ``token-{n-1}`` (``predict`` answers them all at once).

    With the ``gate`` param (a folder) it waits after chunk i until the client has created
    ``gate/i``: a server that held chunks back until the end would make it wait forever
    (it gives up after 30 s). ``fail_at`` raises ValueError instead of that chunk; ``pause``
    sleeps that many seconds before each chunk (a slow stream).
    MLflow hands ``predict_stream`` a single input: here the value of ``n``.
    """

    def predict(self, context, model_input, params=None):
        return [f"token-{i}" for i in range(int(model_input["n"].iloc[0]))]

    @staticmethod
    def _count(model_input):
        if isinstance(model_input, dict):
            model_input = model_input["n"]
        if hasattr(model_input, "iloc"):
            model_input = model_input.iloc[0]
        return int(model_input)

    def predict_stream(self, context, model_input, params=None):
        import os
        import time

        params = params or {}
        for i in range(self._count(model_input)):
            if i == params.get("fail_at", -1):
                raise ValueError(f"countdown was told to fail at chunk {i}")
            time.sleep(params.get("pause", 0.0))
            yield f"token-{i}"
            if params.get("gate"):
                deadline = time.monotonic() + 30
                while not os.path.exists(os.path.join(params["gate"], str(i))):
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"chunk {i} never reached the client")
                    time.sleep(0.01)


class BatchProbe(mlflow.pyfunc.PythonModel):
    """x * scale, and how many rows the model was given in this call (to see batching)."""

    def predict(self, context, model_input, params=None):
        scale = (params or {}).get("scale", 1.0)
        x = model_input["x"].to_numpy()
        return pd.DataFrame({"scaled": x * scale, "batch_rows": np.full(len(x), len(x), dtype=np.int64)})


class Whereabouts(mlflow.pyfunc.PythonModel):
    """x, and the pid of the process that answered."""

    def predict(self, context, model_input, params=None):
        import os

        x = model_input["x"].to_numpy()
        return pd.DataFrame({"x": x, "pid": np.full(len(x), os.getpid(), dtype=np.int64)})


class Crasher(mlflow.pyfunc.PythonModel):
    """Ends its own process when ``x`` is 666 (an exit), 11 (a segfault, a real native crash) or
    9 (SIGKILL, as the OOM killer, sent to the thread that predicts so it never returns); else
    echoes ``x``."""

    def predict(self, context, model_input, params=None):
        import ctypes
        import os
        import signal
        import threading

        x = model_input["x"].to_numpy()
        if (x == 666).any():
            os._exit(3)
        if (x == 11).any():
            ctypes.string_at(0)  # reads address 0: SIGSEGV in this thread
        if (x == 9).any():
            signal.pthread_kill(threading.get_ident(), signal.SIGKILL)
        return x


class CrashAtLoad(mlflow.pyfunc.PythonModel):
    """Crasher that also ends its process while loading whenever the file ``marker`` (model config) exists."""

    def load_context(self, context):
        import os

        if os.path.exists(context.model_config["marker"]):
            os._exit(4)

    def predict(self, context, model_input, params=None):
        import os

        x = model_input["x"].to_numpy()
        if (x == 666).any():
            os._exit(3)
        return x


class Upper(mlflow.pyfunc.PythonModel):
    """Type-hinted: MLflow infers the signature (a list of strings) from the hints."""

    def predict(self, model_input: list[str], params=None) -> list[str]:
        return [text.upper() for text in model_input]


try:
    import pydantic

    class Message(pydantic.BaseModel):
        role: str
        content: str

    class Chat(mlflow.pyfunc.PythonModel):
        """Pydantic-typed: each input element is a Message (sent as one JSON document)."""

        def predict(self, model_input: list[Message], params=None) -> list[str]:
            return [f"{m.role}: {m.content}" for m in model_input]
except ImportError:  # pragma: no cover - pydantic comes with MLflow
    pass


class Diary(mlflow.pyfunc.PythonModel):
    """Sleeps ``seconds``; first appends its ``tag`` to the file ``model_config["diary"]``, so a
    test can tell which requests the model started."""

    def predict(self, context, model_input, params=None):
        import time

        with open(context.model_config["diary"], "a") as diary:
            diary.write(f"{model_input['tag'].iloc[0]}\n")
        time.sleep(float(model_input["seconds"].iloc[0]))
        return model_input["seconds"].to_numpy()


class SlowLoad(mlflow.pyfunc.PythonModel):
    """Takes ``model_config["seconds"]`` to load; answers x."""

    def load_context(self, context):
        import time

        time.sleep(float(context.model_config["seconds"]))

    def predict(self, context, model_input, params=None):
        return model_input["x"].to_numpy()
