"""MLServer's start, stop and readiness, as :mod:`runtime_mlflow.lifecycle` needs them.

MLServer 1.7.1 installs its signal handlers (SIGINT, SIGTERM, SIGQUIT) in ``MLServer.__init__``
as ``create_task(self.stop(sig))``, and its ``stop`` closes the worker pools first, then
Kafka, gRPC (5 s grace) and REST (uvicorn, waiting for connections with no time limit): so
requests in flight got CancelledError 500s or no answer, and the process did not exit.
:func:`install` replaces, on the classes (the handlers look ``stop`` up when called):

* ``MLServer.stop`` with :func:`runtime_mlflow.lifecycle.drain`, over :class:`Parts`;
* ``MLServer.start``, to note the models found in the repository at start-up;
* ``DataPlane.ready`` and ``DataPlane.model_ready``: not ready while draining, nor before every
  start-up model has loaded;
* ``should_exit`` of MLServer's two uvicorn servers (REST, metrics): uvicorn 0.29+ takes
  SIGINT and SIGTERM itself while it serves (``capture_signals``; MLServer's
  ``_NoSignalServer`` overrides only the older ``install_signal_handlers``), so each server
  closed its listeners at the signal, and raised the signal again when it had stopped. A
  server now stops only when the drain closes it (:class:`Parts`); the loop's handlers,
  which the signal also reaches, start the drain.

It is installed when this runtime is imported: MLServer imports a model's implementation
while it reads the model settings, before it makes its server (with no start-up models, as
under Seldon Core 2, the first load imports it: ``stop`` and readiness are then installed in
time, and there is no start-up model to wait for). :func:`count_requests` puts
:class:`runtime_mlflow.lifecycle.Counted` around the REST app (Starlette's ``middleware_stack``,
which Starlette reads at every request, so it may be wrapped after the app has started).
"""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Any

from mlserver.handlers.dataplane import DataPlane
from mlserver.metrics import server as metrics_server
from mlserver.metrics.prometheus import stop_metrics
from mlserver.rest import server as rest_server
from mlserver.server import MLServer

from .. import lifecycle

WRITTEN_FOR = "mlserver 1.7.1"

_HOOKED = "_runtime_mlflow_lifecycle"
_COUNTED = "runtime_mlflow_counted"


def install() -> None:
    """Replace MLServer's stop, start and readiness (once)."""
    if engaged():
        return
    original_start = MLServer.start
    original_ready = DataPlane.ready
    original_model_ready = DataPlane.model_ready

    async def start(self: MLServer, models_settings: list[Any] = []) -> None:  # noqa: B006 (MLServer's signature)
        lifecycle.expect((settings.name, settings.version) for settings in models_settings)
        await original_start(self, models_settings)

    async def stop(self: MLServer, sig: int | None = None) -> None:
        await lifecycle.drain(Parts(self), sig)

    async def ready(self: DataPlane) -> bool:
        # private: the data plane's model registry
        return await original_ready(self) and lifecycle.ready(await self._model_registry.get_models())

    async def model_ready(self: DataPlane, name: str, version: str | None = None) -> bool:
        ready: bool = await original_model_ready(self, name, version)
        return ready and not lifecycle.draining()

    for owner, name, function in ((MLServer, "start", start), (MLServer, "stop", stop), (DataPlane, "ready", ready),
                                  (DataPlane, "model_ready", model_ready)):
        setattr(function, _HOOKED, True)
        setattr(owner, name, function)
    for server in _UVICORN:
        # a data descriptor on the class: it also governs the servers made (and serving) already
        server.should_exit = _ShouldExit()  # type: ignore[assignment]


_UVICORN = (rest_server._NoSignalServer, metrics_server._NoSignalServer)


class _ShouldExit:
    """uvicorn's ``should_exit``, true only once the drain has closed the server (:func:`_close`)."""

    def __get__(self, server: Any, owner: Any = None) -> Any:
        if server is None:
            return self
        return server.__dict__.get("_rmlf_closing", False) and server.__dict__.get("_rmlf_should_exit", False)

    def __set__(self, server: Any, value: bool) -> None:
        server.__dict__["_rmlf_should_exit"] = value


def _close(server: Any) -> None:
    """Close uvicorn's ``server`` (its listeners, then its connections as their answers end)."""
    server.__dict__["_rmlf_closing"] = True
    server.handle_exit(sig=signal.SIGTERM, frame=None)
    server._captured_signals.clear()  # the signal that began the drain is not raised again when it stops


def engaged() -> bool:
    """Whether :func:`install` is in effect."""
    return all(getattr(getattr(owner, name), _HOOKED, False)
               for owner, name in ((MLServer, "start"), (MLServer, "stop"), (DataPlane, "ready"),
                                   (DataPlane, "model_ready"))) and all(
        isinstance(server.__dict__.get("should_exit"), _ShouldExit) for server in _UVICORN)


def count_requests(app: Any) -> None:
    """Count ``app``'s HTTP requests in flight for the drain (once per app)."""
    if getattr(app.state, _COUNTED, False):
        return
    setattr(app.state, _COUNTED, True)
    # Starlette builds its middleware stack at the first request, and calls it at every one
    app.middleware_stack = lifecycle.Counted(app.middleware_stack or app.build_middleware_stack())


class Parts:
    """MLServer's servers as the drain closes them (private: MLServer's attributes for each)."""

    def __init__(self, server: MLServer) -> None:
        self._server = server

    async def close_listeners(self, grace: float) -> None:
        server = self._server
        closing = []
        if server._kafka_server:
            closing.append(server._kafka_server.stop())
        grpc = getattr(server._grpc_server, "_server", None)
        if grpc is not None:
            closing.append(grpc.stop(grace))
        rest = getattr(server._rest_server, "_server", None)  # uvicorn's Server, made when it started
        if rest is not None:
            rest.config.timeout_graceful_shutdown = grace
            _close(rest)
            closing.append(_closed(rest, grace + 0.5))
        await asyncio.gather(*closing, return_exceptions=True)
        metrics = getattr(server._metrics_server, "_server", None)
        if metrics is not None:
            await stop_metrics(server._settings, os.getpid())  # what MLServer's metrics stop does first
            _close(metrics)

    async def close_workers(self) -> None:
        if self._server._inference_pool_registry:
            await self._server._inference_pool_registry.close()


async def _closed(rest: Any, within: float) -> None:
    """Wait until uvicorn's ``rest`` has closed its sockets and connections (at most ``within`` s)."""
    loop = asyncio.get_running_loop()
    until = loop.time() + within
    while loop.time() < until:
        state = rest.server_state
        if not state.connections and not state.tasks and not any(s.is_serving() for s in rest.servers):
            return
        await asyncio.sleep(0.05)
