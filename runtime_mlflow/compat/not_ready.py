"""A model that is not ready answers 503 (gRPC UNAVAILABLE), saying why when it is known.

MLServer checks readiness before a request reaches the runtime and answers a model that
is not ready (loading, reloading, unloading, its process restarting) with 400 "Model x is
not ready yet.", as if the client had erred. :func:`install` rebinds the exception
``DataPlane`` raises to one that is a 503 with the reason :mod:`..unavailable` holds
(:mod:`.grpc_status` maps 503 to gRPC UNAVAILABLE).
"""

from __future__ import annotations

from mlserver.errors import MLServerError, ModelNotReady
from mlserver.handlers import dataplane

from .. import unavailable

WRITTEN_FOR = "mlserver 1.7.1"


class ModelDown(ModelNotReady):
    """MLServer's ModelNotReady, as a 503 naming the model and why it is down."""

    def __init__(self, name: str, version: str | None = None):
        reason = unavailable.reason(name, version) or (
            f"model {name!r}{f' version {version!r}' if version else ''} is not ready: it is being loaded, "
            "reloaded or unloaded; ask again shortly"
        )
        MLServerError.__init__(self, reason, status_code=503)


def install() -> None:
    dataplane.ModelNotReady = ModelDown  # type: ignore[misc]


def engaged() -> bool:
    """Whether :func:`install` is in effect."""
    return dataplane.ModelNotReady is ModelDown
