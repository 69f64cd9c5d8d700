"""V2 ``infer_stream`` over REST (server-sent events), answering errors before the stream starts.

MLServer 1.7.1 starts its event stream (status 200) before the model has looked at the
request, so a bad request gets a 200 whose stream breaks. This route asks for the first
response first: an error there is answered as MLServer answers errors
(``{"error": ...}`` with its status); after it, each response is sent as the model yields
it, and an error mid-stream ends the stream with an ``{"error": ...}`` event. It serves
every model, whatever its runtime, through MLServer's data plane.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, AsyncIterator, Awaitable, Callable

from mlserver.errors import MLServerError
from mlserver.handlers import DataPlane
from mlserver.logging import logger
from mlserver.rest.responses import ServerSentEvent
from mlserver.types import InferenceRequest, InferenceResponse
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from .. import metrics
from .v2 import read

PATHS = ("/infer_stream", "/generate_stream")


def infer_stream(data_plane: DataPlane, arrays: bool) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        read_ = await read(request, arrays)
        if isinstance(read_, Response):
            return read_
        payload, name, version = read_
        started = time.perf_counter()
        stream = data_plane.infer_stream(_once(payload), name, version)
        # One task reads the whole stream: MLServer's data plane sets context variables
        # when the stream starts and resets them when it ends, in the same context.
        handoff: asyncio.Queue[tuple[str, Any]] = asyncio.Queue(maxsize=1)
        reader = asyncio.create_task(_read(stream, handoff))
        kind, first = await handoff.get()
        code = metrics.status_of(first) if kind == "error" else 200
        metrics.request(name, version, "v2_stream", code, time.perf_counter() - started)
        if kind == "error":
            raise first  # before the stream starts: MLServer's error handlers answer it
        return StreamingResponse(_events(kind, first, handoff, reader), media_type="text/event-stream")

    return endpoint


async def _once(payload: InferenceRequest) -> AsyncIterator[InferenceRequest]:
    yield payload


async def _read(stream: AsyncIterator[InferenceResponse], handoff: asyncio.Queue[Any]) -> None:
    try:
        async for response in stream:
            await handoff.put(("item", response))
        await handoff.put(("end", None))
    except Exception as exc:
        await handoff.put(("error", exc))


async def _events(kind: str, value: Any, handoff: asyncio.Queue[Any], reader: asyncio.Task[None]) -> AsyncIterator[bytes]:
    try:
        while kind == "item":
            yield ServerSentEvent(value).encode()
            kind, value = await handoff.get()
        if kind == "error":
            if not isinstance(value, MLServerError):
                logger.error("infer_stream failed after it started", exc_info=value)
            yield b"data: " + json.dumps({"error": str(value)}).encode() + b"\n\n"
    finally:
        if not reader.done():
            reader.cancel()
