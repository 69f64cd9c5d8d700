"""V2 ``infer`` over REST: the body parsed once (:mod:`.v2_body`), answered through
MLServer's data plane.

MLServer's own route parses the body with the standard library's ``json`` (2.4 times
orjson's time on a 10,000-row request), lets FastAPI validate it, and validates the response
again before serialising it; a body that is not a V2 request gets FastAPI's
``{"detail": [...]}``. This route does what that one does for the model (request headers
into ``parameters.headers``, :meth:`DataPlane.infer` with its metrics and batching, response
headers out of ``parameters.headers``) and answers errors in MLServer's ``{"error": ...}``
shape. It serves every model, whatever its runtime.
"""

from __future__ import annotations

from typing import Awaitable, Callable

from mlserver.errors import MLServerError
from mlserver.handlers import DataPlane
from mlserver.rest.responses import Response as JSONBytesResponse
from mlserver.types import InferenceRequest
from mlserver.utils import extract_headers, insert_headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import metrics
from .body import TooLarge, read_body
from .v2_body import NotARequest, parse_request

PATHS = ("/infer", "/generate")


async def read(request: Request, arrays: bool) -> tuple[InferenceRequest, str, str | None] | Response:
    """The V2 request in ``request``'s body (see :func:`.v2_body.parse_request` for
    ``arrays``), with its HTTP headers in ``parameters.headers`` (as MLServer's routes do),
    and the model name and version of the path; or the error to answer instead: 422 if
    the body is not a V2 request, 413 past the size limit (:mod:`.body`)."""
    try:
        payload = parse_request(await read_body(request), arrays)
    except NotARequest as exc:
        return error(422, str(exc))
    except TooLarge as exc:
        return error(413, str(exc))
    insert_headers(payload, dict(request.headers))
    return payload, request.path_params["model_name"], request.path_params.get("model_version")


def error(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status)


def infer(data_plane: DataPlane, arrays: bool) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        read_ = await read(request, arrays)
        if isinstance(read_, Response):
            return read_
        payload, name, version = read_
        try:
            with metrics.protocol("v2_rest"):
                response = await data_plane.infer(payload, name, version)
        except MLServerError as exc:
            return error(exc.status_code, str(exc))
        headers = extract_headers(response)
        return JSONBytesResponse(response.model_dump(), headers=headers)

    return endpoint
