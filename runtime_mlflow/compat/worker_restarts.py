"""While MLServer restarts a model's worker: not ready, 503 saying so, then ready again.

When a worker process dies (an exit, a native crash, an OOM kill) MLServer 1.7.1 fails its
in-flight requests with ``WorkerStop`` (500, "Worker process stopped unexpectedly") and
starts a new worker. Until that worker has loaded the pool's models, the pool's
round-robin is empty, and a request fails with "coroutine raised StopIteration" (500),
while the models still say they are ready. :func:`install` makes both failures a
:class:`~runtime_mlflow.errors.ModelUnavailable` (503; gRPC UNAVAILABLE) naming the model
and saying it is being restarted. It also marks the pool's models not ready from the
worker's death until the new worker has loaded them, with the reason (see
:mod:`runtime_mlflow.unavailable`), and logs each restart with its count and duration.
Other failures are left as they are.
"""

from __future__ import annotations

import logging
import time
import weakref
from typing import Any

import grpc
from mlserver.grpc import utils as grpc_utils
from mlserver.parallel import dispatcher, pool
from mlserver.parallel.errors import WorkerStop

from .. import unavailable
from ..errors import ModelUnavailable

logger = logging.getLogger("mlserver.runtime_mlflow")

WRITTEN_FOR = "mlserver 1.7.1"

_HOOKED = "_runtime_mlflow_restarts"


class _NoWorker(Exception):
    """The pool has no worker ready (every one stopped; a new one is loading the models)."""


def install() -> None:
    """Wrap ``Dispatcher._get_worker`` and ``Dispatcher.dispatch_request`` (once)."""
    Dispatcher = dispatcher.Dispatcher
    if getattr(Dispatcher.dispatch_request, _HOOKED, False):
        return
    get_worker, dispatch_request = Dispatcher._get_worker, Dispatcher.dispatch_request

    def _get_worker(self: Any) -> Any:
        try:
            return get_worker(self)
        except StopIteration:  # the round-robin over ready workers is empty
            raise _NoWorker() from None

    async def _dispatch_request(self: Any, request_message: Any) -> Any:
        try:
            return await dispatch_request(self, request_message)
        except _NoWorker:
            raise ModelUnavailable(
                f"model {request_message.model_name!r} is being restarted: its worker process stopped "
                "and a new one is loading it; ask again in a few seconds"
            ) from None
        except WorkerStop as exc:
            raise ModelUnavailable(
                f"model {request_message.model_name!r} stopped while answering ({exc}); "
                "MLServer is restarting it; ask again in a few seconds"
            ) from None

    setattr(_dispatch_request, _HOOKED, True)
    _get_worker.__wrapped__ = get_worker  # type: ignore[attr-defined]
    Dispatcher._get_worker = _get_worker  # type: ignore[method-assign]
    Dispatcher.dispatch_request = _dispatch_request  # type: ignore[method-assign]
    grpc_utils.STATUS_CODE_MAPPING.setdefault(503, grpc.StatusCode.UNAVAILABLE)
    _track_readiness()


def _track_readiness() -> None:
    """Wrap ``InferencePool.load_model``, ``reload_model`` and ``on_worker_stop``."""
    Pool = pool.InferencePool
    load_model, reload_model, on_worker_stop = Pool.load_model, Pool.reload_model, Pool.on_worker_stop
    unavailable.install()  # a model marked down answers 503 with its reason

    def _models(self: Any) -> weakref.WeakSet:
        return self.__dict__.setdefault("_runtime_mlflow_models", weakref.WeakSet())

    async def _load_model(self: Any, model: Any) -> Any:
        loaded = await load_model(self, model)
        _models(self).add(loaded)
        return loaded

    async def _reload_model(self: Any, old_model: Any, new_model: Any) -> Any:
        loaded = await reload_model(self, old_model, new_model)
        _models(self).add(loaded)
        return loaded

    async def _on_worker_stop(self: Any, pid: int, exit_code: int) -> None:
        if pid not in self._workers:
            return await on_worker_stop(self, pid, exit_code)
        models = [m for m in _models(self) if m.ready]
        restarts = self.__dict__["_runtime_mlflow_restarts"] = self.__dict__.get("_runtime_mlflow_restarts", 0) + 1
        for model in models:
            model.ready = False
            unavailable.mark_down(model.name, f"model {model.name!r} is being restarted: its worker process stopped "
                                              f"(exit code {exit_code}); ask again in a few seconds")
        started = time.monotonic()
        await on_worker_stop(self, pid, exit_code)  # MLServer starts a worker and loads the pool's models
        for model in models:
            model.ready = True
            unavailable.mark_up(model.name)
        logger.warning("Restart %d of the worker of %s (models: %s) took %.1f s; ready again", restarts, self.name,
                       ", ".join(sorted(m.name for m in models)) or "none", time.monotonic() - started)

    _on_worker_stop.__wrapped__ = on_worker_stop  # type: ignore[attr-defined]
    Pool.load_model, Pool.reload_model = _load_model, _reload_model  # type: ignore[method-assign]
    Pool.on_worker_stop = _on_worker_stop  # type: ignore[method-assign]
