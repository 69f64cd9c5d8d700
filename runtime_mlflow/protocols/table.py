"""The protocol table: every request kind the protocol routes serve, in one place.

Each :class:`Kind` says its protocol (which sets its error shape and its metrics label),
its paths and method, and who answers it:

* ``answer``: a ``"module.function"`` of this package that answers ``(Served,
  ProtocolRequest) -> Reply`` where the model lives (it may import MLflow there);
* ``local``: an answer made by the route in MLServer's main process, from the model alone.

:mod:`.routes` derives the HTTP routes from this table and :func:`..protocols.answer` the
dispatch in the model's process. This module imports no MLflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .reply import Reply, scoring_error, seldon_error

_SCORING_CODES = {400: "BAD_REQUEST", 404: "RESOURCE_DOES_NOT_EXIST", 413: "BAD_REQUEST", 503: "TEMPORARILY_UNAVAILABLE",
                  504: "DEADLINE_EXCEEDED"}


@dataclass(frozen=True)
class Protocol:
    name: str
    error: Callable[[int, str], Reply]
    """The protocol's error shape: ``(status, message) -> Reply``."""


SCORING = Protocol("scoring", lambda status, message: scoring_error(
    status, _SCORING_CODES.get(status, "INTERNAL_ERROR"), message))
SELDON = Protocol("seldon", seldon_error)
DOCS = Protocol("docs", lambda status, message: Reply.json(status, {"error": message}))


@dataclass(frozen=True)
class Kind:
    name: str
    protocol: Protocol
    paths: tuple[str, ...]
    method: str = "GET"
    answer: str | None = None
    """``module.function`` answering where the model lives; None: answered ``local``-ly."""
    local: str | None = None
    """What the route answers itself: ``pong`` (text), ``ping`` (MLflow's), ``status`` (Seldon's), ``page``."""
    needs_ready: bool = True
    readiness: bool = False
    """A readiness probe of its protocol: it fails (503) while the server drains."""
    counted: str | None = None
    """The ``protocol`` label it is counted under in ``runtime_mlflow_requests_total`` (the predictions)."""
    timed: bool = False
    """Bounded by MLflow's scoring timeout (``MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT``) when it is
    set, else by the model's ``request_timeout`` as every prediction is (:mod:`...admission`)."""
    root_without_model: bool = False
    """At the root, answered even with no model (Seldon's liveness)."""
    shared_with_mlserver: tuple[str, ...] = ()
    """Paths MLServer also serves per model: ours go first and hand other runtimes' models on."""
    links: bool = False
    """The answer links back to the server (the API docs): the request carries the server's root."""


KINDS: tuple[Kind, ...] = (
    Kind("invocations", SCORING, ("/invocations",), "POST", answer="scoring.invocations", counted="invocations",
         timed=True),
    Kind("ping", SCORING, ("/ping", "/health"), local="ping", readiness=True),
    Kind("version", SCORING, ("/version",), answer="scoring.version"),
    Kind("seldon.predict", SELDON, ("/api/v1.0/predictions", "/predict"), "POST", answer="seldon.predict",
         counted="seldon"),
    Kind("seldon.ping", SELDON, ("/health/ping",), local="pong", needs_ready=False, root_without_model=True),
    Kind("seldon.status", SELDON, ("/health/status",), local="status", readiness=True),
    Kind("seldon.metadata", SELDON, ("/api/v1.0/metadata",), answer="seldon.metadata"),
    Kind("openapi", DOCS, ("/openapi.json",), answer="openapi.reply", shared_with_mlserver=("/docs/dataplane.json",),
         links=True),
    Kind("docs", DOCS, (), local="page", needs_ready=False, shared_with_mlserver=("/docs",)),
)
BY_NAME = {kind.name: kind for kind in KINDS}
