"""MLServer's default worker pool, started only once a model needs it.

MLServer 1.7.1 starts its default pool, and its ``parallel_workers`` workers, when the server
is made, before any model is known. This runtime's models never run there (see
:mod:`.placement`), so on a server of MLflow models the pool is an idle interpreter
(measured: 118 MiB of PSS, and 2 to 3 s of one core while the models start). When the first
model of this runtime loads and the default pool holds no model, :func:`make_lazy` closes
that pool and puts in its place one that starts a real pool, as MLServer would have, on the
first model that asks for it (a model of another runtime).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from mlserver.model import MLModel
from mlserver.parallel.pool import InferencePool
from mlserver.parallel.registry import InferencePoolRegistry
from mlserver.registry import MultiModelRegistry

logger = logging.getLogger("mlserver.runtime_mlflow")

WRITTEN_FOR = "mlserver 1.7.1"


class LazyPool:
    """What :class:`InferencePoolRegistry` asks of its default pool, with no worker until a model needs one."""

    def __init__(self, settings: Any, on_worker_stop: list[Any]) -> None:
        self._settings, self._on_worker_stop = settings, on_worker_stop
        self.pool: InferencePool | None = None

    def _real(self) -> InferencePool:
        if self.pool is None:
            logger.info("Starting MLServer's default inference pool for a model of another runtime")
            self.pool = InferencePool(self._settings, on_worker_stop=self._on_worker_stop)
        return self.pool

    @property
    def _workers(self) -> dict[int, Any]:
        """The pool's workers by pid (read by :mod:`.worker_restarts`' SIGCHLD handler)."""
        return self.pool._workers if self.pool is not None else {}

    @property
    def env_hash(self) -> str | None:
        return None

    @property
    def name(self) -> str:
        return "default inference pool"

    async def load_model(self, model: MLModel) -> MLModel:
        return await self._real().load_model(model)

    async def reload_model(self, old_model: MLModel, new_model: MLModel) -> MLModel:
        return await self._real().reload_model(old_model, new_model)

    async def unload_model(self, model: MLModel) -> MLModel:
        return await self.pool.unload_model(model) if self.pool is not None else model

    async def on_worker_stop(self, pid: int, exit_code: int) -> None:
        if self.pool is not None:
            await self.pool.on_worker_stop(pid, exit_code)

    def empty(self) -> bool:
        return self.pool is None or self.pool.empty()

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()


def pool_registry(models: MultiModelRegistry) -> InferencePoolRegistry | None:
    """The server's pool registry, found through the load hook MLServer gave its model registry."""
    for hook in models._on_model_load:  # private: the hooks MLServer runs on every load
        owner = getattr(hook, "__self__", None)
        if isinstance(owner, InferencePoolRegistry):
            return owner
    return None


def make_lazy(models: MultiModelRegistry) -> None:
    """Close MLServer's default pool while it holds no model, and start it again only when needed."""
    registry = pool_registry(models)
    if registry is None:  # parallel_workers 0: MLServer made no pools
        return
    default = registry._default_pool  # private: the pool of models with no environment or gid
    if isinstance(default, LazyPool) or not default.empty():
        return
    registry._default_pool = LazyPool(registry._settings, registry._on_worker_stop)  # type: ignore[assignment]

    async def close() -> None:
        try:
            await default.close()
        except Exception:  # its worker is ours to lose: nothing runs there
            logger.debug("Closing MLServer's idle default pool failed", exc_info=True)

    asyncio.get_running_loop().create_task(close())
    logger.info("MLServer's default inference pool is idle (this runtime's models run in their own "
                "processes); closed until a model of another runtime needs it")


def engaged(models: MultiModelRegistry) -> bool:
    """Whether the server's default pool is the lazy one."""
    registry = pool_registry(models)
    return registry is not None and isinstance(registry._default_pool, LazyPool)
