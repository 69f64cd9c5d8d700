"""The protocols of the servers our users leave, answered per model.

* :mod:`.scoring` -- MLflow's scoring protocol (``mlflow models serve``):
  ``POST /invocations``, ``GET /ping``, ``/health``, ``/version``.
* :mod:`.seldon` -- Seldon Core's protocol (its MLFLOW_SERVER): ``POST /api/v1.0/predictions``
  and ``/predict``, ``GET /health/ping``, ``/health/status``, ``/api/v1.0/metadata``.
* :mod:`.openapi` -- the model's own OpenAPI document (``GET /openapi.json``), and
  :mod:`.docs` its page (``GET /docs``), with Swagger UI served by the server itself.
* :mod:`.table` -- every request kind: its protocol, paths, method and who answers it.
* :mod:`.routes` -- adds those paths to MLServer's REST app, at the root and under
  ``/v2/models/<name>[/versions/<version>]``, and finds the model each request is for.

The protocol modules run where the model lives (MLServer's main process or one of its
workers) and answer a :class:`.reply.Reply`; the routes run in the main process, which
imports no MLflow when its models run in workers.
"""

from __future__ import annotations

import importlib

from . import table
from .reply import Reply
from .served import ProtocolRequest, Served

__all__ = ["ProtocolRequest", "Reply", "Served", "answer"]


def answer(served: Served, kind: str, request: ProtocolRequest) -> Reply:
    """Answer one protocol request for ``served`` (blocking: run it in a thread), with the
    function the protocol table names for ``kind`` (its module imports MLflow: only here,
    where the model lives)."""
    found = table.BY_NAME.get(kind)
    if found is None or found.answer is None:
        raise ValueError(f"unknown protocol request {kind!r}")
    module, _, function = found.answer.rpartition(".")
    handler = getattr(importlib.import_module(f"{__name__}.{module}"), function)
    reply: Reply = handler(served, request)
    return reply
