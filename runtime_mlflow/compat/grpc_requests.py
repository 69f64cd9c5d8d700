"""gRPC ``ModelInfer`` requests MLServer cannot read: INVALID_ARGUMENT naming the input.

MLServer 1.7.1 converts a ``ModelInferRequest`` in its main process, before any model sees
it, with ``ModelInferRequestConverter``. There, ``raw_input_contents`` whose size does not
match the shape and datatype, an unknown datatype, or fewer raw contents than inputs raise
``struct.error``, ``ValueError`` or ``IndexError``, which its gRPC handler answers
``INTERNAL``, as if the server were at fault; typed contents in another datatype's field
(``bool_contents`` for an FP64 input) it reads as the declared datatype, silently. :func:`install` checks each request first
(:func:`check`), and turns what the converter still cannot read into
:class:`~runtime_mlflow.errors.InvalidInput`: ``INVALID_ARGUMENT``, with a message that
names the input, what was expected and what arrived.
"""

from __future__ import annotations

import math
import struct
from typing import Any

from ..codecs.datatypes import DATATYPES, to_dtype
from ..errors import InvalidInput
from .converters import Wrapper

WRITTEN_FOR = "mlserver 1.7.1"

ITEM_SIZES = {datatype: None if datatype == "BYTES" else to_dtype(datatype).itemsize for datatype in DATATYPES}
"""Bytes per element of each V2 datatype in ``raw_input_contents`` (BYTES: length-prefixed)."""

CONTENTS_FIELDS = {"BOOL": "bool_contents", "INT8": "int_contents", "INT16": "int_contents",
                   "INT32": "int_contents", "INT64": "int64_contents", "UINT8": "uint_contents",
                   "UINT16": "uint_contents", "UINT32": "uint_contents", "UINT64": "uint64_contents",
                   "FP32": "fp32_contents", "FP64": "fp64_contents", "BYTES": "bytes_contents"}
"""The ``InferTensorContents`` field that holds each datatype's values (FP16 has none: raw only)."""

_CONTENTS = tuple(sorted(set(CONTENTS_FIELDS.values())))


def check(request: Any) -> None:
    """Raise InvalidInput if ``request`` (a ``ModelInferRequest``) cannot be read as V2 says."""
    raw = list(request.raw_input_contents)
    for tensor in request.inputs:
        if tensor.datatype not in ITEM_SIZES:
            raise InvalidInput(f"input {tensor.name!r} has datatype {tensor.datatype!r}; expected one of "
                               + ", ".join(ITEM_SIZES))
        if any(dim < 0 for dim in tensor.shape):
            raise InvalidInput(f"input {tensor.name!r} has shape {list(tensor.shape)}; a request's dimensions "
                               "must be 0 or more")
        _check_contents_field(tensor)
    if not raw:
        return
    without = [t for t in request.inputs if not any(getattr(t.contents, f) for f in _CONTENTS)]
    if len(raw) != len(without):
        raise InvalidInput(f"{len(raw)} raw_input_contents arrived for {len(without)} inputs without contents "
                           f"({', '.join(repr(t.name) for t in without) or 'none'}); expected one each, in order")
    for tensor, contents in zip(without, raw):
        elements = math.prod(tensor.shape)
        size = ITEM_SIZES[tensor.datatype]
        if size is None:
            _check_bytes(tensor.name, list(tensor.shape), elements, contents)
        elif len(contents) != elements * size:
            raise InvalidInput(f"input {tensor.name!r}: shape {list(tensor.shape)} of {tensor.datatype} needs "
                               f"{elements * size} bytes of raw_input_contents; {len(contents)} arrived")


def _check_contents_field(tensor: Any) -> None:
    """Typed contents only in the field of the input's datatype (MLServer reads any field as it)."""
    used = [f for f in _CONTENTS if getattr(tensor.contents, f)]
    expected = CONTENTS_FIELDS.get(tensor.datatype)
    if used and used != [expected]:
        where = f"go in {expected}" if expected else "can only be sent as raw_input_contents"
        raise InvalidInput(f"input {tensor.name!r} is {tensor.datatype}, whose values {where}; "
                           f"{' and '.join(used)} arrived")


def _check_bytes(name: str, shape: list[int], elements: int, contents: bytes) -> None:
    offset, count = 0, 0
    while offset < len(contents):
        if offset + 4 > len(contents):
            raise InvalidInput(f"input {name!r}: raw BYTES contents end inside an element's 4-byte length")
        (length,) = struct.unpack_from("<I", contents, offset)
        offset += 4 + length
        count += 1
        if offset > len(contents):
            raise InvalidInput(f"input {name!r}: raw BYTES element {count} claims {length} bytes; "
                               f"only {len(contents) - offset + length} remain")
    if count != elements:
        raise InvalidInput(f"input {name!r}: shape {shape} needs {elements} BYTES elements in "
                           f"raw_input_contents; {count} arrived")


class _CheckedConverter(Wrapper):
    NAME = "ModelInferRequestConverter"

    def to_types(self, request: Any) -> Any:
        check(request)
        try:
            return self._converter.to_types(request)
        except (ValueError, TypeError, KeyError, IndexError, OverflowError, struct.error) as exc:
            raise InvalidInput(f"the request could not be read: {type(exc).__name__}: {exc}") from None


install = _CheckedConverter.install
"""Check MLServer's gRPC requests before its converter reads them (once)."""
engaged = _CheckedConverter.engaged
