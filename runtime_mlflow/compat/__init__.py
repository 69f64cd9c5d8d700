"""The seam to MLflow's and MLServer's private API: everything private this package reads,
calls or patches is here, and nowhere else.

Each module names the version it was written against (``WRITTEN_FOR``), and ``tests/compat``
checks that every private target still exists with the shape each module assumes and that
every patch is engaged, so a version bump fails there, in seconds, naming the seam.

Patches on MLServer, installed together by :func:`install` (once, when MLServer makes the
first model of this runtime, in its main process and in each worker):

* ``loading``: the hook in MLServer's main process when it loads a model (routes, batching);
* ``grpc_stream``: ``ModelStreamInfer`` answered in the message Triton's clients read;
* ``grpc_requests``: gRPC requests MLServer cannot read answered INVALID_ARGUMENT;
* ``worker_errors``: the runtime's errors in its own words across MLServer's workers;
* ``worker_restarts``: 503 while MLServer restarts a model's worker;
* ``pool_unload``: unloading a pool's last model closes that pool, not the default one;
* ``not_ready``: a model that is not ready answers 503 with the reason, not 400.

(``converters`` holds the wrapper both gRPC converter patches are made of.)

Private reads and calls, used where needed:

* ``placement``: a worker of its own per model, or MLServer's main process (the deprecated
  model-level ``parallel_workers``);
* ``workers``: a method of a model in a worker called through ``ParallelModel._send``;
* ``model_settings``: the folder of a model's settings file (``ModelSettings._source``);
* ``pyfunc``: a flavor's predict function called past ``PyFuncModel.predict`` (MLflow);
* ``load``: MLflow's environment warnings after the load (MLflow).
"""

from __future__ import annotations

from typing import Callable

from mlserver.model import MLModel

PATCHES = ("loading", "grpc_stream", "grpc_requests", "worker_errors", "worker_restarts", "pool_unload", "not_ready")
"""The modules :func:`install` engages, in that order."""


def install(is_ours: Callable[[MLModel], bool]) -> None:
    """Install every patch on MLServer (each once); ``is_ours`` tells this runtime's models
    (the protocol routes answer only those)."""
    from . import grpc_requests, grpc_stream, loading, not_ready, pool_unload, worker_errors, worker_restarts

    loading.install(is_ours)
    grpc_stream.install()
    grpc_requests.install()
    worker_errors.install()
    worker_restarts.install()
    pool_unload.install()
    not_ready.install()


def engaged() -> dict[str, bool]:
    """Whether each patch is in effect, by module name."""
    from importlib import import_module

    return {name: import_module(f"{__name__}.{name}").engaged() for name in PATCHES}
