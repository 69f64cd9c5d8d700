"""Unloading the last model of a pool closes that pool, not MLServer's default one.

MLServer 1.7.1 keeps a pool made for an ``inference_pool_gid`` under that gid, but its
``InferencePoolRegistry.unload_model`` closes an emptied pool by ``pool.env_hash``, which is
None for such a pool, and ``_close_pool(None)`` closes the default pool. Every model in the
default pool then fails (500, ``KeyError`` in the dispatcher), while the emptied pool's
workers live on. This runtime gives every model after the first a pool of its own
(:mod:`.placement`), so unloading any of them broke the first.

The server holds ``unload_model`` as a bound method from its start, so it cannot be
replaced; :func:`install` instead gives such a pool the key it is kept under as its
``env_hash`` (it has no environment, so nothing else reads it): MLServer then finds,
empties and closes the right pool.
"""

from __future__ import annotations

from typing import Any, Callable

from mlserver.parallel.pool import InferencePool
from mlserver.parallel.registry import InferencePoolRegistry

WRITTEN_FOR = "mlserver 1.7.1"

_KEY = "_runtime_mlflow_key"
_HOOKED = "_runtime_mlflow_pool_unload"


def install() -> None:
    """Wrap ``InferencePoolRegistry._get_or_create`` and ``InferencePool.env_hash`` (once)."""
    get_or_create = InferencePoolRegistry._get_or_create
    if getattr(get_or_create, _HOOKED, False):
        return
    env_hash: Callable[[Any], str | None] = InferencePool.__dict__["env_hash"].fget  # a property

    async def _get_or_create(self: Any, model: Any) -> Any:
        pool = await get_or_create(self, model)
        if pool is not self._default_pool and pool._env is None:
            key = next((k for k, p in self._pools.items() if p is pool), None)
            if key is not None:
                pool.__dict__[_KEY] = key
        return pool

    def _env_hash(self: Any) -> str | None:
        own: str | None = self.__dict__.get(_KEY)
        return env_hash(self) or own

    setattr(_get_or_create, _HOOKED, True)
    _get_or_create.__wrapped__ = get_or_create  # type: ignore[attr-defined]
    InferencePoolRegistry._get_or_create = _get_or_create  # type: ignore[method-assign]
    InferencePool.env_hash = property(_env_hash)  # type: ignore[method-assign,assignment]


def engaged() -> bool:
    """Whether :func:`install` is in effect."""
    return getattr(InferencePoolRegistry._get_or_create, _HOOKED, False)
