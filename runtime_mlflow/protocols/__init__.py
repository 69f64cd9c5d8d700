"""The protocols of the servers our users leave, answered per model.

* :mod:`.scoring` -- MLflow's scoring protocol (``mlflow models serve``):
  ``POST /invocations``, ``GET /ping``, ``/health``, ``/version``.
* :mod:`.seldon` -- Seldon Core's protocol (its MLFLOW_SERVER): ``POST /api/v1.0/predictions``
  and ``/predict``, ``GET /health/ping``, ``/health/status``, ``/api/v1.0/metadata``.
* :mod:`.openapi` -- the model's own OpenAPI document (``GET /openapi.json``), and
  :mod:`.docs` its page (``GET /docs``), with Swagger UI served by the server itself.
* :mod:`.routes` -- adds those paths to MLServer's REST app, at the root and under
  ``/v2/models/<name>[/versions/<version>]``, and finds the model each request is for.

The protocol modules run where the model lives (MLServer's main process or one of its
workers) and answer a :class:`.reply.Reply`; the routes run in the main process, which
imports no MLflow when its models run in workers.
"""

from __future__ import annotations

from .reply import Reply
from .served import ProtocolRequest, Served

__all__ = ["ProtocolRequest", "Reply", "Served", "answer"]


def answer(served: Served, kind: str, request: ProtocolRequest) -> Reply:
    """Answer one protocol request for ``served`` (blocking: run it in a thread)."""
    from . import openapi, scoring, seldon  # they import MLflow: only where the model lives

    if kind == "openapi":
        return Reply.json(200, openapi.for_model(served, request.root))
    if kind == "invocations":
        return scoring.invocations(served, request)
    if kind == "version":
        return Reply(200, served.mlflow_version.encode(), "application/json")
    if kind == "seldon.predict":
        return seldon.predict(served, request)
    if kind == "seldon.metadata":
        return seldon.metadata(served)
    raise ValueError(f"unknown protocol request {kind!r}")
