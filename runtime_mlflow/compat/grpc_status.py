"""The gRPC status of each of the runtime's errors.

MLServer 1.7.1 maps an ``MLServerError`` to a gRPC code by its HTTP status alone
(``mlserver.grpc.utils.STATUS_CODE_MAPPING``: 400, 404, 422 and 500; anything else UNKNOWN),
through ``_grpc_status_code``, which its servicers' error wrappers look up at every call.
:func:`install` maps 503 to UNAVAILABLE and 504 to DEADLINE_EXCEEDED, and lets an error name
its own code (``grpc_status``: :class:`runtime_mlflow.errors.Overloaded` is a 503 over HTTP
and RESOURCE_EXHAUSTED over gRPC).
"""

from __future__ import annotations

from typing import Any

import grpc
from mlserver.grpc import utils as grpc_utils

WRITTEN_FOR = "mlserver 1.7.1"

_HOOKED = "_runtime_mlflow_status"


def install() -> None:
    grpc_utils.STATUS_CODE_MAPPING.setdefault(503, grpc.StatusCode.UNAVAILABLE)
    grpc_utils.STATUS_CODE_MAPPING.setdefault(504, grpc.StatusCode.DEADLINE_EXCEEDED)
    original = grpc_utils._grpc_status_code
    if getattr(original, _HOOKED, False):
        return

    def status_code(err: Any) -> grpc.StatusCode:
        named = getattr(err, "grpc_status", None)
        if named is not None:
            code: grpc.StatusCode = getattr(grpc.StatusCode, named)
            return code
        mapped: grpc.StatusCode = original(err)
        return mapped

    setattr(status_code, _HOOKED, True)
    grpc_utils._grpc_status_code = status_code


def engaged() -> bool:
    """Whether :func:`install` is in effect."""
    return (getattr(grpc_utils._grpc_status_code, _HOOKED, False)
            and grpc_utils.STATUS_CODE_MAPPING.get(503) == grpc.StatusCode.UNAVAILABLE
            and grpc_utils.STATUS_CODE_MAPPING.get(504) == grpc.StatusCode.DEADLINE_EXCEEDED)
