"""A model that is not ready answers 503 (gRPC UNAVAILABLE), saying why when it is known.

MLServer checks readiness before a request reaches the runtime and answers a model that
is not ready (loading, reloading, unloading, its process restarting) with 400 "Model x is
not ready yet.", as if the client had erred. This module makes that answer 503, which
clients and load balancers retry; for a model whose process or worker died, with the
reason given to :func:`mark_down`. Installed at import of the runtime.
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
        reason = _down.get(name) or (
            f"model {name!r}{f' version {version!r}' if version else ''} is not ready: it is being loaded, "
            "reloaded or unloaded; ask again shortly"
        )
        MLServerError.__init__(self, reason, status_code=503)


def install() -> None:
    dataplane.ModelNotReady = _ModelDown  # type: ignore[misc]
    grpc_utils.STATUS_CODE_MAPPING.setdefault(503, grpc.StatusCode.UNAVAILABLE)
