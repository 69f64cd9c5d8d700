"""``np``: a tensor as a numpy array; a request as one array (or its inputs side by side)."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import pandas as pd
from mlserver.types import RequestInput, ResponseOutput

from runtime_mlflow.errors import InvalidInput

from .base import (
    Column,
    InputCodec,
    RequestCodec,
    as_column,
    datatype_of,
    flat_elements,
    object_array,
    response_output,
    shaped,
)
from .casting import cast
from .datatypes import to_datatype, to_dtype
from .registry import register_codec

_NUMERIC_OBJECTS = frozenset({"integer", "floating", "mixed-integer-float", "boolean"})


def to_array(value: Any) -> np.ndarray:
    """Any array-like model output as an array of rank >= 1 (ragged lists become objects)."""
    if isinstance(value, (pd.Series, pd.Index)):
        values: np.ndarray = value.to_numpy()
        return values
    if isinstance(value, np.ndarray):
        return value.reshape(1) if value.ndim == 0 else value
    if isinstance(value, (list, tuple)):
        try:
            return np.asarray(value)
        except ValueError:
            return object_array(value)
    return np.asarray([value])


@register_codec
class NumpyCodec(InputCodec, RequestCodec):
    content_type = "np"
    fallback = True

    def decode(self, tensor: RequestInput, dtype: np.dtype | None = None) -> np.ndarray:
        datatype = datatype_of(tensor)
        declared = to_dtype(datatype)
        if declared.kind == "O":
            return shaped(tensor, object_array(flat_elements(tensor)))
        try:
            array = np.asarray(tensor.data.root)
        except ValueError as exc:
            raise InvalidInput(f"input {tensor.name!r} has ragged data ({exc})") from None
        # JSON numbers go straight to the dtype the model wants: 7.4 sent as FP32 for a
        # double column stays 7.4 rather than becoming float32(7.4) widened again.
        target = dtype if dtype is not None and dtype.kind in "biuf" else declared
        expected = datatype if target == declared else to_datatype(target)
        if target != declared:
            _fits_declared(array, declared, datatype, tensor.name)
        if target.kind in "iu" and _whole_numbers(array):
            # numpy infers float64 (or object) for integers beyond int64, losing digits
            # or range: whole numbers are read again straight into the target, exactly.
            try:
                array = np.asarray(tensor.data.root, dtype=target)
            except OverflowError as exc:
                raise InvalidInput(f"input {tensor.name!r} expects {expected} values; {exc}") from None
        array = cast(array.ravel(), target, tensor.name, expected, _arrived(array, datatype))
        return shaped(tensor, array)

    def can_encode(self, array: np.ndarray) -> bool:
        if array.dtype.kind in "biuf":
            return True
        return array.dtype.kind == "O" and pd.api.types.infer_dtype(array.ravel(), skipna=False) in _NUMERIC_OBJECTS

    def encode(self, name: str, array: np.ndarray) -> ResponseOutput:
        if array.dtype.kind == "O":
            array = np.asarray(array.tolist())
        return response_output(name, array, array.ravel().tolist(), datatype=to_datatype(array.dtype))

    def decode_request(self, columns: Sequence[Column]) -> np.ndarray:
        if len(columns) == 1:
            return columns[0].array
        arrays = [as_column(c.array) for c in columns]
        lengths = {c.name: len(a) if a.ndim else 1 for c, a in zip(columns, arrays)}
        if any(a.ndim != 1 for a in arrays) or len(set(lengths.values())) != 1:
            raise InvalidInput(
                "content type 'np' stacks several inputs as the columns of one array, so each "
                "must have shape [N] or [N, 1] with the same N; got "
                + ", ".join(f"{c.name!r} {list(c.array.shape)}" for c in columns)
            )
        return np.column_stack(arrays)

    def can_encode_value(self, value: Any) -> bool:
        return True

    def encode_value(self, value: Any) -> list[tuple[str | None, np.ndarray]]:
        return [(None, to_array(value))]


def _fits_declared(array: np.ndarray, declared: np.dtype, datatype: str, name: str) -> None:
    """Raise InvalidInput unless every value is one of the datatype the client declared
    (300 is no UINT8, 1.5 no INT64, 1e300 no FP32), though the model wants another type.
    JSON does not tell 2.0 from 2: a whole number is an integer whatever its spelling."""
    if declared.kind == "f":
        if declared.itemsize >= 8 or array.dtype.kind != "f" or not array.size:
            return  # every JSON number is a double; an integer array's values are finite
        peak = float(np.max(np.abs(array)))
        if peak > float(np.finfo(declared).max) and math.isfinite(peak):
            raise InvalidInput(f"input {name!r} is declared {datatype}; {peak!r} is out of its range "
                               f"[{np.finfo(declared).min}, {np.finfo(declared).max}]")
        return
    cast(array.ravel(), declared, name, datatype, _arrived(array, datatype))


def _whole_numbers(array: np.ndarray) -> bool:
    """Numbers without fractions that numpy did not infer as integers."""
    if array.dtype.kind == "f":
        return bool(np.isfinite(array).all() and (array % 1 == 0).all())
    return array.dtype.kind == "O" and pd.api.types.infer_dtype(array.ravel(), skipna=False) == "integer"


def _arrived(array: np.ndarray, declared: str) -> str:
    """How the data looked: its declared datatype, or what JSON actually held."""
    if array.dtype.kind in "US":
        return f"{declared} with strings"
    return declared
