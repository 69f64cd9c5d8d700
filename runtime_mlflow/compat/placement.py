"""Where MLServer puts a model of this runtime: a worker of its own, or MLServer's main process.

With ``parallel_workers`` > 0 MLServer runs models in worker processes, by default all in
one shared pool: a model whose worker dies (a native crash, an OOM kill) takes the other
models of that pool with it until MLServer has restarted the worker (measured: about 7 s of
500s for a healthy model). So no two models of this runtime share a worker. The first one
MLServer loads goes to MLServer's default pool, whose workers start with the server and
would otherwise stay idle (about 170 MB each); every later one gets an inference pool of
its own (``inference_pool_gid`` = ``runtime_mlflow:<name>``). Models whose settings name an
``inference_pool_gid`` go where they say; models naming the same one share it, as in MLServer.

Models with an environment process of their own, and models that stream, load in MLServer's main process.

Their model process already isolates them, so MLServer's worker pool would only add a
second hop. In the main process the model's readiness is the one MLServer reports (a
worker's copy is not), so a model process that dies makes the model not ready, and the
runtime's custom endpoints stay reachable. MLServer's only switch for this is the
deprecated model-level ``parallel_workers: 0``; its deprecation warning is silenced for
the models this module places, since the user did not set it.

Streaming models go there too: MLServer's workers answer ``predict_stream`` with one
response made by ``predict``, so only the main process can stream chunk by chunk.
"""

from __future__ import annotations

import logging
import warnings

from mlserver.context import model_name_var
from mlserver.settings import ModelParameters, ModelSettings

WRITTEN_FOR = "mlserver 1.7.1"

_placed: set[str] = set()
_in_default_pool: str | None = None  # the model of this runtime that MLServer's default pool holds
_DEPRECATION = "DEPRECATED!! The `parallel_workers` setting at the model-level"


class _QuietPlacement(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (model_name_var.get("") in _placed and str(record.msg).startswith(_DEPRECATION))


_filter = _QuietPlacement()


def own_pool(settings: ModelSettings) -> None:
    """Give the model a worker no other model of this runtime uses, unless its settings name a pool:
    MLServer's default pool for the first model (and its later versions), a pool of its own after."""
    global _in_default_pool
    if settings.parameters is None:
        settings.parameters = ModelParameters()
    if settings.parameters.inference_pool_gid:
        return
    if _in_default_pool in (None, settings.name):
        _in_default_pool = settings.name
        return
    settings.parameters.inference_pool_gid = f"runtime_mlflow:{settings.name}"


def load_in_main_process(settings: ModelSettings) -> None:
    """Keep this model out of MLServer's worker pool (whatever ``parallel_workers`` is)."""
    _placed.add(settings.name)
    for name in ("mlserver", "mlserver.parallel"):  # the warning comes from mlserver.parallel
        logger = logging.getLogger(name)
        if _filter not in logger.filters:
            logger.addFilter(_filter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # pydantic flags the deprecated field
        settings.parallel_workers = 0
