"""V2 request parameters -> MLflow ``params``, typed by the model's params schema.

Protocol keys are never forwarded. Strings are parsed to the declared type, because
gRPC parameters carry only bool, int64 and string (a double sent over gRPC arrives
empty). Parameters the schema does not list are dropped, as MLflow itself drops them.
"""

from __future__ import annotations

import json
from typing import Any

from mlflow.exceptions import MlflowException
from mlflow.types.schema import DataType, ParamSchema, ParamSpec
from mlserver.types import Parameters

from .codecs.casting import BOOLEAN_TEXTS
from .errors import InvalidParameter

# V2/KServe and Triton keys that describe the request, not the model's params.
PROTOCOL_KEYS = frozenset(
    {
        "content_type",
        "headers",
        "binary_data_output",
        "binary_data",
        "binary_data_size",
        "classification",
        "sequence_id",
        "sequence_start",
        "sequence_end",
        "priority",
        "timeout",
    }
)


def to_mlflow_params(parameters: Parameters | None, schema: ParamSchema | None) -> dict[str, Any] | None:
    """The ``params`` for ``pyfunc.predict``; raises InvalidParameter naming a bad one."""
    if parameters is None or schema is None:
        return None
    sent = {
        key: value
        for key, value in (parameters.model_extra or {}).items()
        if key not in PROTOCOL_KEYS and not key.startswith("triton_")
    }
    params = {spec.name: _typed(spec, sent[spec.name]) for spec in schema.params if spec.name in sent}
    return params or None


def _typed(spec: ParamSpec, value: Any) -> Any:
    label = f"{getattr(spec.dtype, 'name', spec.dtype)}{'' if spec.shape is None else ' list'}"
    if value is None:
        raise InvalidParameter(
            f"param {spec.name!r} ({label}) arrived without a value; gRPC parameters carry only "
            "bool, int64 and string, so send other types as a string"
        )
    if isinstance(value, str) and (spec.shape is not None or spec.dtype not in (DataType.string, DataType.datetime)):
        value = _parse(spec, value, label)
    try:
        return ParamSpec.validate_type_and_shape(repr(spec), value, spec.dtype, spec.shape)
    except MlflowException as exc:
        raise InvalidParameter(f"param {spec.name!r} expects {label}; {value!r} arrived ({exc.message})") from None


def _parse(spec: ParamSpec, text: str, label: str) -> Any:
    try:
        if spec.shape is not None:
            return json.loads(text)
        if spec.dtype == DataType.boolean:
            return BOOLEAN_TEXTS[text.strip().lower()]
        if spec.dtype in (DataType.integer, DataType.long):
            return int(text)
        if spec.dtype in (DataType.float, DataType.double):
            return float(text)
    except (ValueError, KeyError):
        raise InvalidParameter(f"param {spec.name!r} expects {label}; {text!r} arrived") from None
    return text
