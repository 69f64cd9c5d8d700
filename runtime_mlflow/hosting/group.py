"""A process group: the model processes that hold one set of models, kept running.

A group has ``replicas`` model processes (MLServer's ``parallel_workers``), each holding
every model of the group; a request goes to the live one with the fewest requests in
flight. By default each model is a group of its own, so no two models share a process; models
that name the same process group share its processes (see :mod:`..placement`).

When a process dies (an exit, a native crash, an OOM kill) its requests in flight answer
503 saying how it ended, the group's models are not ready while no replica is live, and
the process is started again, with its models loaded, after a back-off
(:mod:`..backoff`: at once, then 1 s doubling to 30 s while it keeps dying young). The
group's last model leaving stops its processes, which gives their memory back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import metrics, unavailable
from ..backoff import Backoff
from ..errors import ModelUnavailable
from .process import ModelProcess
from .templates import template_for

logger = logging.getLogger("mlserver.runtime_mlflow")


@dataclass
class Member:
    """One model of a group, as each of its processes loads it."""

    mid: str
    """The model's name in its processes (unique in the server)."""
    name: str
    version: str | None
    uri: Path
    method: str
    lean: dict[str, Any] | None
    set_ready: Callable[[bool], None]
    described: dict[str, Any] | None = None

    @property
    def label(self) -> str:
        return repr(self.name) if self.version is None else f"{self.name!r} (version {self.version!r})"


@dataclass(eq=False)
class _Slot:
    """One replica: its process (None while it is being started again) and its back-off."""

    process: ModelProcess | None = None
    backoff: Backoff = field(default_factory=Backoff)
    restarts: int = 0
    restarting: asyncio.Task[None] | None = None


class Group:
    def __init__(self, key: tuple[str, str], env: Path | None, replicas: int) -> None:
        self.key, self.env, self.replicas = key, env, max(1, replicas)
        self.members: dict[str, Member] = {}
        self._slots = [_Slot() for _ in range(self.replicas)]
        self._lock = asyncio.Lock()
        self._stopping = False

    @property
    def label(self) -> str:
        return ", ".join(m.label for m in self.members.values()) or "(none)"

    @property
    def processes(self) -> list[ModelProcess]:
        return [s.process for s in self._slots if s.process is not None]

    async def add(self, member: Member) -> dict[str, Any] | None:
        """Load ``member`` into every process (started if the group has none); what its
        method answers. The load's error if it fails anywhere (the model is then in none)."""
        async with self._lock:
            if not self.members:
                await asyncio.gather(*(self._start(slot, member) for slot in self._slots if slot.process is None))
            try:
                described = await asyncio.gather(*(p.load(member.mid, member.uri, member.method, member.lean)
                                                   for p in self.processes))
            except BaseException:
                if self.members:
                    await asyncio.gather(*(p.unload(member.mid) for p in self.processes if p.alive),
                                         return_exceptions=True)
                else:
                    await self._stop_processes()
                raise
            member.described = described[0] if described else None
            self.members[member.mid] = member
            return member.described

    async def remove(self, mid: str) -> None:
        """Take model ``mid`` out of the group; its last model stops its processes."""
        async with self._lock:
            member = self.members.pop(mid, None)
            if member is not None:
                unavailable.mark_up(member.name, member.version)
            if self.members:
                await asyncio.gather(*(p.unload(mid) for p in self.processes if p.alive), return_exceptions=True)
                return
            await self._stop_processes()

    async def _start(self, slot: _Slot, first: Member) -> None:
        template = await template_for(self.env)
        slot.backoff.started()
        slot.process = await ModelProcess.start(first.label, template, first.uri, self._exited)
        if slot.process.how != "forked":
            logger.warning("Model %s: its model process was started fresh, not forked (the template has threads)",
                           first.label)

    async def _stop_processes(self, timeout: float = 5.0) -> None:
        self._stopping = True
        if _groups.get(self.key) is self:
            del _groups[self.key]
        for slot in self._slots:
            if slot.restarting is not None:
                slot.restarting.cancel()
        await asyncio.gather(*(p.stop(timeout) for p in self.processes), return_exceptions=True)
        for slot in self._slots:
            slot.process = None

    def pick(self, member: Member) -> ModelProcess:
        """The live process with the fewest requests in flight; 503 if none is live."""
        live = [p for p in self.processes if p.alive]
        if not live:
            raise ModelUnavailable(unavailable.reason(member.name, member.version)
                                   or f"model {member.label} is not available: its model process is being restarted")
        return min(live, key=lambda p: p.inflight)

    async def predict(self, mid: str, value: Any, params: dict[str, Any] | None, rows: int) -> Any:
        return await self.pick(self.members[mid]).predict(mid, value, params, rows)

    def stream(self, mid: str, value: Any, params: dict[str, Any] | None, rows: int) -> AsyncIterator[Any]:
        return self.pick(self.members[mid]).stream(mid, value, params, rows)

    def _exited(self, process: ModelProcess) -> None:
        slot = next((s for s in self._slots if s.process is process), None)
        if slot is None or process.stopping or self._stopping or not self.members:
            return
        slot.process = None
        if slot.restarting is not None:  # it died while being started again: the restart tries again
            return
        delay = slot.backoff.delay()
        logger.error("Model %s: its model process (pid %d) %s", self.label, process.pid, process.describe_exit())
        if not any(p.alive for p in self.processes):
            for member in self.members.values():
                unavailable.mark_down(member.name, member.version,
                                      f"model {member.label} is not available: its model process "
                                      f"{process.describe_exit()}; it is being restarted, retry shortly")
                member.set_ready(False)
        slot.restarting = asyncio.get_running_loop().create_task(self._restart(slot, delay))

    async def _restart(self, slot: _Slot, delay: float) -> None:
        try:
            while not self._stopping and self.members:
                slot.restarts += 1
                if delay:
                    logger.warning("The model process of %s died soon after it started; starting it again in %.1f s",
                                   self.label, delay)
                    await asyncio.sleep(delay)
                started = time.monotonic()
                try:
                    async with self._lock:
                        if self._stopping or not self.members:
                            return
                        members = list(self.members.values())
                        await self._start(slot, members[0])
                        assert slot.process is not None
                        for member in members:
                            await slot.process.load(member.mid, member.uri, member.method, member.lean)
                except Exception as exc:
                    logger.error("Restart %d of the model process of %s failed (%s); its models stay not ready",
                                 slot.restarts, self.label, exc)
                    if slot.process is not None:
                        failed, slot.process = slot.process, None
                        await failed.stop(timeout=2)
                    delay = slot.backoff.delay()
                    continue
                for member in members:
                    metrics.restarted(member.name)
                    unavailable.mark_up(member.name, member.version)
                    member.set_ready(True)
                logger.warning("Restart %d of the model process of %s took %.1f s; ready again (pid %d)",
                               slot.restarts, self.label, time.monotonic() - started, slot.process.pid)
                return
        finally:
            if slot.restarting is asyncio.current_task():
                slot.restarting = None


_groups: dict[tuple[str, str], Group] = {}


def group_for(key: tuple[str, str], env: Path | None, replicas: int) -> Group:
    """The group of ``key`` (``(environment, process group)``), made if there is none."""
    group = _groups.get(key)
    if group is None or group._stopping:
        group = _groups[key] = Group(key, env, replicas)
    return group


def live_groups() -> list[Group]:
    return list(_groups.values())


async def stop_all(timeout: float = 1.0) -> None:
    """Stop every group's processes (the server is shutting down), each killed if it has not
    left within ``timeout`` s."""
    await asyncio.gather(*(group._stop_processes(timeout) for group in live_groups()), return_exceptions=True)
