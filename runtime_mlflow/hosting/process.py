"""One model process: forked by a template, holding one or more models, spoken to over a socket.

Values cross as raw buffers (:mod:`.payload.rmlf_frames`, :mod:`.payload.rmlf_wire`), never
as pickles, so a model's environment may have other Python, numpy, pandas and MLflow
versions than the server.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from ..errors import ModelEnvironmentError, ModelUnavailable, PredictionError, RemoteError
from .channel import Connection
from .payload import rmlf_frames as frames
from .payload import rmlf_wire as wire
from .templates import SERVER, Template, describe_exit

logger = logging.getLogger("mlserver.runtime_mlflow")

EXIT_WAIT = 1.0
"""Seconds to wait, once a process's socket has closed, for its template to report how it ended."""


class ModelProcess:
    """A started model process; its requests may overlap (answers are matched by id)."""

    def __init__(self, label: str, template: Template, on_exit: Callable[[ModelProcess], None]) -> None:
        self.label, self.template = label, template
        self.pid = 0
        self.how = ""
        self.inflight = 0
        self.stopping = False
        self._on_exit = on_exit
        self._exit: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._connection: Connection | None = None

    @classmethod
    async def start(cls, label: str, template: Template, uri: Path,
                    on_exit: Callable[[ModelProcess], None]) -> ModelProcess:
        """A process forked by ``template`` for the model at ``uri`` (its flavor is warmed in the template)."""
        process = cls(label, template, on_exit)
        mine, theirs = socket.socketpair()
        try:
            process.pid, process.how = await template.fork(theirs, uri, process._ended)
        except BaseException:
            mine.close()
            raise
        finally:
            theirs.close()
        _, connection = await asyncio.get_running_loop().connect_accepted_socket(
            lambda: Connection(process._lost), sock=mine)
        process._connection = connection
        hello = template.hello
        if template.key == SERVER:
            logger.info("Model %s: its model process (pid %d) %s from the server's template",
                        label, process.pid, process.how)
        else:
            versions = hello["versions"]
            logger.info("Model %s: environment %s runs Python %s, MLflow %s, numpy %s, pandas %s (pid %d, %s)",
                        label, template.key, ".".join(map(str, hello["python"])), versions["mlflow"],
                        versions["numpy"], versions["pandas"], process.pid, process.how)
        return process

    @property
    def alive(self) -> bool:
        return not self._exit.done() and self._connection is not None and self._connection.open

    @property
    def exit_code(self) -> int | None:
        return self._exit.result() if self._exit.done() else None

    def describe_exit(self) -> str:
        return describe_exit(self.exit_code) if self._exit.done() else "stopped answering"

    async def load(self, mid: str, uri: Path, method: str, lean: dict[str, Any] | None) -> dict[str, Any] | None:
        """Load the model at ``uri`` as ``mid``; what its method answers (None: predict, or unknown).
        ModelEnvironmentError with the model's own traceback logged if it cannot be loaded."""
        header, _ = await self._call({"op": "load", "m": mid, "uri": str(uri), "method": method, "lean": lean}, [],
                                     f"loading {uri}")
        if header.get("op") == "error":
            error = RemoteError(header)
            logger.error("Model %s failed to load in its process:\n%s", self.label, error.remote_traceback)
            raise ModelEnvironmentError(f"model {self.label} could not be loaded from {uri}: {error}")
        described: dict[str, Any] | None = header.get("described")
        return described

    async def unload(self, mid: str) -> None:
        if self.alive:
            await self._call({"op": "unload", "m": mid}, [], "unloading")

    async def predict(self, mid: str, value: Any, params: dict[str, Any] | None, rows: int) -> Any:
        """The model's prediction; RemoteError if the model raised, 503 if the process is gone."""
        header, buffers = await self._call(*self._request("predict", mid, value, params, rows), "predicting")
        if header.get("op") == "error":
            raise RemoteError(header)
        return self._decode(header, buffers)

    async def stream(self, mid: str, value: Any, params: dict[str, Any] | None, rows: int) -> AsyncIterator[Any]:
        """The model's ``predict_stream`` for ``value``, one item per chunk as the process sends it."""
        header, buffers = self._request("stream", mid, value, params, rows)
        connection = self._connected()
        self.inflight += 1
        try:
            async for answer, answered in connection.stream(header, buffers):
                op = answer.get("op")
                if op == "error":
                    raise RemoteError(answer)
                if op == "chunk":
                    yield self._decode(answer, answered)
        except (ConnectionError, frames.WireError) as exc:
            raise self._unavailable(exc) from exc
        finally:
            self.inflight -= 1

    def _request(self, op: str, mid: str, value: Any, params: dict[str, Any] | None,
                 rows: int) -> tuple[dict[str, Any], list[Any]]:
        try:
            tree, buffers = wire.encode(value)
        except frames.WireError as exc:
            raise PredictionError(f"model {self.label}: {exc}") from exc
        return {"op": op, "m": mid, "value": tree, "params": params, "rows": rows}, buffers

    async def _call(self, header: dict[str, Any], buffers: list[Any], doing: str) -> tuple[dict[str, Any], list[Any]]:
        connection = self._connected()
        self.inflight += 1
        try:
            return await connection.request(header, buffers)
        except (ConnectionError, frames.WireError) as exc:
            raise self._unavailable(exc) from exc
        finally:
            self.inflight -= 1

    def _connected(self) -> Connection:
        if self._connection is None or not self.alive:
            raise ModelUnavailable(f"model {self.label}: its model process {self.describe_exit()}")
        return self._connection

    def _unavailable(self, exc: BaseException) -> ModelUnavailable:
        if isinstance(exc, ModelUnavailable):
            return exc
        return ModelUnavailable(f"model {self.label}: its model process stopped answering ({exc})")

    async def _lost(self) -> ModelUnavailable:
        """The error for requests in flight when the socket closed: how the process ended."""
        try:
            await asyncio.wait_for(asyncio.shield(self._exit), EXIT_WAIT)
        except asyncio.TimeoutError:
            pass
        return ModelUnavailable(f"model {self.label} is not available: its model process {self.describe_exit()} "
                                "while answering; it is being restarted, retry shortly")

    def _decode(self, header: dict[str, Any], buffers: list[Any]) -> Any:
        try:
            return wire.decode(header["value"], buffers)
        except (frames.WireError, KeyError, ValueError, TypeError) as exc:
            raise PredictionError(f"model {self.label}: its answer could not be read: {exc}") from exc

    def _ended(self, status: int) -> None:
        """The template says the process has ended (``status``: its exit code, or minus the signal)."""
        if not self._exit.done():
            self._exit.set_result(status)
        if self._connection is not None:
            self._connection.close()
        self._on_exit(self)

    async def stop(self, timeout: float = 5.0) -> None:
        """Ask the process to leave, then kill it if it does not; never leaves it running."""
        self.stopping = True
        if self._connection is not None and self._connection.open:
            try:
                self._connection.send({"op": "bye"})
            except ConnectionError:
                pass
        try:
            await asyncio.wait_for(asyncio.shield(self._exit), timeout)
        except asyncio.TimeoutError:
            self.kill()
            try:
                await asyncio.wait_for(asyncio.shield(self._exit), timeout)
            except asyncio.TimeoutError:
                logger.error("Model %s: its model process (pid %d) did not exit after SIGKILL", self.label, self.pid)
        if self._connection is not None:
            self._connection.close()
        logger.info("Model %s: its model process (pid %d) stopped", self.label, self.pid)

    def kill(self) -> None:
        if self.pid and not self._exit.done():
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
