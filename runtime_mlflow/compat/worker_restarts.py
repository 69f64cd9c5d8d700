"""While MLServer restarts a model's worker: 503 saying so, not a 500 about a coroutine.

When a worker process dies (an exit, a native crash, an OOM kill) MLServer 1.7.1 fails its
in-flight requests with ``WorkerStop`` (500, "Worker process stopped unexpectedly") and
starts a new worker. Until that worker has loaded the pool's models, the pool's
round-robin is empty, and a request fails with "coroutine raised StopIteration" (500).
:func:`install` makes both a :class:`~runtime_mlflow.errors.ModelUnavailable` (503; gRPC
UNAVAILABLE) naming the model and saying it is being restarted. Other failures are left as
they are.
"""

from __future__ import annotations

from typing import Any

import grpc
from mlserver.grpc import utils as grpc_utils
from mlserver.parallel import dispatcher
from mlserver.parallel.errors import WorkerStop

from ..errors import ModelUnavailable

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
