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
A request that reaches a pool while it closes (its last model being unloaded) finds a worker
the pool has let go (500, ``KeyError``) or its closed queue (500, ``ValueError``); that is a
503 saying the model is being unloaded.

MLServer's SIGCHLD handler is made to collect only its workers' exit statuses, not those of
the model processes this runtime starts in the main process.

A worker that dies soon after it started (a model that crashes while it loads, or soon
after) is restarted after a back-off (:mod:`runtime_mlflow.backoff`: nothing the first
time, then 1 s doubling to 30 s) instead of in a tight loop; a new worker that cannot load
the pool's models is stopped so that it is tried again the same way, and the models stay
not ready (503 saying why) until one succeeds.
Other failures are left as they are.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import weakref
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from mlserver.parallel import dispatcher, pool, registry
from mlserver.parallel.errors import WorkerStop

from .. import metrics, unavailable
from ..backoff import Backoff
from ..errors import ModelUnavailable
from . import not_ready

logger = logging.getLogger("mlserver.runtime_mlflow")

WRITTEN_FOR = "mlserver 1.7.1"

_HOOKED = "_runtime_mlflow_restarts"


class _NoWorker(Exception):
    """The pool has no worker ready (every one stopped; a new one is loading the models)."""


class _PoolClosed(Exception):
    """The pool's workers are gone: its models are being unloaded."""


def _queue_closed(exc: ValueError) -> bool:
    """The error ``multiprocessing`` raises for a put on a worker's closed queue (pool closing)."""
    text = str(exc)
    return text.startswith("Queue ") and text.endswith(" is closed")


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
        except KeyError:  # the round-robin names a worker the closing pool has let go
            raise _PoolClosed() from None

    async def _dispatch_request(self: Any, request_message: Any) -> Any:
        try:
            return await dispatch_request(self, request_message)
        except _NoWorker:
            raise ModelUnavailable(
                f"model {request_message.model_name!r} is being restarted: its worker process stopped "
                "and a new one is loading it; ask again in a few seconds"
            ) from None
        except ValueError as exc:
            if not _queue_closed(exc):
                raise
            raise ModelUnavailable(
                f"model {request_message.model_name!r} is being unloaded: its worker process is stopping"
            ) from None
        except _PoolClosed:
            raise ModelUnavailable(
                f"model {request_message.model_name!r} is being unloaded: its worker process is stopping"
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
    _track_readiness()
    _reap_own_workers_only()


@dataclass
class _PoolState:
    """What this module keeps per pool."""

    models: weakref.WeakSet[Any] = field(default_factory=weakref.WeakSet)
    """The pool's loaded models."""
    down: weakref.WeakSet[Any] = field(default_factory=weakref.WeakSet)
    """Those marked not ready by a restart that has not succeeded yet."""
    restarts: int = 0
    backoff: Backoff = field(default_factory=Backoff)
    closed: bool = False


def _state(pool_: Any) -> _PoolState:
    state: _PoolState = pool_.__dict__.setdefault("_runtime_mlflow_state", _PoolState())
    return state


def _track_readiness() -> None:
    """Wrap ``InferencePool.load_model``, ``reload_model``, ``on_worker_stop``, ``_start_worker`` and ``close``."""
    Pool = pool.InferencePool
    load_model, reload_model, on_worker_stop = Pool.load_model, Pool.reload_model, Pool.on_worker_stop
    start_worker = Pool._start_worker
    close: Callable[[Any], Awaitable[None]] = Pool.close
    not_ready.install()  # a model marked down answers 503 with its reason

    async def _load_model(self: Any, model: Any) -> Any:
        loaded = await load_model(self, model)
        _state(self).models.add(loaded)
        return loaded

    async def _reload_model(self: Any, old_model: Any, new_model: Any) -> Any:
        loaded = await reload_model(self, old_model, new_model)
        _state(self).models.add(loaded)
        return loaded

    async def _on_worker_stop(self: Any, pid: int, exit_code: int) -> None:
        if pid not in self._workers:
            await on_worker_stop(self, pid, exit_code)
            return
        state = _state(self)
        state.restarts += 1
        restart = state.restarts
        for model in list(state.models):
            if model.ready:
                model.ready = False
                state.down.add(model)
                unavailable.mark_down(model.name, model.version, f"model {model.name!r} is being restarted: its worker "
                                      f"process stopped (exit code {exit_code}); ask again in a few seconds")
        started = time.monotonic()
        try:
            await on_worker_stop(self, pid, exit_code)  # MLServer starts a worker and loads the pool's models
        except Exception as exc:  # the new worker died too, or could not load a model
            logger.error("Restart %d of the worker of %s failed (%s: %s); its models stay not ready, "
                         "and the worker is started again", restart, self.name, type(exc).__name__, exc)
            return
        if state.closed:
            return
        models = sorted(m.name for m in state.down)
        for name in models:
            metrics.restarted(name)
        for model in list(state.down):
            model.ready = True
            unavailable.mark_up(model.name, model.version)
        state.down.clear()
        logger.warning("Restart %d of the worker of %s (models: %s) took %.1f s; ready again", restart, self.name,
                       ", ".join(models) or "none", time.monotonic() - started)

    async def _start_worker(self: Any) -> Any:
        """MLServer's restart, after the back-off; a new worker that cannot load the models is
        stopped, so that it is restarted (after a longer back-off) rather than left never ready."""
        state = _state(self)
        delay = state.backoff.delay()
        if delay:
            logger.warning("The worker of %s died soon after it started; starting it again in %.1f s",
                           self.name, delay)
            await asyncio.sleep(delay)
        if state.closed:
            return None
        before = set(self._workers)
        state.backoff.started()
        try:
            return await start_worker(self)
        except Exception:
            for pid in set(self._workers) - before:
                with contextlib.suppress(Exception):
                    self._workers[pid].kill()
            raise

    async def _close(self: Any) -> None:
        _state(self).closed = True
        await close(self)

    _on_worker_stop.__wrapped__ = on_worker_stop  # type: ignore[attr-defined]
    _start_worker.__wrapped__ = start_worker  # type: ignore[attr-defined]
    Pool.load_model, Pool.reload_model = _load_model, _reload_model  # type: ignore[method-assign]
    Pool.on_worker_stop, Pool._start_worker, Pool.close = _on_worker_stop, _start_worker, _close  # type: ignore


def _reap_own_workers_only() -> None:
    """Replace ``InferencePoolRegistry._handle_worker_stop``, MLServer's SIGCHLD handler.

    MLServer's reaps whichever child exited (``os.waitpid(-1, WNOHANG)``): also the model
    processes this runtime starts in the main process, whose own ``wait`` then finds no
    status (a model process killed by a signal was logged as having exited with status 0);
    and as signals coalesce, of several workers dying at once it reaped one. This one
    collects the status of each of the pools' workers that has exited, and of nothing else.
    """
    Registry = registry.InferencePoolRegistry
    if getattr(Registry._handle_worker_stop, _HOOKED, False):
        return

    async def _handle_worker_stop(self: Any, signum: Any, frame: Any) -> None:
        pools = [self._default_pool, *self._pools.values()]
        for pid in [pid for p in pools for pid in list(p._workers)]:
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                continue
            if done == 0 or status == 0:
                continue  # still running, or stopped gracefully
            await self._default_pool.on_worker_stop(pid, status)
            await asyncio.gather(*[p.on_worker_stop(pid, status) for p in self._pools.values()])

    setattr(_handle_worker_stop, _HOOKED, True)
    Registry._handle_worker_stop = _handle_worker_stop  # type: ignore[method-assign]


def engaged() -> bool:
    """Whether :func:`install` is in effect."""
    return getattr(dispatcher.Dispatcher.dispatch_request, _HOOKED, False)
