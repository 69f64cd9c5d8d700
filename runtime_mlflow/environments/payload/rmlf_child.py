"""The model process: loads one MLflow model with its environment's Python and answers frames.

Started by the server as::

    <env>/bin/python -I -c "<bootstrap>" <payload dir> --fd N --parent PID

It says hello first (its Python, numpy, pandas and MLflow versions, or why one of them
cannot be imported), then serves ``load`` (with a ``method`` other than ``predict``, it
answers what that method answers: see ``rmlf_methods``), ``predict``, ``stream`` and
``bye`` requests in order. A ``stream``
is answered by one ``chunk`` frame per item the model's ``predict_stream`` yields, then
``end`` (or ``error``, even after some chunks).
Anything the model prints goes to stderr, which the server logs; the socket carries
frames only. It exits when the server closes the socket or the server process dies.
This module runs on Python 3.9+ with MLflow 2.x or 3.x.
"""

from __future__ import annotations

import gc
import inspect
import os
import socket
import sys
import threading
import time
import traceback

import rmlf_frames as frames
import rmlf_methods as methods
import rmlf_wire as wire


def main(argv):
    fd = int(argv[argv.index("--fd") + 1])
    parent = int(argv[argv.index("--parent") + 1])
    sock = socket.socket(fileno=fd)
    # The socket is the protocol; a model that prints must not corrupt it.
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    _watch_parent(parent)
    channel = frames.Channel(sock)
    channel.send(_hello())
    model = None
    while True:
        try:
            header, buffers = channel.recv()
        except EOFError:
            return 0
        op = header.get("op")
        if op == "bye":
            return 0
        try:
            if op == "load":
                model, described = _load(header["uri"], header.get("method") or methods.DEFAULT)
                channel.send({"op": "loaded", "described": described})
            elif op == "predict":
                if model is None:
                    raise RuntimeError("predict before load")
                data = wire.decode(header["value"], buffers)
                tree, out = wire.encode(_predict(model, data, header.get("params")))
                channel.send({"op": "result", "value": tree}, out)
            elif op == "stream":
                if model is None:
                    raise RuntimeError("stream before load")
                data = wire.decode(header["value"], buffers)
                for item in _stream(model, data, header.get("params")):
                    tree, out = wire.encode(item)
                    channel.send({"op": "chunk", "value": tree}, out)
                channel.send({"op": "end"})
            else:
                raise RuntimeError("unknown request %r" % op)
        except Exception as exc:  # every failure is answered; the process keeps serving
            channel.send(_failure(exc))


def _hello():
    hello = {
        "op": "hello",
        "protocol": frames.PROTOCOL,
        "pid": os.getpid(),
        "python": list(sys.version_info[:3]),
        "executable": sys.executable,
        "prefix": sys.prefix,
        "path": list(sys.path),
        "versions": {},
        "missing": {},
    }
    for name in ("numpy", "pandas", "mlflow"):
        try:
            module = __import__(name)
            hello["versions"][name] = getattr(module, "__version__", "unknown")
        except Exception as exc:
            hello["missing"][name] = "%s: %s" % (type(exc).__name__, exc)
    return hello


def _load(uri, method):
    """The model answering with ``method``, and what that method answers (None: unknown, or predict)."""
    import mlflow.pyfunc
    from mlflow.models import Model

    metadata = Model.load(uri)
    flavors = metadata.flavors
    described = None
    if method == methods.DEFAULT and methods.PYFUNC in flavors:
        model = mlflow.pyfunc.load_model(uri)
    else:
        from mlflow.models.utils import _enforce_schema

        if methods.PYFUNC in flavors:
            raw = methods.raw_model(mlflow.pyfunc.load_model(uri))
        else:
            raw = methods.load_native(uri, flavors)
        methods.check(raw, method)
        model = methods.MethodModel(raw, method, metadata, _enforce_schema)
        described = methods.describe(raw, method)
    # This process lives for one model: freeze what loading made, so full collections
    # skip it (see runtime_mlflow/heap.py for why).
    gc.collect()
    gc.freeze()
    return model, described


def _predict(model, data, params):
    if params is None:
        return model.predict(data)
    if "params" not in inspect.signature(model.predict).parameters:  # MLflow < 2.6
        raise TypeError("this environment's MLflow (%s) does not accept params" % _mlflow_version())
    return model.predict(data, params=params)


def _stream(model, data, params):
    if params is None:
        return model.predict_stream(data)
    return model.predict_stream(data, params=params)


def _mlflow_version():
    import mlflow

    return mlflow.__version__


def _failure(exc):
    return {
        "op": "error",
        "type": type(exc).__name__,
        "mro": ["%s.%s" % (cls.__module__, cls.__qualname__) for cls in type(exc).__mro__],
        "message": getattr(exc, "message", None) or str(exc),
        "error_code": getattr(exc, "error_code", None),
        "traceback": traceback.format_exc(),
    }


def _watch_parent(parent):
    """Exit when the server dies, even while the model is busy (no orphans)."""

    def watch():
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(70)

    threading.Thread(target=watch, name="rmlf-parent-watch", daemon=True).start()
