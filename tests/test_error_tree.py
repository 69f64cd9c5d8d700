"""runtime_mlflow.errors.model_failure: one decision for what a model raised, here or in its
own process (a RemoteError, described by class names)."""

from __future__ import annotations

import pytest
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INTERNAL_ERROR, INVALID_PARAMETER_VALUE

from runtime_mlflow.errors import (
    ModelInputError,
    ModelUnavailable,
    PredictionError,
    RemoteError,
    model_failure,
)


def remote(exc: BaseException) -> RemoteError:
    """``exc`` as a model process reports it."""
    return RemoteError({"type": type(exc).__name__, "mro": [f"{c.__module__}.{c.__qualname__}" for c in type(exc).__mro__],
                        "error_code": getattr(exc, "error_code", None), "message": getattr(exc, "message", str(exc))})


CASES = [
    (ValueError("bad column"), ModelInputError, "rejected the input: ValueError: bad column"),
    (KeyError("x"), ModelInputError, "rejected the input: KeyError"),
    (MlflowException("does not fit", INVALID_PARAMETER_VALUE), ModelInputError, "rejected the input: does not fit"),
    (MlflowException("broke", INTERNAL_ERROR), PredictionError, "failed while predicting: broke"),
    (RuntimeError("boom"), PredictionError, "failed while predicting: RuntimeError: boom"),
]


@pytest.mark.parametrize(("exc", "kind", "text"), CASES, ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else None)
@pytest.mark.parametrize("where", ["here", "model process"])
def test_the_same_decision_here_and_from_a_model_process(exc, kind, text, where):
    found = model_failure("m", exc if where == "here" else remote(exc))
    assert type(found) is kind and text in str(found) and "'m'" in str(found)


def test_an_error_of_the_runtime_stands():
    unavailable = ModelUnavailable("restarting")
    assert model_failure("m", unavailable) is unavailable
