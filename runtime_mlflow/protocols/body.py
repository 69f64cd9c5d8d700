"""A request's body, read up to a limit: an oversized body is refused before it is buffered.

The limit is ``RUNTIME_MLFLOW_MAX_REQUEST_BYTES`` (bytes; :data:`DEFAULT_MAX_BYTES`, 100 MiB,
when unset), for every route of this runtime: V2 ``infer`` and ``infer_stream``, MLflow's
``/invocations`` and Seldon's. A ``Content-Length`` above it is refused before anything is
read; a body without one (chunked) is counted as it arrives and refused as soon as it
passes the limit. Either way the route answers 413 in its protocol's error shape. gRPC has
its own limit, MLServer's ``grpc_max_message_length`` (gRPC's default: 4 MiB).
"""

from __future__ import annotations

import os

from starlette.requests import Request

VARIABLE = "RUNTIME_MLFLOW_MAX_REQUEST_BYTES"
DEFAULT_MAX_BYTES = 100 * 1024 * 1024


class TooLarge(Exception):
    """The body is larger than the limit; the message says both sizes and how to change it."""


def max_bytes() -> int:
    value = os.environ.get(VARIABLE, "").strip()
    if not value:
        return DEFAULT_MAX_BYTES
    try:
        limit = int(value)
    except ValueError:
        raise ValueError(f"{VARIABLE} must be a number of bytes; it is {value!r}") from None
    if limit <= 0:
        raise ValueError(f"{VARIABLE} must be a positive number of bytes; it is {value!r}")
    return limit


async def read_body(request: Request) -> bytes:
    """The body of ``request``; raises TooLarge past :func:`max_bytes`."""
    limit = max_bytes()
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(_message(f"{int(declared)} bytes", limit))
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(_message(f"more than {limit} bytes", limit))
        chunks.append(chunk)
    return b"".join(chunks)


def _message(arrived: str, limit: int) -> str:
    return (f"the request body is {arrived}; this server takes at most {limit} bytes "
            f"(set {VARIABLE} to change it)")
