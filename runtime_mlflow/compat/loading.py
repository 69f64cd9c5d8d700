"""What this runtime does in MLServer's main process when MLServer loads one of its models.

MLServer 1.7.1 has no public hook for a runtime in its main process (the runtime itself may
live in a worker). Its model registry calls ``RESTServer.add_custom_handlers`` for every
model it loads, in the main process and before ``load_batching``; :func:`install` wraps that
method (once) so that, for a model of this runtime, it first adds the protocol routes to the
app (and counts its requests for the drain: :mod:`.lifecycle`), then takes adaptive batching
over from MLServer (see :mod:`runtime_mlflow.batching`), closes MLServer's default pool while
no model needs it (:mod:`.default_pool`), then freezes the main process's heap (see :mod:`runtime_mlflow.heap`). It also keeps the
server's settings, which MLServer gives no model: :func:`server_settings`.
"""

from __future__ import annotations

from typing import Callable

from mlserver.model import MLModel
from mlserver.rest.server import RESTServer
from mlserver.settings import Settings

WRITTEN_FOR = "mlserver 1.7.1"

_HOOKED = "_runtime_mlflow_routes"
_server: Settings | None = None


def server_settings() -> Settings | None:
    """The settings of the MLServer server in this process, once it has begun loading a model
    of this runtime (None before, and where MLServer's server is not running)."""
    return _server


def install(is_ours: Callable[[MLModel], bool]) -> None:
    """Wrap ``RESTServer.add_custom_handlers`` (once); ``is_ours`` tells this runtime's models."""
    original = RESTServer.add_custom_handlers
    if getattr(original, _HOOKED, False):
        return

    async def add_custom_handlers(self: RESTServer, model: MLModel) -> MLModel:
        from .. import heap
        from ..batching import take_over
        from ..protocols import routes
        from . import default_pool, lifecycle

        global _server
        if is_ours(model):
            _server = self._settings
            # private: the FastAPI app, its data plane, the data plane's model registry and the server's settings
            data_plane = self._data_plane
            routes.install(self._app, data_plane, data_plane._model_registry, not self._settings.cache_enabled, is_ours)
            lifecycle.count_requests(self._app)
            default_pool.make_lazy(data_plane._model_registry)
            take_over(model)
            heap.settle()
        return await original(self, model)

    setattr(add_custom_handlers, _HOOKED, True)
    RESTServer.add_custom_handlers = add_custom_handlers  # type: ignore[method-assign]


def engaged() -> bool:
    """Whether :func:`install` is in effect."""
    return getattr(RESTServer.add_custom_handlers, _HOOKED, False)
