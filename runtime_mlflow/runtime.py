"""The MLServer runtime: the MLModel methods MLServer calls.

MLServer imports this class in its main process also when the model itself runs in one of
its workers (MLServer's own ``environment_tarball``), where it is never loaded; so this module
imports no MLflow (0.4 s and 40 MB of MLServer's start and memory). The loaded model, and
all that needs MLflow, is :mod:`.loaded`, imported by :meth:`MLflowRuntime.load`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, AsyncIterator

from mlserver import MLModel
from mlserver.settings import ModelSettings
from mlserver.types import InferenceRequest, InferenceResponse, MetadataModelResponse

from . import compat, heap
from .compat import lifecycle as compat_lifecycle
from .compat.loading import server_settings
from .compat.placement import load_in_main_process
from .errors import PredictionError, TimedOut
from .protocols import ProtocolRequest, Reply
from .protocols.reply import SCORING_TIMEOUT, scoring_timeout
from .protocols.table import BY_NAME

if TYPE_CHECKING:
    from .loaded import Loaded

# MLServer imports this module while it reads the model settings, before it makes its server:
# its start, stop (the drain) and readiness must be this runtime's by then (see compat.lifecycle)
compat_lifecycle.install()


def is_ours(model: MLModel) -> bool:
    """Whether MLServer's ``model`` is served by this runtime (an implementation that cannot be
    imported is not)."""
    try:
        return issubclass(model.settings.implementation, MLflowRuntime)
    except Exception:
        return False


class MLflowRuntime(MLModel):
    """Serves an MLflow pyfunc model; inputs, outputs and params follow its signature.

    MLServer keeps the model in its main process; the runtime runs it in model processes
    forked from a warm template, or in this process with ``parallel_workers: 0`` (see
    :mod:`.hosting.placement`). A model with an environment of its own (``environment.tar.gz``
    beside it, or the ``environment`` parameter) runs in processes of that environment's Python.
    """

    def __init__(self, settings: ModelSettings) -> None:
        # MLServer makes the model before it loads it, in its main process and in a worker:
        # the first one installs the patches this runtime needs there (see runtime_mlflow.compat)
        compat.install(is_ours)
        super().__init__(settings)
        self._loaded: Loaded | None = None
        self._own_workers: int | None = None
        params = self.settings.parameters
        if params is None or not (params.environment_tarball or params.environment_path):
            self._own_workers = load_in_main_process(self.settings)

    @property
    def workers(self) -> int | None:
        """How many processes the model gets: MLServer's ``parallel_workers`` (the model's own
        deprecated field, else the server's); None outside MLServer's server."""
        if self._own_workers is not None:
            return self._own_workers
        server = server_settings()
        return server.parallel_workers if server is not None else None

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
        """Admit the request (``max_inflight``, ``request_timeout``: :mod:`.admission`), then answer it."""
        return await self._serving().admission.run(self.predict_admitted, payload)

    async def predict_admitted(self, payload: InferenceRequest) -> InferenceResponse:
        """Answer an admitted request (adaptive batching replaces this: :mod:`.batching`)."""
        return await self._serving().predict(payload)

    async def predict_stream(self, payloads: AsyncIterator[InferenceRequest]) -> AsyncIterator[InferenceResponse]:
        """One response per chunk the model's ``predict_stream`` yields (one response without it);
        the stream is one admitted request, each chunk within ``request_timeout``."""
        serving = self._serving()
        stream = serving.admission.stream(serving.predict_stream(payloads))
        try:
            async for response in stream:
                yield response
        finally:
            await stream.aclose()  # type: ignore[attr-defined]

    async def answer_protocol(self, kind: str, request: ProtocolRequest) -> Reply:
        """Answer MLflow's scoring protocol or Seldon's (see :mod:`runtime_mlflow.protocols`);
        a prediction is admitted as :meth:`predict`'s are, and ``/invocations`` keeps
        ``MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT`` when it is set."""
        serving, found = self._serving(), BY_NAME.get(kind)
        if found is None or found.counted is None:
            return await serving.answer_protocol(kind, request)
        timeout, source = scoring_timeout() if found.timed else (None, None)
        try:
            return await serving.admission.run(serving.answer_protocol, kind, request, timeout=timeout, source=source)
        except TimedOut:
            if source is None:
                raise
            return SCORING_TIMEOUT  # MLflow's own limit: MLflow's own answer
