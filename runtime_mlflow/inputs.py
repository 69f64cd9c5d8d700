"""V2 request -> what the model takes.

Each input is decoded by its codec: the input's own ``content_type``, else the one
metadata advertises for it, else ``str`` for BYTES and ``np`` for numbers. The
decoded columns are then conformed to the model's signature (see :mod:`.conform`)
or, without a signature, combined by the request codec: the request's
``content_type``, else the model's default, else ``np`` for one input and ``pd``
for several of one length (``dict`` when their lengths differ).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from mlflow.types.schema import Schema
from mlserver.types import InferenceRequest, MetadataTensor, RequestInput

from .codecs import Column, InputCodec, RequestCodec, registry
from .codecs.base import datatype_of
from .codecs.dataframe import column_values
from .conform import conform, target_dtypes
from .errors import InvalidInput
from .lean import ColumnsPlan


@dataclass(frozen=True)
class InputPlan:
    """What decoding needs to know about a model, worked out once at load."""

    schema: Schema | None = None
    content_types: dict[str, str] = field(default_factory=dict)
    """Per-input content type advertised in metadata."""
    dtypes: dict[str, np.dtype] = field(default_factory=dict)
    """Per-input numpy dtype the signature wants, so numbers are read straight into it."""
    default_content_type: str | None = None
    lean: ColumnsPlan | None = None
    """The column signature compiled for the lean path (None: every input goes through MLflow)."""

    @classmethod
    def build(cls, schema: Schema | None, inputs: list[MetadataTensor] | None, default: str | None) -> InputPlan:
        content_types = {
            t.name: t.parameters.content_type for t in inputs or [] if t.parameters and t.parameters.content_type
        }
        dtypes = target_dtypes(schema) if schema is not None else {}
        return cls(schema, content_types, dtypes, default, ColumnsPlan.compile(schema))


def decode_request(request: InferenceRequest, plan: InputPlan) -> Any:
    """The model input for ``request``; raises InvalidInput naming what is wrong."""
    if not request.inputs:
        raise InvalidInput("the request has no inputs")
    names = [t.name for t in request.inputs]
    if len(set(names)) != len(names):
        duplicated = sorted({n for n in names if names.count(n) > 1})
        raise InvalidInput(f"input names must be unique; {', '.join(map(repr, duplicated))} arrived more than once")
    columns = [decode_input(tensor, plan) for tensor in request.inputs]
    requested = request.parameters.content_type if request.parameters else None
    content_type = requested or plan.default_content_type
    codec = _request_codec(content_type) if content_type else None
    if plan.schema is not None:
        return conform(columns, plan.schema, content_type, plan.lean)
    return (codec or _guess_request_codec(columns)).decode_request(columns)


def decode_input(tensor: RequestInput, plan: InputPlan) -> Column:
    datatype = datatype_of(tensor)
    own = tensor.parameters.content_type if tensor.parameters else None
    content_type = own or plan.content_types.get(tensor.name) or ("str" if datatype == "BYTES" else "np")
    codec = registry.get(content_type)
    if not isinstance(codec, InputCodec):
        if codec is None:
            known = registry.content_types(InputCodec)
            raise InvalidInput(
                f"input {tensor.name!r} has content type {content_type!r}, which is not known "
                f"(input content types: {', '.join(known)})"
            )
        # a request-level type (pd, dict) on an input says nothing about the input itself
        codec = registry.input_codec("str" if datatype == "BYTES" else "np")
    return Column(tensor.name, datatype, codec.decode(tensor, plan.dtypes.get(tensor.name)))


def _request_codec(content_type: str) -> RequestCodec:
    codec = registry.get(content_type)
    if not isinstance(codec, RequestCodec):
        known = registry.content_types(RequestCodec)
        raise InvalidInput(
            f"request content type {content_type!r} is not a request content type "
            f"(known: {', '.join(known)})"
        )
    return codec


def _guess_request_codec(columns: list[Column]) -> RequestCodec:
    if len(columns) == 1:
        return _request_codec("np")
    lengths = {len(column_values(c.array)) for c in columns}
    return _request_codec("pd" if len(lengths) == 1 else "dict")
