"""The server's life as Kubernetes sees it: starting, serving, draining.

* **Starting**: not ready (``/v2/health/ready``, gRPC ``ServerReady``) until every model found
  in the repository at start-up has loaded (MLServer said ready with none loaded: #2056).
* **Serving**: ready while its models are.
* **Draining**, on SIGTERM or SIGINT, within ``RUNTIME_MLFLOW_SHUTDOWN_TIMEOUT`` seconds
  (T, default 25: under Kubernetes' default grace period of 30 s):

  1. readiness fails at once: the server's and each model's, REST and gRPC, MLflow's
     ``/ping`` and Seldon's ``/health/status``; liveness still answers, and requests are still
     taken (a load balancer may not have seen the readiness yet);
  2. the drain waits for the requests in flight to end: every REST request, and every
     request a model of this runtime holds, whatever its protocol (:mod:`.admission`);
  3. at T - :data:`CLOSING`, requests still held are answered 503 in their protocol's shape
     (:class:`.errors.ShuttingDown`);
  4. the listeners close (gRPC, REST, then metrics), with what is left of :data:`CLOSING` for
     answers still being written;
  5. MLServer's worker pools stop, then this runtime's model processes and templates;
  6. the process exits 0. If anything still runs at T (a model's thread cannot be stopped),
     a watchdog ends the process then, with status 0.

  A second signal skips to step 3.

MLServer's side (its ``start``, ``stop``, readiness and servers) is reached through
:mod:`.compat.lifecycle`; this module holds the policy.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from typing import Any, Iterable, Protocol

from . import admission
from .errors import Overloaded

logger = logging.getLogger("mlserver.runtime_mlflow")

SHUTDOWN_VARIABLE = "RUNTIME_MLFLOW_SHUTDOWN_TIMEOUT"
DEFAULT_SHUTDOWN = 25.0
CLOSING = 2.0
"""Seconds of the shutdown timeout kept for answering what is left and closing (less when T is short)."""
DRAINING = "the server is shutting down: send requests to another replica"

_RETRY_AFTER = str(Overloaded.retry_after).encode()
_Key = tuple[str, str]


class Server(Protocol):
    """What the drain needs of MLServer's server (:class:`.compat.lifecycle.Parts`)."""

    async def close_listeners(self, grace: float) -> None:
        """Stop taking connections and close them, waiting up to ``grace`` s for answers being written."""

    async def close_workers(self) -> None:
        """Stop MLServer's worker pools."""


class _State:
    def __init__(self) -> None:
        self.expected: set[_Key] | None = None
        self.started = False
        self.draining_since: float | None = None
        self.hurry = asyncio.Event()
        self.http = 0


_state = _State()


def shutdown_timeout() -> float:
    """``RUNTIME_MLFLOW_SHUTDOWN_TIMEOUT`` in seconds (25 when unset; a bad value is logged and ignored)."""
    value = os.environ.get(SHUTDOWN_VARIABLE, "").strip()
    if not value:
        return DEFAULT_SHUTDOWN
    try:
        seconds = float(value)
        if seconds >= 0 and seconds != float("inf"):
            return seconds
    except ValueError:
        pass
    logger.error("%s is %r; expected a number of seconds, 0 or more: using %g", SHUTDOWN_VARIABLE, value,
                 DEFAULT_SHUTDOWN)
    return DEFAULT_SHUTDOWN


def expect(models: Iterable[tuple[str, str | None]]) -> None:
    """The models found in the repository at start-up: the server is not ready before they have loaded."""
    _state.expected = {(name, version or "") for name, version in models}
    _state.started = not _state.expected


def draining() -> bool:
    return _state.draining_since is not None


def ready(models: Iterable[Any]) -> bool:
    """Whether the server is ready, MLServer's models (each with ``name``, ``version``, ``ready``)
    being all ready: not while draining, nor before every start-up model has loaded once."""
    if draining():
        return False
    if not _state.started:
        loaded = {(m.name, m.version or "") for m in models if m.ready}
        if _state.expected is not None and not _state.expected <= loaded:
            return False
        _state.started = True
    return True


def busy() -> int:
    """Requests in flight: REST requests, and requests held by this runtime's models (gRPC's among them)."""
    return _state.http + admission.held()


async def drain(server: Server, signal: int | None) -> None:
    """Drain and stop ``server`` (see the module's docstring); a second call hurries the first."""
    if draining():
        logger.warning("Signal %s during the drain: answering what is left and stopping now", signal)
        _state.hurry.set()
        return
    started = _state.draining_since = time.monotonic()
    total = shutdown_timeout()
    closing = min(CLOSING, total / 4)
    _watchdog(total)
    logger.info("Shutting down (signal %s): not ready; %d request(s) in flight, up to %g s to finish them",
                signal, busy(), total - closing)
    if not await _quiet(started + total - closing):
        cut = admission.cut_all()
        logger.warning("Shutdown timeout: %d request(s) still running answered 503", cut)
        await _quiet(min(time.monotonic() + closing / 2, started + total - closing / 2), hurry=False)
    await server.close_listeners(max(0.1, started + total - time.monotonic() - closing / 4))
    await server.close_workers()
    from .hosting import group, templates

    await group.stop_all()
    await asyncio.to_thread(templates.stop_all)
    logger.info("Shut down in %.1f s", time.monotonic() - started)


async def _quiet(until: float, hurry: bool = True) -> bool:
    """Wait until no request is in flight (True), or ``until`` (monotonic) passes or the drain is hurried."""
    while busy():
        if time.monotonic() >= until or (hurry and _state.hurry.is_set()):
            return False
        await asyncio.sleep(0.05)
    return True


def _watchdog(total: float) -> None:
    def expire() -> None:
        logger.error("Still running %g s after the shutdown began (%s): exiting now", total, SHUTDOWN_VARIABLE)
        logging.shutdown()
        os._exit(0)

    timer = threading.Timer(total, expire)
    timer.daemon = True
    timer.start()


class Counted:
    """ASGI middleware on MLServer's REST app: counts the HTTP requests in flight for the
    drain, and gives a 503 that has no ``Retry-After`` one (1 s: the model is overloaded, down
    for a restart or its server is shutting down; another try or replica may answer)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start" and message["status"] == 503:
                headers = list(message.get("headers", ()))
                if not any(name.lower() == b"retry-after" for name, _ in headers):
                    message = dict(message, headers=[*headers, (b"retry-after", _RETRY_AFTER)])
            await send(message)

        _state.http += 1
        try:
            await self.app(scope, receive, sending)
        finally:
            _state.http -= 1
