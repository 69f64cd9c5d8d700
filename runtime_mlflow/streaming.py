"""Streaming: a pyfunc model's ``predict_stream`` iterator, read chunk by chunk off the event loop."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncGenerator, Callable, Iterator

import yaml

if TYPE_CHECKING:
    from mlflow.models import Model


def streamable(metadata: Model) -> bool:
    """Whether the model has ``predict_stream`` (MLflow records it in the pyfunc flavor)."""
    return _streamable(metadata.flavors)


def streamable_folder(path: Path) -> bool:
    """``streamable`` for a local model folder, read without importing MLflow (MLServer's
    main process asks before placing a model); False when its MLmodel cannot be read."""
    try:
        return _streamable(yaml.safe_load((path / "MLmodel").read_text()).get("flavors") or {})
    except Exception:
        return False


def _streamable(flavors: dict[str, Any]) -> bool:
    return bool((flavors.get("python_function") or {}).get("streamable", False))


async def chunks(start: Callable[[], Iterator[Any]]) -> AsyncGenerator[Any, None]:
    """Each item of the iterator ``start()`` returns, as soon as it is produced.

    The iterator runs in one thread of its own, in lockstep with the reader: the next item
    is asked for once the last one has been taken, so a slow client slows the model rather
    than piling up chunks. One thread, because MLflow's ``predict_stream`` keeps context
    variables set across its yields. Closing this generator closes the iterator.
    """
    loop = asyncio.get_running_loop()
    handoff: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    taken = threading.Semaphore(0)
    stopped = threading.Event()

    def put(kind: str, value: Any = None) -> None:
        if stopped.is_set():
            return  # the reader has gone
        try:
            loop.call_soon_threadsafe(handoff.put_nowait, (kind, value))
        except RuntimeError:  # and its event loop has closed
            pass

    def produce() -> None:
        try:
            iterator = start()
            try:
                for item in iterator:
                    put("item", item)
                    taken.acquire()
                    if stopped.is_set():
                        break
            finally:
                close = getattr(iterator, "close", None)
                if close is not None:
                    close()
            put("end")
        except BaseException as exc:  # handed to the reader, who raises it
            put("error", exc)

    thread = threading.Thread(target=contextvars.copy_context().run, args=(produce,), name="predict-stream", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = await handoff.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
            taken.release()
    finally:
        stopped.set()
        taken.release()
