"""After a load the model's objects are frozen out of full collections; after an unload
the model can be collected, and the survivors are frozen again."""

from __future__ import annotations

import asyncio
import gc
import weakref

from mlserver.settings import ModelParameters, ModelSettings

from runtime_mlflow import MLflowRuntime, heap


def test_load_freezes_and_unload_lets_the_model_go(model_dirs, monkeypatch):
    monkeypatch.setattr(heap, "REFREEZE_AFTER", 0.05)

    async def go():
        runtime = MLflowRuntime(ModelSettings(name="m", implementation=MLflowRuntime,
                                              parameters=ModelParameters(uri=str(model_dirs["wine"]))))
        await runtime.load()
        hosted = runtime._loaded.host.hosted.model
        hosted.cycle = [hosted]  # many models hold cycles; only the collector frees them
        heap.settle()
        frozen = gc.get_freeze_count()
        model = weakref.ref(hosted)
        del hosted
        await runtime.unload()
        await asyncio.sleep(0)
        gc.collect()
        alive_after_unload = model() is not None
        await asyncio.sleep(0.2)
        return frozen, alive_after_unload, gc.get_freeze_count()

    try:
        frozen, alive_after_unload, refrozen = asyncio.run(go())
        assert frozen > 0
        assert not alive_after_unload, "the unloaded model is still alive"
        assert refrozen > 0, "the surviving objects were not frozen again"
    finally:
        gc.unfreeze()
