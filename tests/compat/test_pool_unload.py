"""``compat.pool_unload``: unloading a pool's last model closes that pool, never the default one
(contract written for MLServer 1.7.1)."""

from __future__ import annotations

import asyncio
import inspect
import signal

from mlserver.parallel.registry import InferencePoolRegistry
from mlserver.settings import ModelParameters, ModelSettings, Settings

from runtime_mlflow.compat import pool_unload


def test_mlserver_still_closes_an_emptied_pool_by_its_env_hash():
    """The bug the seam works around; when this fails, MLServer changed: check whether it is fixed."""
    unload = inspect.getsource(InferencePoolRegistry.unload_model)
    assert "pool = await self._find(model)" in unload and "await self._close_pool(pool.env_hash)" in unload
    assert "pool = await self._get_or_create(model)" in inspect.getsource(InferencePoolRegistry.load_model)
    assert "pool = self._default_pool" in inspect.getsource(InferencePoolRegistry._close_pool)
    find = inspect.getsource(InferencePoolRegistry._find)
    assert "return self._pools[env_hash]" in find and "return self._pools[inference_pool_gid]" in find
    tarball = inspect.getsource(InferencePoolRegistry._get_or_create_with_tarball)
    assert "self._pools.setdefault(" in tarball and "inference_pool_gid," in tarball


class Model:
    def __init__(self, gid: str | None, name: str) -> None:
        self.name = name
        self.settings = ModelSettings(name=name, implementation="mlserver.MLModel",
                                      parameters=ModelParameters(inference_pool_gid=gid))


def test_unloading_the_last_model_of_a_gid_pool_closes_that_pool_not_the_default(tmp_path, monkeypatch):
    """A real registry; its pools' workers are stubbed (no processes), and so are their
    load and unload messages, which would go to those workers."""
    from mlserver.parallel import pool as pool_module
    from mlserver.parallel.pool import InferencePool

    pool_unload.install()
    monkeypatch.setattr(pool_module, "_spawn_worker", lambda *args: type("W", (), {"pid": id(args)})())
    monkeypatch.setattr(pool_module.Dispatcher, "start", lambda self: None)

    async def load(self, model):
        self._worker_registry.add(model.settings)
        return model

    async def unload(self, model):
        self._worker_registry.remove(model.settings)
        return model

    monkeypatch.setattr(InferencePool, "load_model", load)
    monkeypatch.setattr(InferencePool, "unload_model", unload)

    async def scenario() -> list:
        registry = InferencePoolRegistry(Settings(environments_dir=str(tmp_path), parallel_workers=1))
        # the registry handles SIGCHLD from now on: give this test process its own handler back
        signal.signal(signal.SIGCHLD, registry._original_sigchld_handler)
        closed = []

        async def close_pool(env_hash=None):
            closed.append(env_hash)
            if env_hash:
                del registry._pools[env_hash]

        registry._close_pool = close_pool
        first, second = Model(None, "a"), Model("runtime_mlflow:b", "b")
        await registry.load_model(first)
        await registry.load_model(second)
        own = registry._pools["runtime_mlflow:b"]
        assert own.env_hash == "runtime_mlflow:b" and registry._default_pool.env_hash is None
        await registry.unload_model(second)
        assert registry._pools == {} and not registry._default_pool.empty()
        return closed

    assert asyncio.run(scenario()) == ["runtime_mlflow:b"]  # never None, the default pool


def test_installed_once():
    pool_unload.install()
    hooked = InferencePoolRegistry._get_or_create
    pool_unload.install()
    assert InferencePoolRegistry._get_or_create is hooked
