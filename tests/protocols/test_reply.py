"""``protocols.reply``: the error shapes, and MLflow's scoring timeout read without MLflow."""

from __future__ import annotations

import json

import pytest
from mlflow.environment_variables import MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT

from runtime_mlflow.protocols.reply import scoring_error, scoring_timeout, seldon_error


@pytest.mark.parametrize("value", ["5", "120"])
def test_the_scoring_timeout_is_read_as_mlflow_reads_it(monkeypatch, value):
    monkeypatch.setenv("MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT", value)
    assert scoring_timeout() == (MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT.get(),
                                 f"MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT={value}")


def test_unset_the_models_request_timeout_applies(monkeypatch):
    monkeypatch.delenv("MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT", raising=False)
    assert scoring_timeout() == (None, None)


def test_error_shapes():
    assert json.loads(scoring_error(400, "BAD_REQUEST", "m").body) == {"error_code": "BAD_REQUEST", "message": "m"}
    reply = seldon_error(503, "down")
    assert reply.status == 503
    assert json.loads(reply.body)["status"] == {"status": 1, "info": "down", "code": -1,
                                                "reason": "MICROSERVICE_UNAVAILABLE"}
