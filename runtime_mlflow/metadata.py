"""MLflow signatures -> V2 metadata tensors, in one place.

A ColSpec column is a 1-D tensor ``[-1]`` (one value per row); a TensorSpec keeps
its shape. Unnamed inputs and outputs are called ``input-<i>`` / ``output-<i>``.
"""

from __future__ import annotations

import numpy as np
from mlflow.types.schema import ColSpec, DataType, ParamSchema, Schema, TensorSpec
from mlserver.types import MetadataTensor, Parameters

from .codecs import to_datatype

INPUT_PREFIX = "input-"
OUTPUT_PREFIX = "output-"

# MLflow column type -> (V2 datatype, numpy dtype the model gets, content type on the wire)
COLUMN_TYPES: dict[DataType, tuple[str, np.dtype | None, str]] = {
    DataType.boolean: ("BOOL", np.dtype(bool), "np"),
    DataType.integer: ("INT32", np.dtype(np.int32), "np"),
    DataType.long: ("INT64", np.dtype(np.int64), "np"),
    DataType.float: ("FP32", np.dtype(np.float32), "np"),
    DataType.double: ("FP64", np.dtype(np.float64), "np"),
    DataType.string: ("BYTES", None, "str"),
    DataType.binary: ("BYTES", None, "base64"),
    DataType.datetime: ("BYTES", None, "datetime"),
}
# NOTE: Array, Object, Map and Any columns travel as one JSON document per element.
JSON_COLUMN = ("BYTES", None, "json")


def spec_name(spec: ColSpec | TensorSpec, index: int, prefix: str) -> str:
    return spec.name if spec.name is not None else f"{prefix}{index}"


def column_type(spec: ColSpec) -> tuple[str, np.dtype | None, str]:
    """(V2 datatype, numpy dtype or None, content type) for a column."""
    return COLUMN_TYPES.get(spec.type, JSON_COLUMN) if isinstance(spec.type, DataType) else JSON_COLUMN


def to_metadata_tensors(schema: Schema, prefix: str) -> list[MetadataTensor]:
    """One metadata tensor per column or tensor of ``schema``."""
    tensors = []
    for index, spec in enumerate(schema.inputs):
        if isinstance(spec, TensorSpec):
            datatype, shape, content_type = to_datatype(spec.type), list(spec.shape), "np"
        else:
            datatype, _, content_type = column_type(spec)
            shape = [-1]
        tensors.append(
            MetadataTensor(
                name=spec_name(spec, index, prefix),
                datatype=datatype,
                shape=shape,
                parameters=Parameters(content_type=content_type),
            )
        )
    return tensors


def request_content_type(schema: Schema) -> str:
    """What MLflow hands the model: columns -> ``pd``, named tensors -> ``dict``, else ``np``."""
    if not schema.is_tensor_spec():
        return "pd"
    return "dict" if schema.has_input_names() else "np"


def params_json(schema: ParamSchema | None) -> str | None:
    """The params schema as MLflow writes it in MLmodel (a JSON string: gRPC metadata
    parameters carry only bool, int64 and string)."""
    return schema.to_json() if schema is not None else None
