"""``pd``: a request as a DataFrame, one column per input; DataFrame and Series outputs."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from runtime_mlflow.errors import InvalidInput

from .base import Column, RequestCodec, as_column, object_array
from .registry import register_codec


def column_values(array: np.ndarray) -> np.ndarray:
    """One input as a DataFrame column: ``[N]`` and ``[N, 1]`` as is, ``[N, m]`` as N rows."""
    if array.ndim == 0:
        return array.reshape(1)
    array = as_column(array)
    return array if array.ndim == 1 else object_array(list(array))


def series_values(series: pd.Series) -> np.ndarray:
    """A column's values as numpy; pandas' nullable numbers become floats with NaN."""
    dtype = series.dtype
    nullable = isinstance(dtype, pd.api.extensions.ExtensionDtype) and hasattr(dtype, "numpy_dtype")
    if nullable and (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
        if series.isna().any():
            values: np.ndarray = series.to_numpy(dtype="float64", na_value=np.nan)
        else:
            values = series.to_numpy(dtype=dtype.numpy_dtype)
        return values
    plain: np.ndarray = series.to_numpy()
    return plain


@register_codec
class PandasCodec(RequestCodec):
    content_type = "pd"

    def decode_request(self, columns: Sequence[Column]) -> pd.DataFrame:
        values = {c.name: column_values(c.array) for c in columns}
        lengths = {name: len(v) for name, v in values.items()}
        if len(set(lengths.values())) > 1:
            raise InvalidInput(
                "the inputs of a 'pd' request are the columns of one DataFrame and need the same "
                "number of rows; got " + ", ".join(f"{n!r} {k}" for n, k in lengths.items())
            )
        return pd.DataFrame(values)

    def can_encode_value(self, value: Any) -> bool:
        if isinstance(value, (pd.DataFrame, pd.Series)):
            return True
        return isinstance(value, list) and bool(value) and isinstance(value[0], dict)

    def encode_value(self, value: Any) -> list[tuple[str | None, np.ndarray]]:
        if isinstance(value, pd.Series):
            return [(None if value.name is None else str(value.name), series_values(value))]
        frame = value if isinstance(value, pd.DataFrame) else pd.DataFrame.from_records(value)
        return [(str(name), series_values(frame.iloc[:, i])) for i, name in enumerate(frame.columns)]
