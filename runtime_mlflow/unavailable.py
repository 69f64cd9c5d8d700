"""While a model's process is down, answer its requests 503 (gRPC UNAVAILABLE) saying why.

MLServer checks readiness before a request reaches the runtime and answers a model that
is not ready with 400 "Model x is not ready yet.", as if the client had erred. For the
models whose process died this module makes that answer 503 with the reason; every
other not-ready model keeps MLServer's answer. Installed once, at the first load of a
model with its own process.
"""

from __future__ import annotations

import grpc
from mlserver.errors import MLServerError, ModelNotReady
from mlserver.grpc import utils as grpc_utils
from mlserver.handlers import dataplane

_down: dict[str, str] = {}


def mark_down(name: str, reason: str) -> None:
    _down[name] = reason


def reason(name: str) -> str | None:
    """Why ``name`` is down, if its process is."""
    return _down.get(name)


def mark_up(name: str) -> None:
    _down.pop(name, None)


class _ModelDown(ModelNotReady):
    def __init__(self, name: str, version: str | None = None):
        reason = _down.get(name)
        if reason is None:
            super().__init__(name, version)
        else:
            MLServerError.__init__(self, reason, status_code=503)


def install() -> None:
    dataplane.ModelNotReady = _ModelDown  # type: ignore[misc]
    grpc_utils.STATUS_CODE_MAPPING.setdefault(503, grpc.StatusCode.UNAVAILABLE)
