"""Keep a model process running: start it at load, restart it with back-off, stop it at unload."""

from __future__ import annotations

import asyncio
import atexit
import logging
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from mlflow.models import Model

from .. import metrics, unavailable
from ..backoff import Backoff
from ..errors import ModelUnavailable
from .process import ModelProcess

logger = logging.getLogger("mlserver.runtime_mlflow")

_live: weakref.WeakSet[Supervisor] = weakref.WeakSet()


class Supervisor:
    """One model process for one model; ``set_ready`` hears when the model goes down and comes back."""

    def __init__(self, name: str, env: Path, model_path: Path, set_ready: Callable[[bool], None],
                 method: str = "predict", version: str | None = None) -> None:
        self.name, self.version = name, version
        self.env = env
        self.model_path = model_path
        self.method = method
        self._set_ready = set_ready
        self._process: ModelProcess | None = None
        self._restarting: asyncio.Task[None] | None = None
        self._stopping = False
        self._backoff = Backoff(first=0.5)
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def process(self) -> ModelProcess | None:
        return self._process

    async def start(self) -> None:
        """Start the first process; its errors are the load's errors."""
        self._loop = asyncio.get_running_loop()
        self._process = await asyncio.to_thread(self._launch)
        _live.add(self)

    def call(self, value: Any, params: dict[str, Any] | None) -> Any:
        return self._running().call(value, params)

    def _running(self) -> ModelProcess:
        process = self._process
        if process is None or not process.alive:
            state = process.describe_exit() if process is not None else "has not started"
            raise ModelUnavailable(
                f"model {self.name!r} is not available: its model process {state}; it is being restarted"
            )
        return process

    def stream(self, value: Any, params: dict[str, Any] | None) -> Iterator[Any]:
        return self._running().stream(value, params)

    async def stop(self) -> None:
        self._stopping = True
        if self._restarting is not None:
            self._restarting.cancel()
        unavailable.mark_up(self.name, self.version)
        _live.discard(self)
        if self._process is not None:
            await asyncio.to_thread(self._process.stop)

    def stop_now(self) -> None:
        """Stop without an event loop (interpreter exit)."""
        self._stopping = True
        if self._process is not None:
            self._process.stop(timeout=2)

    def _launch(self) -> ModelProcess:
        self._backoff.started()
        return ModelProcess.start(self.name, self.env, self.model_path, on_exit=self._exited_in_thread,
                                  method=self.method)

    def _exited_in_thread(self, process: ModelProcess) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._exited, process)

    def _exited(self, process: ModelProcess) -> None:
        if self._stopping or process is not self._process or self._restarting is not None:
            return
        logger.error(
            "Model %r: its model process (pid %d) %s; the model is not ready until it is restarted",
            self.name, process.pid, process.describe_exit(),
        )
        unavailable.mark_down(
            self.name, self.version,
            f"model {self.name!r} is not available: its model process {process.describe_exit()}; "
            "it is being restarted, retry shortly",
        )
        self._set_ready(False)
        self._restarting = asyncio.get_running_loop().create_task(self._restart())

    async def _restart(self) -> None:
        try:
            while not self._stopping:
                delay = self._backoff.delay()
                logger.info("Model %r: restarting its model process in %.1fs", self.name, delay)
                await asyncio.sleep(delay)
                try:
                    process = await asyncio.to_thread(self._launch)
                except Exception as exc:
                    logger.error("Model %r: restart failed: %s", self.name, exc)
                    continue
                if self._stopping:
                    await asyncio.to_thread(process.stop)
                    return
                self._process = process
                metrics.restarted(self.name)
                unavailable.mark_up(self.name, self.version)
                self._set_ready(True)
                logger.info("Model %r: model process restarted (pid %d)", self.name, process.pid)
                if not process.alive:  # died between the handshake and now
                    self._restarting = None
                    self._exited(process)
                return
        finally:
            if self._restarting is asyncio.current_task():
                self._restarting = None


class RemoteModel:
    """What the runtime needs of a pyfunc model (``predict``, ``predict_stream``, ``metadata``), served by a model process."""

    def __init__(self, supervisor: Supervisor, model_path: Path) -> None:
        self.supervisor = supervisor
        self.metadata = Model.load(str(model_path))
        self.method = supervisor.method
        process = supervisor.process
        self.described = process.described if process is not None else None
        """What ``method`` answers, as the model process reported it at load (see :mod:`runtime_mlflow.methods`)."""

    @property
    def mlflow_version(self) -> str:
        """The MLflow version of the model's environment."""
        process = self.supervisor.process
        return process.hello["versions"]["mlflow"] if process is not None else "unknown"

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self.supervisor.call(data, params)

    def predict_stream(self, data: Any, params: dict[str, Any] | None = None) -> Iterator[Any]:
        return self.supervisor.stream(data, params)


@atexit.register
def _stop_all() -> None:
    for supervisor in list(_live):
        supervisor.stop_now()
