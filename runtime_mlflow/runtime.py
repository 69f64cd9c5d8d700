"""The MLServer runtime: where a model is placed, and the MLModel methods MLServer calls.

MLServer imports this class in its main process also when the model itself runs in a
worker, where it is never loaded; so this module imports no MLflow (0.4 s and 40 MB of
MLServer's start and memory). The loaded model, and all that needs MLflow, is
:mod:`.loaded`, imported by :meth:`MLflowRuntime.load` where the model lives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, AsyncIterator

from mlserver import MLModel
from mlserver.settings import ModelSettings
from mlserver.types import InferenceRequest, InferenceResponse, MetadataModelResponse

from . import compat, heap
from .compat.placement import load_in_main_process, own_pool
from .environments import choose
from .errors import PredictionError, RuntimeMLflowError
from .protocols import ProtocolRequest, Reply
from .settings import RuntimeSettings
from .streaming import streamable_folder
from .uri import is_remote, resolve_model_path

if TYPE_CHECKING:
    from .loaded import Loaded


def is_ours(model: MLModel) -> bool:
    """Whether MLServer's ``model`` is served by this runtime (an implementation that cannot be
    imported is not)."""
    try:
        return issubclass(model.settings.implementation, MLflowRuntime)
    except Exception:
        return False




class MLflowRuntime(MLModel):
    """Serves an MLflow pyfunc model; inputs, outputs and params follow its signature.

    A model with an environment of its own (``environment.tar.gz`` beside it, or the
    ``environment`` parameter) runs in a process started with that environment's Python.
    """

    def __init__(self, settings: ModelSettings) -> None:
        # MLServer makes the model before it loads it, in its main process and in a worker:
        # the first one installs the patches this runtime needs there (see runtime_mlflow.compat)
        compat.install(is_ours)
        super().__init__(settings)
        self._loaded: Loaded | None = None
        if self._placed_in_main_process():
            load_in_main_process(self.settings)
        else:
            own_pool(self.settings)

    def _placed_in_main_process(self) -> bool:
        """Models with their own process, and models that stream (MLServer's workers cannot)."""
        try:
            settings = RuntimeSettings.from_model_settings(self.settings)
            path = None if is_remote(settings.uri) else resolve_model_path(self.settings, settings.uri)
            choice = choose(self.settings, settings.environment, path)
        except RuntimeMLflowError:
            return False  # load() raises the same error where MLServer reports it
        own_environment = self.settings.parameters is not None and bool(self.settings.parameters.environment_tarball)
        return choice.own_process or (path is not None and not own_environment and streamable_folder(path))

    async def load(self) -> bool:
        from . import loaded

        self._loaded = await loaded.load(self)
        return True

    async def unload(self) -> bool:
        if self._loaded is not None:
            await self._loaded.unload()
            self._loaded = None
        heap.release()
        return True

    def _serving(self) -> Loaded:
        if self._loaded is None:
            raise PredictionError(f"model {self.name!r} is not loaded")
        return self._loaded

    async def metadata(self) -> MetadataModelResponse:
        response = await super().metadata()
        if self._loaded is not None:
            response.parameters = self._loaded.metadata_parameters()
        return response

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        return await self._serving().predict(payload)

    async def predict_stream(self, payloads: AsyncIterator[InferenceRequest]) -> AsyncIterator[InferenceResponse]:
        """One response per chunk the model's ``predict_stream`` yields (one response without it)."""
        async for response in self._serving().predict_stream(payloads):
            yield response

    async def answer_protocol(self, kind: str, request: ProtocolRequest) -> Reply:
        """Answer MLflow's scoring protocol or Seldon's (see :mod:`runtime_mlflow.protocols`)."""
        return await self._serving().answer_protocol(kind, request)
