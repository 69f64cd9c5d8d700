"""Where a loaded model is asked: in this process (:class:`Local`) or in its model process (:class:`Remote`).

Both answer what :class:`runtime_mlflow.loaded.Loaded` and the protocols ask of a model:
``metadata`` (MLflow's ``Model`` of its MLmodel), ``method``, ``described`` (what the method
answers), ``mlflow_version``, ``predict_async`` and ``stream`` on the event loop, and a
blocking ``predict`` for MLflow's scoring code and Seldon's, which run in a thread.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import Any

import mlflow
from mlflow.models import Model

from ..dispatch import Dispatcher
from ..errors import ModelLoadError
from ..streaming import chunks
from .group import Group, Member, group_for
from .payload.rmlf_host import Hosted
from .payload.rmlf_methods import NoLoadableFlavor, NoSuchMethod
from .payload.rmlf_proven import rows_of
from .placement import Placement

_ids = itertools.count(1)


class Local:
    """A model loaded in this process (``parallel_workers: 0``, or inside MLServer's own environment)."""

    def __init__(self, hosted: Hosted) -> None:
        self.hosted = hosted
        self.metadata: Model = hosted.metadata
        self.method: str = hosted.method
        self.described: dict[str, Any] | None = hosted.described
        self.mlflow_version: str = mlflow.__version__
        self._dispatcher = Dispatcher()

    @classmethod
    async def load(cls, name: str, uri: Path, method: str, lean: dict[str, Any] | None) -> Local:
        try:
            return cls(await asyncio.to_thread(Hosted, uri, method, lean))
        except NoSuchMethod as exc:
            raise ModelLoadError(f"model {name!r} has {exc}") from None
        except NoLoadableFlavor as exc:
            raise ModelLoadError(f"model {name!r}: {exc}") from None
        except ModelLoadError:
            raise
        except Exception as exc:
            raise ModelLoadError(f"model {name!r} could not be loaded from {uri}: {type(exc).__name__}: {exc}") from exc

    def predict(self, value: Any, params: dict[str, Any] | None = None) -> Any:
        return self.hosted.predict(value, params)

    async def predict_async(self, value: Any, params: dict[str, Any] | None, rows: int) -> Any:
        return await self._dispatcher.run(rows, self.hosted.predict, value, params)

    def stream(self, value: Any, params: dict[str, Any] | None, rows: int) -> AsyncIterator[Any]:
        return chunks(partial(self.hosted.stream, value, params))

    async def close(self) -> None:
        pass


class Remote:
    """A model loaded in a model process of its group (see :mod:`.group`)."""

    def __init__(self, member: Member, group: Group, metadata: Model, mlflow_version: str) -> None:
        self._member, self._group = member, group
        self.metadata, self.mlflow_version = metadata, mlflow_version
        self.method, self.described = member.method, member.described
        self._loop = asyncio.get_running_loop()

    @classmethod
    async def load(cls, member: Member, placement: Placement, metadata: Model) -> Remote:
        """Load ``member`` into its group's processes; ModelEnvironmentError if it cannot be.
        ``metadata``: the model's MLmodel, as this process read it."""
        group = group_for(placement.key, placement.env, placement.replicas)
        await group.add(member)
        processes = group.processes
        return cls(member, group, metadata, processes[0].template.mlflow_version if processes else "unknown")

    @staticmethod
    def new_mid(name: str, version: str | None) -> str:
        """A name for one loaded model in its processes, unique in the server (a reload loads the
        new one before the old one leaves)."""
        return f"{name}:{version or ''}:{next(_ids)}"

    def predict(self, value: Any, params: dict[str, Any] | None = None) -> Any:
        """Blocking: call it from a thread, never from the event loop."""
        return asyncio.run_coroutine_threadsafe(self.predict_async(value, params, rows_of(value)), self._loop).result()

    async def predict_async(self, value: Any, params: dict[str, Any] | None, rows: int) -> Any:
        return await self._group.predict(self._member.mid, value, params, rows)

    def stream(self, value: Any, params: dict[str, Any] | None, rows: int) -> AsyncIterator[Any]:
        return self._group.stream(self._member.mid, value, params, rows)

    async def close(self) -> None:
        await self._group.remove(self._member.mid)
