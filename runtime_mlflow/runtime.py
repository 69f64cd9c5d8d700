"""The MLServer runtime: load an MLflow pyfunc model, answer V2 inference requests."""

from __future__ import annotations

import asyncio
from typing import Any

import mlflow.pyfunc
from mlflow.exceptions import MlflowException
from mlflow.models.signature import ModelSignature
from mlserver import MLModel
from mlserver.logging import logger
from mlserver.types import InferenceRequest, InferenceResponse, MetadataModelResponse, Parameters

from .codecs import registry
from .errors import (
    CodecError,
    ModelInputError,
    ModelLoadError,
    PredictionError,
    RuntimeMLflowError,
)
from .inputs import InputPlan, decode_request
from .metadata import INPUT_PREFIX, OUTPUT_PREFIX, params_json, request_content_type, to_metadata_tensors
from .outputs import encode_outputs
from .params import to_mlflow_params
from .settings import RuntimeSettings
from .uri import resolve_model_path

# MLflow error codes that mean the input or params did not fit the model's schema.
_CLIENT_ERROR_CODES = frozenset({"INVALID_PARAMETER_VALUE", "BAD_REQUEST"})
# Exceptions a model raises about the input it was given (MLflow's scoring server answers 400).
_INPUT_EXCEPTIONS = (ValueError, TypeError, KeyError)


class MLflowRuntime(MLModel):
    """Serves an MLflow pyfunc model; inputs, outputs and params follow its signature."""

    async def load(self) -> bool:
        try:
            registry.load_entry_points()
        except CodecError as exc:
            raise ModelLoadError(f"model {self.name!r}: {exc}") from exc
        settings = RuntimeSettings.from_model_settings(self.settings)
        path = resolve_model_path(self.settings, settings.uri)
        try:
            self._model = await asyncio.to_thread(mlflow.pyfunc.load_model, str(path))
        except Exception as exc:
            raise ModelLoadError(
                f"model {self.name!r} could not be loaded from {path}: {type(exc).__name__}: {exc}"
            ) from exc
        signature: ModelSignature | None = self._model.metadata.signature
        self._sync_metadata(signature)
        self._params_schema = signature.params if signature is not None else None
        self._plan = InputPlan.build(signature.inputs if signature else None, self.inputs, settings.content_type)
        self._content_type = settings.content_type or (
            request_content_type(signature.inputs) if signature is not None else None
        )
        logger.info("Loaded MLflow model %r from %s", self.name, path)
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
        response.parameters = Parameters(content_type=self._content_type, **extra)
        return response

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        try:
            model_input = decode_request(payload, self._plan)
            params = to_mlflow_params(payload.parameters, self._params_schema)
            value = await asyncio.to_thread(self._predict, model_input, params)
            outputs, content_type = encode_outputs(value, self.outputs, payload.outputs)
        except RuntimeMLflowError:
            raise
        except Exception as exc:
            logger.exception("Model %r: unexpected error while serving a request", self.name)
            raise PredictionError(f"model {self.name!r} could not answer: {type(exc).__name__}: {exc}") from exc
        return InferenceResponse(
            model_name=self.name,
            model_version=self.version,
            id=payload.id,
            parameters=Parameters(content_type=content_type),
            outputs=outputs,
        )

    def _predict(self, model_input: Any, params: dict[str, Any] | None) -> Any:
        """Run the model; its complaints about the input are the client's (400), the rest 500."""
        try:
            return self._model.predict(model_input, params=params)
        except MlflowException as exc:
            if exc.error_code in _CLIENT_ERROR_CODES:
                raise ModelInputError(f"model {self.name!r} rejected the input: {exc.message}") from exc
            logger.exception("Model %r failed while predicting", self.name)
            raise PredictionError(f"model {self.name!r} failed while predicting: {exc.message}") from exc
        except _INPUT_EXCEPTIONS as exc:
            raise ModelInputError(f"model {self.name!r} rejected the input: {type(exc).__name__}: {exc}") from exc
        except Exception as exc:
            logger.exception("Model %r failed while predicting", self.name)
            raise PredictionError(f"model {self.name!r} failed while predicting: {type(exc).__name__}: {exc}") from exc
