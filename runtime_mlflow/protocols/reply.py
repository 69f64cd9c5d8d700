"""What a protocol answers: status, body and media type, plain enough to cross processes;
and the error shapes of MLflow's protocol and Seldon's.

This module imports no MLflow: the routes that use it run in MLServer's main process,
which does not import MLflow when its models run in workers.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

SCORING_TIMEOUT_VARIABLE = "MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT"

_SELDON_REASONS = {400: "MICROSERVICE_BAD_DATA", 404: "MICROSERVICE_NOT_FOUND", 413: "MICROSERVICE_BAD_DATA",
                   503: "MICROSERVICE_UNAVAILABLE", 504: "MICROSERVICE_TIMEOUT"}


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    media_type: str = "application/json"

    @classmethod
    def json(cls, status: int, value: Any) -> Reply:
        return cls(status, json.dumps(value, allow_nan=False).encode(), "application/json")


SCORING_TIMEOUT = Reply(504, b"Request processing time exceeded limit", "application/json")
"""MLflow's own answer when ``MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT`` runs out (kept as it is
when that variable is set; past the model's ``request_timeout`` the answer is an MLflow error
body naming the limit)."""


def scoring_error(status: int, error_code: str, message: str) -> Reply:
    """An error in MLflow's shape."""
    return Reply.json(status, {"error_code": error_code, "message": message})


def seldon_error(status: int, info: str) -> Reply:
    """An error in Seldon's shape (a SeldonMessage status)."""
    reason = _SELDON_REASONS.get(status, "MICROSERVICE_INTERNAL_ERROR")
    return Reply.json(status, {"status": {"status": 1, "info": info, "code": -1, "reason": reason}})


def scoring_timeout() -> tuple[float | None, str | None]:
    """``/invocations``' time limit when ``MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT`` is set (seconds,
    as MLflow reads it, without importing MLflow) and what to call it; ``(None, None)`` when it
    is not (the model's ``request_timeout`` applies)."""
    value = os.environ.get(SCORING_TIMEOUT_VARIABLE, "").strip()
    if not value:
        return None, None
    return float(int(value)), f"{SCORING_TIMEOUT_VARIABLE}={value}"
