"""What one model holds: at most ``max_inflight`` requests, each for at most ``request_timeout``.

A request is admitted (:meth:`Admission.run`) or refused at once with :class:`.errors.Overloaded`
(503, ``Retry-After``; gRPC RESOURCE_EXHAUSTED). An admitted request answers within its time
limit or gets :class:`.errors.TimedOut` (504; gRPC DEADLINE_EXCEEDED).

A thread running a model cannot be stopped, so the place a request holds is given back when
its work ends, not when its caller stops waiting: the request's :class:`Ticket` (in
:data:`CURRENT` while it is answered) is held by each piece of work started for it -- the
model process's answer (:mod:`.hosting.channel`), a thread (:func:`in_thread`) -- and the
work that has not started when the caller gives up (a timeout, a gRPC client's deadline or
cancel, the drain) is never started: a thread checks first, and a model process is told
(``cancel``) and skips a request still waiting for one of its threads. So calls still
running after their 504 count against ``max_inflight`` and cannot pile up unseen.

Batching counts a batch's requests one by one: each request is admitted before it joins
a batch (see :meth:`runtime_mlflow.runtime.MLflowRuntime.predict`).
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from . import metrics
from .errors import Overloaded, ShuttingDown, TimedOut

T = TypeVar("T")

CURRENT: contextvars.ContextVar[Ticket | None] = contextvars.ContextVar("runtime_mlflow_ticket", default=None)
"""The ticket of the request being answered, if it was admitted."""

SWEEP = 0.05
"""Seconds between two looks for requests past their time limit (how late a 504 may be)."""
_NEVER = float("inf")

_admissions: weakref.WeakSet[Admission] = weakref.WeakSet()
_cut: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()
_expired: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()
_sweepers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task[None]] = weakref.WeakKeyDictionary()


class Abandoned(Exception):
    """Work not started because its request was given up on."""


class Ticket:
    """One admitted request's place: given back when its caller and every piece of its work are done."""

    def __init__(self, admission: Admission) -> None:
        self._admission = admission
        self._holders = 1
        self._loop = asyncio.get_running_loop()
        self._loop_thread = 0
        self.abandoned = False
        self._on_abandon: list[Callable[[], None]] = []

    def hold(self) -> Callable[[], None]:
        """Hold the place for a piece of work; call what this returns (once, from any thread) when it ends."""
        self._holders += 1
        self._loop_thread = self._loop_thread or threading.get_ident()
        done = False

        def release() -> None:
            nonlocal done
            if not done:
                done = True
                self._release()

        def released() -> None:
            if threading.get_ident() == self._loop_thread:
                release()
            else:
                self._loop.call_soon_threadsafe(release)

        return released

    def on_abandon(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (on the event loop) if the request is given up on."""
        self._on_abandon.append(callback)

    def abandon(self) -> None:
        if not self.abandoned:
            self.abandoned = True
            for callback in self._on_abandon:
                callback()
            self._on_abandon.clear()

    def _release(self) -> None:
        self._holders -= 1
        if self._holders == 0:
            self._admission._given_back()


class Admission:
    """One model's requests in flight."""

    def __init__(self, model: str, max_inflight: int | None, timeout: float | None, timeout_source: str) -> None:
        self.model, self.max_inflight, self.timeout, self.timeout_source = model, max_inflight, timeout, timeout_source
        self.held = 0
        self._callers: dict[asyncio.Task[Any], float] = {}
        """The tasks answering its requests, and when each must have answered (loop time)."""
        self._gauge = metrics.inflight(model)
        _admissions.add(self)

    def _admit(self) -> None:
        if self.max_inflight is not None and self.held >= self.max_inflight:
            metrics.shed(self.model)
            raise Overloaded(f"model {self.model!r} is at its limit of {self.max_inflight} requests in flight "
                             f"(max_inflight); retry after {Overloaded.retry_after} s")
        self.held += 1
        self._gauge.inc()

    def _given_back(self) -> None:
        self.held -= 1
        self._gauge.dec()

    def _limit(self, timeout: float | None, source: str | None) -> tuple[float | None, str]:
        return (timeout, source) if source is not None else (self.timeout, self.timeout_source)

    def _timed_out(self, limit: float | None, source: str) -> TimedOut:
        metrics.timed_out(self.model)
        return TimedOut(f"model {self.model!r} did not answer within {limit:g} s ({source}); "
                        "the call keeps its place under max_inflight until it ends")

    async def run(self, call: Callable[..., Awaitable[T]], *args: Any,
                  timeout: float | None = None, source: str | None = None) -> T:
        """``await call(*args)`` as one admitted request, within the model's time limit (or
        ``timeout``, named ``source``, when a source is given)."""
        limit, named = self._limit(timeout, source)
        self._admit()
        ticket = Ticket(self)
        token = CURRENT.set(ticket)
        task = asyncio.current_task()
        assert task is not None
        self._watch(task, limit)
        try:
            return await call(*args)
        except asyncio.CancelledError:
            ticket.abandon()
            raise self._why(task, limit, named) from None
        finally:
            self._callers.pop(task, None)
            CURRENT.reset(token)
            ticket._release()

    async def stream(self, items: AsyncIterator[T]) -> AsyncIterator[T]:
        """``items`` as one admitted request: each item within the model's time limit."""
        self._admit()
        iterator = items.__aiter__()
        try:
            while True:
                task = asyncio.current_task()
                assert task is not None
                self._watch(task, self.timeout)
                try:
                    item = await iterator.__anext__()
                except StopAsyncIteration:
                    return
                except asyncio.CancelledError:
                    raise self._why(task, self.timeout, self.timeout_source) from None
                finally:
                    self._callers.pop(task, None)
                yield item
        finally:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()
            self._given_back()

    def _watch(self, task: asyncio.Task[Any], limit: float | None) -> None:
        """Answer for ``task`` until ``limit`` seconds from now (see :func:`_sweep`)."""
        loop = asyncio.get_running_loop()
        self._callers[task] = loop.time() + limit if limit is not None else _NEVER
        if limit is not None and loop not in _sweepers:
            _sweepers[loop] = loop.create_task(_sweep())

    def _why(self, task: asyncio.Task[Any], limit: float | None, source: str) -> BaseException:
        """What a cancelled request answers: TimedOut or ShuttingDown if this module cancelled it,
        else the cancel itself (a gRPC client's deadline or cancel: its own answer is on its side)."""
        if task in _expired:
            _expired.discard(task)
            task.uncancel()
            return self._timed_out(limit, source)
        if task in _cut:
            task.uncancel()
            return _shutting_down(self.model)
        return asyncio.CancelledError()


async def _sweep() -> None:
    """Give up, every :data:`SWEEP` seconds, the requests past their time limit: one timer for
    every request of the loop (an ``asyncio.timeout`` per request measured 13 us of 24 here)."""
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(SWEEP)
        now = loop.time()
        for admission in list(_admissions):
            for task, deadline in list(admission._callers.items()):
                if deadline <= now and task not in _expired and not task.done():
                    _expired.add(task)
                    task.cancel()


def _shutting_down(model: str) -> ShuttingDown:
    return ShuttingDown(f"model {model!r} could not answer before the server's shutdown timeout "
                        "(RUNTIME_MLFLOW_SHUTDOWN_TIMEOUT); retry on another replica")


async def in_thread(call: Callable[..., T], *args: Any) -> T:
    """``call(*args)`` in a thread, holding the current request's place until it ends; not
    started if the request is given up on before a thread takes it."""
    ticket = CURRENT.get()
    if ticket is None:
        return await asyncio.to_thread(call, *args)
    release = ticket.hold()

    def guarded() -> T:
        try:
            if ticket.abandoned:
                raise Abandoned("the request was given up on before it started")
            return call(*args)
        finally:
            release()

    return await asyncio.to_thread(guarded)


def detached() -> contextvars.Context:
    """A copy of the current context without a ticket: for work shared by several requests (a batch)."""
    context = contextvars.copy_context()
    context.run(CURRENT.set, None)
    return context


def held() -> int:
    """Requests held by every model of this process."""
    return sum(admission.held for admission in list(_admissions))


def cut_all() -> int:
    """Make every request still being answered give up now with :class:`.errors.ShuttingDown`
    (503); how many were."""
    tasks = [task for admission in list(_admissions) for task in list(admission._callers) if not task.done()]
    for task in tasks:
        _cut.add(task)
        task.cancel()
    return len(tasks)
