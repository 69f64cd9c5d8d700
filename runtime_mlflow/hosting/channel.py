"""Frames to and from one model process on the server's event loop, many requests at a time.

Each request gets an ``id`` (:mod:`.payload.rmlf_child` answers with it), so answers may come
in any order and a stream's chunks find their reader. Nothing blocks the loop: frames are
written through the loop's transport and read as they arrive (:class:`.payload.rmlf_frames.Parser`).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from typing import Any

from .. import admission
from .payload import rmlf_frames as frames

Frame = tuple[dict[str, Any], list[memoryview]]


class Connection(asyncio.Protocol):
    """The server's end of one model process's socket.

    ``lost()`` gives the error every request still waiting gets once the process has gone
    (it is asked when the socket closes, and may wait to say why)."""

    def __init__(self, lost: Callable[[], Any]) -> None:
        self._lost = lost
        self._parser = frames.Parser()
        self._transport: asyncio.Transport | None = None
        self._waiting: dict[int, asyncio.Future[Frame] | asyncio.Queue[Frame | BaseException]] = {}
        self._ids = itertools.count(1)
        self._closed: BaseException | None = None
        self.closed = asyncio.get_running_loop().create_future()
        """Done when the socket has closed."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # uvloop's transports are not asyncio's classes

    def data_received(self, data: bytes) -> None:
        try:
            received = self._parser.feed(data)
        except frames.WireError as exc:
            self._fail_all(exc)
            if self._transport is not None:
                self._transport.abort()
            return
        for header, buffers in received:
            waiting = self._waiting.get(header.get("id", 0))
            if waiting is None:
                continue  # an answer for a request given up on
            if isinstance(waiting, asyncio.Queue):
                waiting.put_nowait((header, buffers))
                if header.get("op") != "chunk":
                    del self._waiting[header["id"]]
            else:
                del self._waiting[header["id"]]
                if not waiting.done():
                    waiting.set_result((header, buffers))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)
        if self._waiting:
            asyncio.get_running_loop().create_task(self._fail_when_known())

    async def _fail_when_known(self) -> None:
        self._fail_all(await self._lost())

    def _fail_all(self, error: BaseException) -> None:
        self._closed = error
        waiting, self._waiting = self._waiting, {}
        for item in waiting.values():
            if isinstance(item, asyncio.Queue):
                item.put_nowait(error)
            elif not item.done():
                item.set_exception(error)

    @property
    def open(self) -> bool:
        return self._transport is not None and not self.closed.done()

    def _send(self, header: dict[str, Any], buffers: list[Any]) -> int:
        if self._transport is None or self.closed.done():
            raise ConnectionResetError("the model process's socket is closed")
        rid = next(self._ids)
        self._transport.writelines(frames.joined(frames.pack(dict(header, id=rid), buffers)))
        return rid

    async def request(self, header: dict[str, Any], buffers: list[Any] = []) -> Frame:  # noqa: B006 (never mutated)
        """Send one request and wait for its answer frame.

        For an admitted request (:mod:`...admission`), the request's place is held until the
        process answers, even if the caller stops waiting; and if it does, the process is told
        to skip the request if it has not started it."""
        future: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
        rid = self._send(header, buffers)
        self._waiting[rid] = future
        ticket = admission.CURRENT.get()
        if ticket is None:
            try:
                return await future
            finally:
                self._waiting.pop(rid, None)
        release = ticket.hold()

        def answered(done: asyncio.Future[Frame]) -> None:
            if not done.cancelled():
                done.exception()  # retrieved: no one may be waiting for it any more
            release()

        future.add_done_callback(answered)
        ticket.on_abandon(lambda: self._cancel(rid))
        return await asyncio.shield(future)

    def _cancel(self, rid: int) -> None:
        """Tell the process that no one waits for request ``rid`` any more (it skips it if it has not started)."""
        if rid in self._waiting and self.open:
            self._send({"op": "cancel", "target": rid}, [])

    async def stream(self, header: dict[str, Any], buffers: list[Any]) -> AsyncIterator[Frame]:
        """Send one request and yield each frame answering it, the last one included."""
        queue: asyncio.Queue[Frame | BaseException] = asyncio.Queue()
        rid = self._send(header, buffers)
        self._waiting[rid] = queue
        try:
            while True:
                item = await queue.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
                if item[0].get("op") != "chunk":
                    return
        finally:
            self._cancel(rid)  # a stream given up on: the process stops it at its next chunk
            self._waiting.pop(rid, None)

    def send(self, header: dict[str, Any]) -> None:
        """Send a frame that is not answered (``bye``)."""
        self._send(header, [])

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
