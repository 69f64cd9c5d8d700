"""``protocols.scoring``: MLflow's scoring code answers, and the runtime's 503 survives it."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from runtime_mlflow.errors import ModelUnavailable, PredictionError, raised_during
from runtime_mlflow.protocols import Reply, scoring
from runtime_mlflow.protocols.served import ProtocolRequest, Served


class _Metadata:
    def get_input_schema(self):
        return None

    def get_output_schema(self):
        return None

    def get_params_schema(self):
        return None


class _Model:
    metadata = _Metadata()

    def __init__(self, raises: BaseException | None = None) -> None:
        self._raises = raises

    def predict(self, data, params=None):
        if self._raises is not None:
            raise self._raises
        return np.asarray(data).sum(axis=1)


def _reply(model: _Model, request: ProtocolRequest) -> Reply:
    served = Served(name="m", version=None, model=model, predict=model.predict, xtype=None, mlflow_version="3")
    return scoring.invocations(served, request)


def _answer(model: _Model) -> tuple[int, dict]:
    reply = _reply(model, ProtocolRequest(body=b'{"inputs": [[1, 2], [3, 4]]}', content_type="application/json"))
    return reply.status, json.loads(reply.body)


def test_a_prediction():
    assert _answer(_Model()) == (200, {"predictions": [3, 7]})


def test_a_model_that_is_down_is_a_503_although_mlflow_rewraps_it():
    status, body = _answer(_Model(ModelUnavailable("model 'm' is being restarted")))
    assert status == 503 and body["error_code"] == "TEMPORARILY_UNAVAILABLE"
    assert "being restarted" in body["message"] and "stack_trace" not in body


def test_other_failures_keep_mlflows_answer():
    status, body = _answer(_Model(PredictionError("boom")))
    assert status >= 400 and body["error_code"] != "TEMPORARILY_UNAVAILABLE"


def test_a_parquet_body_without_pyarrow_is_a_415_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if not installed (see tests/test_extras.py)
    reply = _reply(_Model(AssertionError("a body that cannot be read reached the model")),
                   ProtocolRequest(b"PAR1", "application/vnd.apache.parquet; charset=utf-8"))
    assert reply.status == 415 and reply.media_type == "text/plain"
    assert b"pip install 'runtime-mlflow[parquet]'" in reply.body and b"pyarrow" in reply.body


@pytest.mark.parametrize("link", ["cause", "context"])
def test_raised_during_follows_causes_and_contexts(link):
    inner = ModelUnavailable("down")
    outer = RuntimeError("wrapped")
    setattr(outer, f"__{link}__", inner)
    assert raised_during(outer, ModelUnavailable) is inner
    assert raised_during(RuntimeError("alone"), ModelUnavailable) is None
    loop = RuntimeError("loop")
    loop.__context__ = loop
    assert raised_during(loop, ModelUnavailable) is None
