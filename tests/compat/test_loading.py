"""Contract of the MLServer internals behind ``runtime_mlflow.compat.loading`` (written for
MLServer 1.7.1): if one of these fails after an MLServer upgrade, the seam needs a look."""

from __future__ import annotations

import asyncio
import inspect

from mlserver import MLModel
from mlserver.batching import load_batching
from mlserver.rest.server import RESTServer
from mlserver.server import MLServer
from mlserver.settings import ModelSettings

from runtime_mlflow.compat import loading


def test_custom_handlers_are_added_before_mlserver_loads_batching():
    source = inspect.getsource(MLServer._create_model_registry)
    first = source.index("self.add_custom_handlers")
    assert first < source.index("load_batching", first), "our hook must run before MLServer's batching"


def test_the_rest_server_keeps_its_app_data_plane_and_settings_where_the_hook_reads_them():
    source = inspect.getsource(RESTServer.__init__)
    assert "self._app" in source and "self._data_plane" in source and "self._settings = settings" in source


def test_mlserver_keys_its_response_cache_by_the_requests_json():
    """Why the hook passes ``arrays=not cache_enabled``: pydantic cannot dump an array as JSON."""
    from mlserver.handlers import DataPlane

    assert "payload.model_dump_json()" in inspect.getsource(DataPlane.infer)


def test_the_hook_is_engaged_once():
    from runtime_mlflow.runtime import is_ours

    loading.install(is_ours)
    hooked = RESTServer.add_custom_handlers
    assert loading.engaged()
    loading.install(is_ours)
    assert RESTServer.add_custom_handlers is hooked


def test_mlserver_leaves_a_model_with_batch_size_one_alone():
    class Plain(MLModel):
        async def predict(self, payload):  # pragma: no cover - never called
            raise NotImplementedError

    model = Plain(ModelSettings(name="m", implementation=Plain, max_batch_size=1, max_batch_time=0.5))
    before = model.predict
    asyncio.run(load_batching(model))
    assert model.predict == before
