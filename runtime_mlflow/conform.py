"""Decoded columns -> what the model's signature requires, as MLflow's scoring server does.

Columns (ColSpec) always become a DataFrame with each column cast to its type;
tensors (TensorSpec) become an array (unnamed) or a dict of arrays (named), each cast
to its dtype and checked against its shape, unless the request asked for ``pd``.
A single ``[N, k]`` input for a model of k columns is split into those columns.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
from mlflow.types.schema import ColSpec, DataType, Schema, TensorSpec

from .codecs import Column, cast, registry, to_datatype
from .codecs.base import columns_of
from .codecs.dataframe import column_values
from .errors import InvalidInput
from .lean import ColumnsPlan, Proven
from .metadata import INPUT_PREFIX, column_type, spec_name


def target_dtypes(schema: Schema) -> dict[str, np.dtype]:
    """Numeric dtype per named input, for codecs to read numbers straight into."""
    dtypes = {}
    for index, spec in enumerate(schema.inputs):
        dtype = spec.type if isinstance(spec, TensorSpec) else column_type(spec)[1]
        if dtype is not None and spec.name is not None:
            dtypes[spec_name(spec, index, INPUT_PREFIX)] = np.dtype(dtype)
    return dtypes


def conform(columns: Sequence[Column], schema: Schema, content_type: str | None,
            lean: ColumnsPlan | None = None) -> Any:
    """The model input for ``columns``; raises InvalidInput naming the input at fault.

    With ``lean`` (the signature's compiled plan), a frame that MLflow's enforcement would
    leave unchanged comes back as :class:`~runtime_mlflow.lean.Proven`.
    """
    if schema.is_tensor_spec():
        if content_type == "pd":
            return registry.request_codec("pd").decode_request(columns)
        return _conform_tensors(columns, schema)
    return _conform_columns(columns, schema, lean)


def _match(columns: Sequence[Column], specs: list[Any], named: bool, kind: str) -> list[tuple[str, Any, Column]]:
    """``(name, spec, column)`` for each spec that has a column, by name (or by position
    when the signature has no names, or one tensor meets one input: a single tensor's
    name is often unknown to clients, while a column's name is what the model uses)."""
    names = [spec_name(s, i, INPUT_PREFIX) for i, s in enumerate(specs)]
    if not named or (kind == "tensor" and len(specs) == 1 and len(columns) == 1):
        if len(columns) != len(specs):
            raise InvalidInput(
                f"the model takes {len(specs)} {kind}{'s' if len(specs) > 1 else ''} "
                f"({', '.join(names)}); {len(columns)} inputs arrived"
            )
        return list(zip(names, specs, columns))
    by_name = {c.name: c for c in columns}
    unknown = [c.name for c in columns if c.name not in names]
    missing = [s.name for s in specs if getattr(s, "required", True) and s.name not in by_name]
    if unknown or missing:
        parts = []
        if missing:
            parts.append(f"missing {kind}{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}")
        if unknown:
            parts.append(f"unknown input{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}")
        raise InvalidInput(f"{'; '.join(parts)} (the model takes {', '.join(map(repr, names))})")
    return [(s.name, s, by_name[s.name]) for s in specs if s.name in by_name]


def _split_matrix(columns: Sequence[Column], specs: Sequence[ColSpec | TensorSpec]) -> Sequence[Column]:
    """One ``[N, k]`` input for k columns -> k inputs, in signature order."""
    if len(columns) != 1 or len(specs) < 2:
        return columns
    only = columns[0]
    names = {s.name for s in specs}
    split = None if only.name in names else columns_of(only.array, len(specs))
    if split is None:
        return columns
    return [Column(spec_name(s, i, INPUT_PREFIX), only.datatype, column) for i, (s, column) in enumerate(zip(specs, split))]


def _conform_columns(columns: Sequence[Column], schema: Schema, lean: ColumnsPlan | None) -> pd.DataFrame | Proven:
    specs = schema.inputs
    pairs = _match(_split_matrix(columns, specs), specs, schema.has_input_names(), "column")
    conformed = [Column(name, column.datatype, _conform_column(spec, column)) for name, spec, column in pairs]
    proven = lean.prove(conformed) if lean is not None else None
    if proven is not None:
        return proven
    frame = registry.request_codec("pd").decode_request(conformed)
    if not schema.has_input_names():
        frame.columns = range(len(frame.columns))
    return frame


def _conform_column(spec: ColSpec, column: Column) -> np.ndarray:
    array = column.array
    kind = spec.type
    if not isinstance(kind, DataType):
        return column_values(array)
    if array.ndim == 2 and array.shape[1] != 1:
        raise InvalidInput(
            f"input {column.name!r} is a column of {kind.name}: it takes shape [N] or [N, 1]; "
            f"{list(array.shape)} arrived"
        )
    values = column_values(array)
    datatype, dtype, _ = column_type(spec)
    expected = f"{kind.name} ({datatype})"
    if dtype is not None:
        return cast(values, dtype, column.name, expected, column.datatype)
    return _conform_bytes_column(kind, values, column, expected)


def _conform_bytes_column(kind: DataType, values: np.ndarray, column: Column, expected: str) -> np.ndarray:
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if kind == DataType.string and inferred in ("string", "empty"):
        return values
    if kind == DataType.binary and inferred in ("bytes", "empty"):
        return values
    if kind == DataType.datetime:
        if values.dtype.kind == "M" or inferred in ("datetime", "datetime64", "empty"):
            return values
        if inferred == "string":
            try:
                parsed: np.ndarray = pd.to_datetime(pd.Series(values, dtype=object), format="ISO8601").to_numpy()
                return parsed
            except (ValueError, TypeError) as exc:
                raise InvalidInput(f"input {column.name!r} expects {expected} values ({exc})") from None
    raise InvalidInput(f"input {column.name!r} expects {expected} values; {column.datatype} with {inferred} data arrived")


def _conform_tensors(columns: Sequence[Column], schema: Schema) -> np.ndarray | dict[str, np.ndarray]:
    specs = schema.inputs
    named = schema.has_input_names()
    pairs = _match(columns, specs, named, "tensor")
    arrays = {name: _conform_tensor(spec, column) for name, spec, column in pairs}
    return arrays if named else next(iter(arrays.values()))


def _conform_tensor(spec: TensorSpec, column: Column) -> np.ndarray:
    dtype = np.dtype(spec.type)
    array = cast(column.array, dtype, column.name, to_datatype(dtype), column.datatype)
    want = list(spec.shape)
    got = list(array.shape)
    if len(got) == len(want) + 1 and got[-1] == 1:
        array, got = array.reshape(got[:-1]), got[:-1]
    elif len(got) + 1 == len(want) and want[-1] == 1:
        array, got = array.reshape(got + [1]), got + [1]
    if len(got) != len(want) or any(w not in (-1, g) for w, g in zip(want, got)):
        raise InvalidInput(f"input {column.name!r} expects shape {want}; shape {got} arrived")
    return array
