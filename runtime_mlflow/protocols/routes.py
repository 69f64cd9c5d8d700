"""The protocols' HTTP routes on MLServer's REST app, and the model each request is for.

Every path is served three ways::

    /invocations                                   the only MLflow model loaded
    /v2/models/<name>/invocations                  model <name> (its default version)
    /v2/models/<name>/versions/<version>/invocations

A root path names no model: with one MLflow model loaded it is that model's; with several
it answers 400 listing the per-model paths, never another model's answer. MLServer adds a
runtime's custom handlers at the root, the first model's for all, and loses them for models
it runs in an environment; so these routes are added by this module instead, once per app,
when MLServer loads the first model of this runtime (:mod:`..compat.loading`), and reach the model wherever it runs
(MLServer's main process, a worker, or a worker in MLServer's own environment).

The same hook puts :mod:`.v2`'s ``infer`` routes (orjson, one validation, errors as
``{"error": ...}``) and :mod:`.sse`'s ``infer_stream`` routes (a bad request answered with
its status instead of a 200 stream that breaks) before MLServer's own.
"""

from __future__ import annotations

import time
from typing import Any, Awaitable, Callable

from mlserver.errors import ModelNotFound
from mlserver.handlers import DataPlane
from mlserver.logging import logger
from mlserver.model import MLModel
from mlserver.registry import MultiModelRegistry
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from .. import lifecycle, metrics, unavailable
from ..compat.workers import call as call_in_worker
from ..errors import RuntimeMLflowError
from . import docs, sse, v2
from .body import TooLarge, max_bytes, read_body
from .reply import Reply
from .served import ProtocolRequest
from .table import KINDS, Kind

PREFIXES = ("", "/v2/models/{model_name}", "/v2/models/{model_name}/versions/{model_version}")

_INSTALLED = "_runtime_mlflow_routes"


def install(app: Any, data_plane: DataPlane, registry: MultiModelRegistry, arrays: bool,
            is_ours: Callable[[MLModel], bool]) -> None:
    """Add every protocol path to ``app``, and the infer and stream routes before MLServer's
    (once); ``registry``: MLServer's models; ``arrays``: see :func:`.v2_body.parse_request`;
    ``is_ours``: whether a loaded model is one of this runtime's (the routes answer only those)."""
    if getattr(app.state, _INSTALLED, False):
        return
    max_bytes()  # a malformed size limit fails the first load, naming the variable, not every request
    setattr(app.state, _INSTALLED, True)
    metrics.count_infer(data_plane)
    routes = Routes(registry, is_ours)
    theirs = {getattr(r, "path", None): r for r in app.router.routes}
    first: list[BaseRoute] = []
    for kind in KINDS:
        for prefix in PREFIXES:
            for path in kind.paths:
                app.router.routes.append(Route(prefix + path, routes.endpoint(kind), methods=[kind.method]))
            for path in kind.shared_with_mlserver:  # MLServer's per-model path: ours first, for our models
                route = Route(prefix + path, routes.endpoint(kind, theirs.get(prefix + path)), methods=[kind.method])
                (first if prefix else app.router.routes).append(route)
    app.router.routes[:0] = first
    app.router.routes.append(Route(docs.ASSETS, docs.asset, methods=["GET"]))
    infer, stream = v2.infer(data_plane, arrays), sse.infer_stream(data_plane, arrays)
    app.router.routes[:0] = [Route(prefix + path, handler, methods=["POST"])
                             for prefix in PREFIXES[1:]
                             for paths, handler in ((v2.PATHS, infer), (sse.PATHS, stream)) for path in paths]


class Routes:
    def __init__(self, registry: MultiModelRegistry, is_ours: Callable[[MLModel], bool]) -> None:
        self._registry, self._is_ours = registry, is_ours

    def endpoint(self, kind: Kind, theirs: BaseRoute | None = None) -> Callable[[Request], Awaitable[Response]]:
        """The endpoint for ``kind``; a model not of this runtime goes to ``theirs`` (MLServer's route)."""
        async def endpoint(request: Request) -> Response:
            known = None
            if theirs is not None:
                known = await self._named(request)
                if known is not None and not self._is_ours(known):
                    return _Handed(theirs)
            return await self.handle(kind, request, known)

        endpoint.__name__ = kind.name.replace(".", "_")
        return endpoint

    async def handle(self, kind: Kind, request: Request, known: MLModel | None = None) -> Response:
        """Answer ``kind``; ``known``: the model the path names, if already looked up."""
        started = time.perf_counter()
        response = await self._handle(kind, request, known)
        name = request.path_params.get("model_name") or getattr(request.state, "model_name", None)
        if name is not None and kind.counted is not None:
            metrics.request(name, request.path_params.get("model_version"), kind.counted,
                            response.status_code, time.perf_counter() - started)
        return response

    async def _named(self, request: Request) -> MLModel | None:
        """The model the path names, or None if there is none of that name (and version)."""
        try:
            return await self._registry.get_model(request.path_params["model_name"],
                                                  request.path_params.get("model_version"))
        except ModelNotFound:
            return None

    async def _handle(self, kind: Kind, request: Request, known: MLModel | None) -> Response:
        error = kind.protocol.error
        if kind.root_without_model and "model_name" not in request.path_params:
            return _local(kind, request, None)
        found = known if known is not None else await self._find(request, error)
        if isinstance(found, Reply):
            return _response(found)
        model = found
        request.state.model_name = model.name  # for the metrics of a root path
        if kind.needs_ready and not model.ready:
            reason = unavailable.reason(model.name, model.version) or f"model {model.name!r} is not ready yet"
            return _response(error(503, reason))
        if kind.local is not None:
            return _local(kind, request, model)
        try:
            body = await read_body(request)
        except TooLarge as exc:
            return _response(error(413, str(exc)))
        root = docs.root_of(request) if kind.links else "/"
        call = _call(model, kind.name, ProtocolRequest(body, request.headers.get("content-type"),
                                                       dict(request.query_params), root))
        try:
            reply = await call
        except RuntimeMLflowError as exc:  # refused, timed out, cut by the drain, down: in the protocol's shape
            return _response(error(exc.status_code, str(exc)))
        except Exception as exc:
            logger.exception("Model %r: %s failed", model.name, request.url.path)
            return _response(error(500, f"model {model.name!r} could not answer: {type(exc).__name__}: {exc}"))
        return _response(reply)

    async def _find(self, request: Request, error: Callable[[int, str], Reply]) -> MLModel | Reply:
        name = request.path_params.get("model_name")
        if name is not None:
            try:
                model = await self._registry.get_model(name, request.path_params.get("model_version"))
            except ModelNotFound as exc:
                return error(404, str(exc))
            if not self._is_ours(model):
                return error(404, f"model {name!r} is not an MLflow model served by runtime_mlflow")
            return model
        names = sorted({m.name for m in await self._registry.get_models() if self._is_ours(m)})
        path = request.url.path
        if not names:
            return error(404, f"no MLflow model is loaded to answer {path}")
        if len(names) > 1:
            suffix = path if not request.scope.get("root_path") else path[len(request.scope["root_path"]):]
            choices = ", ".join(f"/v2/models/{n}{suffix}" for n in names)
            return error(
                400, f"{len(names)} MLflow models are loaded ({', '.join(names)}), so {suffix} does not say "
                f"which one is meant; use one of {choices}",
            )
        return await self._registry.get_model(names[0])


def _local(kind: Kind, request: Request, model: MLModel | None) -> Response:
    """The answers the route makes itself (see :class:`.table.Kind`)."""
    if kind.local == "pong":
        return PlainTextResponse("pong")  # Seldon's liveness
    if kind.readiness and lifecycle.draining():
        return _response(kind.protocol.error(503, lifecycle.DRAINING))
    if kind.local == "ping":
        return Response("\n", 200, media_type="application/json")  # what MLflow answers
    assert model is not None
    if kind.local == "status":
        return _response(Reply.json(200, {"jsonData": {"name": model.name, "ready": True}, "meta": {}}))
    if kind.local == "page":
        return docs.page(request, model.name, request.path_params.get("model_version"))
    raise ValueError(f"no local answer {kind.local!r}")


async def _call(model: MLModel, kind: str, request: ProtocolRequest) -> Reply:
    reply: Reply = await call_in_worker(model, "answer_protocol", kind, request)
    return reply


def _response(reply: Reply) -> Response:
    return Response(reply.body, reply.status, media_type=reply.media_type)


class _Handed(Response):
    """The answer of another route (MLServer's), for a request that route should have had."""

    def __init__(self, route: BaseRoute) -> None:
        self._route = route

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self._route.handle(scope, receive, send)
