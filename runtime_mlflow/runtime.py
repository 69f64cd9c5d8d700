"""The MLServer runtime: load an MLflow pyfunc model, answer V2 inference requests."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, AsyncIterator

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.models.signature import ModelSignature
from mlflow.pyfunc import PyFuncModel
from mlserver import MLModel
from mlserver.logging import logger
from mlserver.settings import ModelSettings
from mlserver.types import InferenceRequest, InferenceResponse, MetadataModelResponse, Parameters

from . import grpc_stream, heap
from .codecs import registry
from .compat import load, loading
from .compat.pyfunc import DirectPredict, direct_predict
from .dispatch import Dispatcher
from .environments import Choice, choose, prepare
from .environments.cache import cache_root
from .environments.process import RemoteError
from .environments.supervisor import RemoteModel, Supervisor
from .errors import (
    CodecError,
    ModelInputError,
    ModelLoadError,
    PredictionError,
    RuntimeMLflowError,
)
from .inputs import InputPlan, decode_request
from .lean import Proven
from .metadata import INPUT_PREFIX, OUTPUT_PREFIX, params_json, request_content_type, to_metadata_tensors
from .outputs import encode_outputs
from .params import to_mlflow_params
from .placement import load_in_main_process, own_pool
from .protocols import ProtocolRequest, Reply, Served, answer
from .settings import RuntimeSettings
from .streaming import chunks, streamable, streamable_folder
from .sources import fetch, is_remote
from .uri import resolve_model_path, settings_folder

loading.install()  # routes and batching, in MLServer's main process, when it loads a model of this runtime
grpc_stream.install()  # ModelStreamInfer in the message tritonclient reads

# MLflow error codes that mean the input or params did not fit the model's schema.
_CLIENT_ERROR_CODES = frozenset({"INVALID_PARAMETER_VALUE", "BAD_REQUEST"})
# Exceptions a model raises about the input it was given (MLflow's scoring server answers 400).
_INPUT_EXCEPTIONS = (ValueError, TypeError, KeyError)


class MLflowRuntime(MLModel):
    """Serves an MLflow pyfunc model; inputs, outputs and params follow its signature.

    A model with an environment of its own (``environment.tar.gz`` beside it, or the
    ``environment`` parameter) runs in a process started with that environment's Python.
    """

    def __init__(self, settings: ModelSettings) -> None:
        super().__init__(settings)
        self._supervisor: Supervisor | None = None
        self._source: dict[str, str] = {}
        self._served: Served | None = None
        self._streams = False
        self._direct: DirectPredict | None = None
        self._dispatcher = Dispatcher()
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
        try:
            registry.load_entry_points()
        except CodecError as exc:
            raise ModelLoadError(f"model {self.name!r}: {exc}") from exc
        settings = RuntimeSettings.from_model_settings(self.settings)
        root = cache_root(settings.cache_dir, settings_folder(self.settings))
        if is_remote(settings.uri):
            fetched = await asyncio.to_thread(fetch, self.name, settings.uri, root)
            path, self._source = fetched.path, fetched.described
        else:
            path, self._source = resolve_model_path(self.settings, settings.uri), {}
        choice = choose(self.settings, settings.environment, path)
        if choice.own_process:
            self._model = await self._load_in_environment(choice, path, settings, root)
        else:
            self._model = await self._load_here(path)
        signature: ModelSignature | None = self._model.metadata.signature
        self._sync_metadata(signature)
        self._params_schema = signature.params if signature is not None else None
        self._streams = streamable(self._model.metadata)
        self._direct = direct_predict(self._model)
        self._plan = InputPlan.build(signature.inputs if signature else None, self.inputs, settings.content_type)
        self._content_type = settings.content_type or (
            request_content_type(signature.inputs) if signature is not None else None
        )
        self._served = Served(
            name=self.name,
            version=self.version,
            model=self._model,
            predict=self._predict,
            xtype=settings.content_type,
            mlflow_version=getattr(self._model, "mlflow_version", mlflow.__version__),
        )
        heap.settle()
        logger.info("Loaded MLflow model %r from %s", self.name, self._source.get("source_uri", path))
        return True

    async def _load_here(self, path: Path) -> PyFuncModel:
        try:
            return await asyncio.to_thread(load.load_model, path)
        except Exception as exc:
            raise ModelLoadError(
                f"model {self.name!r} could not be loaded from {path}: {type(exc).__name__}: {exc}"
            ) from exc

    async def _load_in_environment(self, choice: Choice, path: Path, settings: RuntimeSettings,
                                   root: Path) -> RemoteModel:
        env = await asyncio.to_thread(prepare, self.name, choice, path, root, settings.allow_local_python)
        supervisor = Supervisor(self.name, env, path, self._set_ready)
        await supervisor.start()
        self._supervisor = supervisor
        return RemoteModel(supervisor, path)

    def _set_ready(self, ready: bool) -> None:
        self.ready = ready

    async def unload(self) -> bool:
        if self._supervisor is not None:
            await self._supervisor.stop()
            self._supervisor = None
        self._model = self._served = self._direct = None  # type: ignore[assignment]
        heap.release()
        return True

    def _sync_metadata(self, signature: ModelSignature | None) -> None:
        """Inputs and outputs from the signature, unless model-settings.json lists its own."""
        if signature is None:
            return
        if self.inputs:
            logger.info("Model %r: keeping the inputs in model-settings.json over the signature's", self.name)
        else:
            self.inputs = to_metadata_tensors(signature.inputs, INPUT_PREFIX)
        if self.outputs:
            logger.info("Model %r: keeping the outputs in model-settings.json over the signature's", self.name)
        elif signature.outputs is not None:
            self.outputs = to_metadata_tensors(signature.outputs, OUTPUT_PREFIX)

    async def metadata(self) -> MetadataModelResponse:
        response = await super().metadata()
        extra = {"params": params_json(self._params_schema)} if self._params_schema is not None else {}
        response.parameters = Parameters(content_type=self._content_type, **extra, **self._source)
        return response

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        try:
            model_input, params = self._decode(payload)
            value = await self._dispatcher.run(_rows(payload), self._predict, model_input, params)
            return self._response(payload, value, self.outputs)
        except RuntimeMLflowError:
            raise
        except Exception as exc:
            logger.exception("Model %r: unexpected error while serving a request", self.name)
            raise PredictionError(f"model {self.name!r} could not answer: {type(exc).__name__}: {exc}") from exc

    async def predict_stream(self, payloads: AsyncIterator[InferenceRequest]) -> AsyncIterator[InferenceResponse]:
        """One response per chunk the model's ``predict_stream`` yields (one response without it)."""
        async for payload in payloads:
            if not self._streams:
                yield await self.predict(payload)
                continue
            model_input, params = self._decode(payload)
            if isinstance(model_input, Proven):
                model_input = model_input.frame
            stream = chunks(lambda: self._model.predict_stream(model_input, params=params))
            try:
                async for chunk in stream:
                    yield self._response(payload, chunk, None)  # a chunk is not the signature's whole output
            except RuntimeMLflowError:
                raise
            except Exception as exc:  # raised by the model, starting the stream or making a chunk
                raise self._failure(exc) from exc
            finally:
                await stream.aclose()

    def _decode(self, payload: InferenceRequest) -> tuple[Any, dict[str, Any] | None]:
        return decode_request(payload, self._plan), to_mlflow_params(payload.parameters, self._params_schema)

    def _response(self, payload: InferenceRequest, value: Any, specs: list | None) -> InferenceResponse:
        outputs, content_type = encode_outputs(value, specs, payload.outputs)
        return InferenceResponse(
            model_name=self.name,
            model_version=self.version,
            id=payload.id,
            parameters=Parameters(content_type=content_type),
            outputs=outputs,
        )

    async def answer_protocol(self, kind: str, request: ProtocolRequest) -> Reply:
        """Answer MLflow's scoring protocol or Seldon's (see :mod:`runtime_mlflow.protocols`)."""
        if self._served is None:
            raise PredictionError(f"model {self.name!r} is not loaded")
        return await asyncio.to_thread(answer, self._served, kind, request)

    def _predict(self, model_input: Any, params: dict[str, Any] | None) -> Any:
        """Run the model; its complaints about the input are the client's (400), the rest 500.

        A proven input (see :mod:`.lean`) goes straight to the flavor's predict function
        where the flavor allows it; everything else through ``PyFuncModel.predict``.
        """
        try:
            if isinstance(model_input, Proven):
                if self._direct is not None:
                    return self._direct(model_input.frame, params)
                model_input = model_input.frame
            return self._model.predict(model_input, params=params)
        except RuntimeMLflowError:
            raise
        except Exception as exc:
            raise self._failure(exc) from exc

    def _failure(self, exc: Exception) -> RuntimeMLflowError:
        """The error to answer for an exception the model raised, here or in its own process."""
        if isinstance(exc, RemoteError):
            is_mlflow = exc.is_a(MlflowException)
            input_like = any(exc.is_a(cls) for cls in _INPUT_EXCEPTIONS)
            code, message, described = exc.error_code, exc.message, f"{exc.type_name}: {exc.message}"
        else:
            is_mlflow = isinstance(exc, MlflowException)
            input_like = isinstance(exc, _INPUT_EXCEPTIONS)
            code = getattr(exc, "error_code", None)
            message, described = getattr(exc, "message", str(exc)), f"{type(exc).__name__}: {exc}"
        text = message if is_mlflow else described
        if (is_mlflow and code in _CLIENT_ERROR_CODES) or (not is_mlflow and input_like):
            return ModelInputError(f"model {self.name!r} rejected the input: {text}")
        if isinstance(exc, RemoteError):
            logger.error("Model %r failed while predicting:\n%s", self.name, exc.remote_traceback)
        else:
            logger.error("Model %r failed while predicting", self.name, exc_info=exc)
        return PredictionError(f"model {self.name!r} failed while predicting: {text}")


def _rows(payload: InferenceRequest) -> int:
    """The request's batch size as far as its shapes say (the first dimension, at most)."""
    return max((t.shape[0] for t in payload.inputs if t.shape), default=1)
