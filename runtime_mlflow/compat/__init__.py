"""The seam to MLServer's private API, and to MLflow's: everything private this package
reads, calls or patches is here, and nowhere else, with one exception: MLflow's pyfunc
internals are in ``hosting/payload/rmlf_pyfunc.py``, because that code also runs in a model's
own environment, where this package is not installed (its contract test is
``tests/compat/test_pyfunc.py``).

Each module names the version it was written against (``WRITTEN_FOR``), and ``tests/compat``
checks that every private target still exists with the shape each module assumes and that
every patch is engaged, so a version bump fails there, in seconds, naming the seam.

Patches on MLServer, installed together by :func:`install` (once, when MLServer makes the
first model of this runtime, in its main process and in each worker):

* ``loading``: the hook in MLServer's main process when it loads a model (routes, batching,
  and ``default_pool``: MLServer's idle default worker pool closed until a model needs it);
* ``grpc_stream``: ``ModelStreamInfer`` answered in the message Triton's clients read;
* ``grpc_requests``: gRPC requests MLServer cannot read answered INVALID_ARGUMENT;
* ``worker_errors``: the runtime's errors in its own words across MLServer's workers (a
  model in MLServer's own ``environment_tarball`` runs in one);
* ``worker_restarts``: 503 while MLServer restarts such a worker;
* ``not_ready``: a model that is not ready answers 503 with the reason, not 400;
* ``grpc_status``: 503 UNAVAILABLE, 504 DEADLINE_EXCEEDED, an overloaded model RESOURCE_EXHAUSTED;
* ``lifecycle``: MLServer's ``stop`` replaced by the drain, ``start`` and readiness by what
  :mod:`runtime_mlflow.lifecycle` says (installed earlier too, when the runtime is imported:
  MLServer has made its server before it makes a model).

(``converters`` holds the wrapper both gRPC converter patches are made of.)

Private reads and calls, used where needed:

* ``placement``: a model kept in MLServer's main process (the deprecated model-level
  ``parallel_workers``);
* ``workers``: a method of a model in a worker called through ``ParallelModel._send``;
* ``model_settings``: the folder of a model's settings file (``ModelSettings._source``).
"""

from __future__ import annotations

from typing import Callable

from mlserver.model import MLModel

PATCHES = ("loading", "grpc_stream", "grpc_requests", "worker_errors", "worker_restarts", "not_ready", "grpc_status",
           "lifecycle")
"""The modules :func:`install` engages, in that order."""


def install(is_ours: Callable[[MLModel], bool]) -> None:
    """Install every patch on MLServer (each once); ``is_ours`` tells this runtime's models
    (the protocol routes answer only those)."""
    from . import grpc_requests, grpc_status, grpc_stream, lifecycle, loading, not_ready, worker_errors, worker_restarts

    loading.install(is_ours)
    grpc_stream.install()
    grpc_requests.install()
    worker_errors.install()
    worker_restarts.install()
    not_ready.install()
    grpc_status.install()
    lifecycle.install()


def engaged() -> dict[str, bool]:
    """Whether each patch is in effect, by module name."""
    from importlib import import_module

    return {name: import_module(f"{__name__}.{name}").engaged() for name in PATCHES}
