"""A loaded MLflow model as the runtime serves it: decode, predict, encode, protocols.

Everything here may import MLflow; :mod:`.runtime` imports this module only in
:meth:`MLflowRuntime.load`, in the process where the model lives.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator

from mlflow.models import Model
from mlflow.models.signature import ModelSignature
from mlserver import MLModel
from mlserver.logging import logger
from mlserver.types import InferenceRequest, InferenceResponse, MetadataTensor, Parameters

from . import heap, methods
from .admission import Admission, in_thread
from .codecs import registry
from .compat.model_settings import settings_folder
from .environments import choose, prepare
from .errors import (
    ClientError,
    CodecError,
    ModelLoadError,
    PredictionError,
    RemoteError,
    RuntimeMLflowError,
    model_failure,
)
from .hosting.group import Member
from .hosting.hosts import Local, Remote
from .hosting.placement import place
from .infra import eviction
from .infra.cache import Entry, cache_root
from .inputs import InputPlan, decode_request
from .lean import ColumnsPlan
from .metadata import INPUT_PREFIX, OUTPUT_PREFIX, params_json, request_content_type, to_metadata_tensors
from .outputs import encode_outputs
from .params import to_mlflow_params
from .protocols import ProtocolRequest, Reply, Served, answer
from .settings import RuntimeSettings
from .sources import fetch
from .streaming import streamable
from .uri import is_remote, resolve_model_path


async def load(runtime: MLModel) -> Loaded:
    """Load ``runtime``'s model (here, or in its environment's process), and set the
    runtime's inputs and outputs from its signature unless model-settings.json lists them."""
    name = runtime.name
    try:
        registry.load_entry_points()
    except CodecError as exc:
        raise ModelLoadError(f"model {name!r}: {exc}") from exc
    settings = RuntimeSettings.from_model_settings(runtime.settings)
    root = cache_root(settings.cache_dir, settings_folder(runtime.settings))
    held: list[Entry] = []  # cache entries the model uses: never evicted while it is loaded
    try:
        loaded = await _load(runtime, settings, root, held)
    except BaseException:
        for entry in held:
            entry.release()
        raise
    finally:
        await asyncio.to_thread(eviction.sweep, root)
    heap.settle()
    logger.info("Loaded MLflow model %r from %s", name, loaded.source.get("source_uri", loaded.path))
    return loaded


async def _load(runtime: MLModel, settings: RuntimeSettings, root: Path, held: list[Entry]) -> Loaded:
    name = runtime.name
    if settings.uri is not None and is_remote(settings.uri):
        fetched = await asyncio.to_thread(fetch, name, settings.uri, root)
        held.append(fetched.entry)
        path, source = fetched.path, fetched.described
    else:
        path, source = resolve_model_path(runtime.settings, settings.uri), {}
    choice = choose(runtime.settings, settings.environment, path)
    env = None
    if choice.own_process:
        env = await asyncio.to_thread(prepare, name, choice, path, root, settings.allow_local_python)
        held.append(env)
    placement = place(f"model:{name}:{runtime.version or ''}:{id(runtime)}", getattr(runtime, "workers", None),
                      choice.mode == "native", env.path if env is not None else None, settings.process_group)
    metadata = await asyncio.to_thread(_model_metadata, name, path)
    plan = ColumnsPlan.compile(metadata.signature.inputs if metadata.signature else None)
    lean = plan.described if plan is not None else None
    host: Local | Remote
    if placement.here:
        host = await Local.load(name, path, settings.method, lean)
    else:
        member = Member(Remote.new_mid(name, runtime.version), name, runtime.version, path, settings.method, lean,
                        lambda ready: setattr(runtime, "ready", ready))
        host = await Remote.load(member, placement, metadata)
    signature: ModelSignature | None = host.metadata.signature
    _sync_metadata(runtime, signature, methods.describe(host))
    return Loaded(runtime, host, settings, signature, Held(path, source, root, held))


def _model_metadata(name: str, path: Path) -> Model:
    """The model's MLmodel; ModelLoadError if there is none to read."""
    try:
        return Model.load(str(path))
    except Exception as exc:
        raise ModelLoadError(
            f"model {name!r} could not be loaded from {path}: {type(exc).__name__}: {exc}"
        ) from exc


def _sync_metadata(runtime: MLModel, signature: ModelSignature | None, method_outputs: list[MetadataTensor] | None) -> None:
    """Inputs and outputs from the signature, unless model-settings.json lists its own; with
    another method than ``predict``, the outputs that method answers (``method_outputs``)."""
    if signature is not None:
        if runtime.inputs:
            logger.info("Model %r: keeping the inputs in model-settings.json over the signature's", runtime.name)
        else:
            runtime.inputs = to_metadata_tensors(signature.inputs, INPUT_PREFIX)
    if runtime.outputs:
        logger.info("Model %r: keeping the outputs in model-settings.json over the signature's", runtime.name)
    elif method_outputs is not None:
        runtime.outputs = method_outputs
    elif signature is not None and signature.outputs is not None:
        runtime.outputs = to_metadata_tensors(signature.outputs, OUTPUT_PREFIX)


@dataclass(frozen=True)
class Held:
    """Where the loaded model came from, and the cache entries it holds in use."""

    path: Path
    source: dict[str, str]
    """What is served, for metadata (see :class:`.sources.Fetched`); empty for a local folder."""
    root: Path
    entries: list[Entry]


class Loaded:
    """One loaded model: what a request needs, compiled at load."""

    def __init__(self, runtime: MLModel, host: Local | Remote, settings: RuntimeSettings,
                 signature: ModelSignature | None, held: Held) -> None:
        self.name, self.version, self.outputs = runtime.name, runtime.version, runtime.outputs
        self.host, self.held = host, held
        self.admission = Admission(self.name, settings.max_inflight, settings.request_timeout, settings.timeout_source)
        """Its requests in flight (``max_inflight``, ``request_timeout``)."""
        self.path, self.source = held.path, held.source
        self.params_schema = signature.params if signature is not None else None
        self.streams = host.method == methods.DEFAULT and streamable(host.metadata)
        self.plan = InputPlan.build(signature.inputs if signature else None, runtime.inputs, settings.content_type)
        self.content_type = settings.content_type or (
            request_content_type(signature.inputs) if signature is not None else None
        )
        self.served = Served(
            name=self.name,
            version=self.version,
            model=host,
            predict=self.predict_input,
            xtype=settings.content_type,
            mlflow_version=host.mlflow_version,
            output_names=methods.output_names(host),
            inputs=[t.model_dump(exclude_none=True) for t in runtime.inputs or ()],
            outputs=[t.model_dump(exclude_none=True) for t in runtime.outputs or ()],
            content_type=self.content_type,
            method=settings.method,
            path=held.path,
        )

    async def unload(self) -> None:
        await self.host.close()
        for entry in self.held.entries:
            entry.release()
        self.held.entries.clear()
        await asyncio.to_thread(eviction.sweep, self.held.root)

    def metadata_parameters(self) -> Parameters:
        extra = {"params": params_json(self.params_schema)} if self.params_schema is not None else {}
        return Parameters(content_type=self.content_type, **extra, **self.source)

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        try:
            model_input, params = self.decode(payload)
            try:
                value = await self.host.predict_async(model_input, params, _rows(payload))
            except RuntimeMLflowError:
                raise
            except Exception as exc:
                raise self._failure(exc) from exc
            return self.response(payload, value, self.outputs)
        except RuntimeMLflowError:
            raise
        except Exception as exc:
            logger.exception("Model %r: unexpected error while serving a request", self.name)
            raise PredictionError(f"model {self.name!r} could not answer: {type(exc).__name__}: {exc}") from exc

    async def predict_stream(self, payloads: AsyncIterator[InferenceRequest]) -> AsyncIterator[InferenceResponse]:
        """One response per chunk the model's ``predict_stream`` yields (one response without it)."""
        async for payload in payloads:
            if not self.streams:
                yield await self.predict(payload)
                continue
            model_input, params = self.decode(payload)
            stream = self.host.stream(model_input, params, _rows(payload))
            try:
                async for chunk in stream:
                    yield self.response(payload, chunk, None)  # a chunk is not the signature's whole output
            except RuntimeMLflowError:
                raise
            except Exception as exc:  # raised by the model, starting the stream or making a chunk
                raise self._failure(exc) from exc
            finally:
                await stream.aclose()  # type: ignore[attr-defined]

    def decode(self, payload: InferenceRequest) -> tuple[Any, dict[str, Any] | None]:
        return decode_request(payload, self.plan), to_mlflow_params(payload.parameters, self.params_schema)

    def response(self, payload: InferenceRequest, value: Any, specs: list[MetadataTensor] | None) -> InferenceResponse:
        outputs, content_type = encode_outputs(value, specs, payload.outputs)
        return InferenceResponse(
            model_name=self.name,
            model_version=self.version,
            id=payload.id,
            parameters=Parameters(content_type=content_type),
            outputs=outputs,
        )

    async def answer_protocol(self, kind: str, request: ProtocolRequest) -> Reply:
        """Answer MLflow's scoring protocol, Seldon's or the API docs (see :mod:`runtime_mlflow.protocols`)."""
        return await in_thread(answer, self.served, kind, request)

    def predict_input(self, model_input: Any, params: dict[str, Any] | None) -> Any:
        """Run the model (blocking: call it from a thread); its complaints about the input are
        the client's (400), the rest 500. A proven input (see :mod:`.lean`) goes the lean way."""
        try:
            return self.host.predict(model_input, params)
        except RuntimeMLflowError:
            raise
        except Exception as exc:
            raise self._failure(exc) from exc

    def _failure(self, exc: Exception) -> RuntimeMLflowError:
        """The error to answer for an exception the model raised, here or in its own process
        (:func:`..errors.model_failure`); a failure of the model's own is logged."""
        error = model_failure(self.name, exc)
        if not isinstance(error, ClientError):
            if isinstance(exc, RemoteError):
                logger.error("Model %r failed while predicting:\n%s", self.name, exc.remote_traceback)
            else:
                logger.error("Model %r failed while predicting", self.name, exc_info=exc)
        return error


def _rows(payload: InferenceRequest) -> int:
    """The request's batch size as far as its shapes say (the first dimension, at most)."""
    return max((t.shape[0] for t in payload.inputs if t.shape), default=1)
