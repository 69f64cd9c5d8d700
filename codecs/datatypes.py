"""V2 datatypes <-> numpy dtypes: one table, its inverse derived."""

from __future__ import annotations

import numpy as np
import pandas as pd

from runtime_mlflow.errors import CodecError

_DATATYPE_TO_NUMPY: dict[str, np.dtype] = {
    "BOOL": np.dtype(bool),
    "UINT8": np.dtype(np.uint8),
    "UINT16": np.dtype(np.uint16),
    "UINT32": np.dtype(np.uint32),
    "UINT64": np.dtype(np.uint64),
    "INT8": np.dtype(np.int8),
    "INT16": np.dtype(np.int16),
    "INT32": np.dtype(np.int32),
    "INT64": np.dtype(np.int64),
    "FP16": np.dtype(np.float16),
    "FP32": np.dtype(np.float32),
    "FP64": np.dtype(np.float64),
    "BYTES": np.dtype(object),
}
_NUMPY_TO_DATATYPE: dict[np.dtype, str] = {v: k for k, v in _DATATYPE_TO_NUMPY.items()}

# NOTE: numpy's fixed-width strings ("U", "S"), its variable-width StringDType ("T")
# and datetimes ("M") have no V2 datatype of their own: they travel as BYTES.
_BYTES_KINDS = frozenset("USTM")

DATATYPES: tuple[str, ...] = tuple(_DATATYPE_TO_NUMPY)


def to_dtype(datatype: str) -> np.dtype:
    """The numpy dtype a V2 datatype decodes to (BYTES -> object); raises CodecError."""
    try:
        return _DATATYPE_TO_NUMPY[str(datatype)]
    except KeyError:
        raise CodecError(
            f"unknown V2 datatype {datatype!r} (known: {', '.join(DATATYPES)})"
        ) from None


def to_datatype(dtype: np.dtype | pd.api.extensions.ExtensionDtype) -> str:
    """The V2 datatype that carries values of ``dtype``; raises CodecError if none does."""
    if isinstance(dtype, pd.api.extensions.ExtensionDtype):
        # pandas' own dtypes (str, string, category, Int64...) map through their numpy form
        if isinstance(dtype, (pd.StringDtype, pd.CategoricalDtype)):
            return "BYTES"
        dtype = np.dtype(dtype.numpy_dtype) if hasattr(dtype, "numpy_dtype") else np.dtype(object)
    dtype = np.dtype(dtype)
    if dtype.kind in _BYTES_KINDS:
        return "BYTES"
    try:
        return _NUMPY_TO_DATATYPE[dtype]
    except KeyError:
        raise CodecError(f"numpy dtype {dtype} has no V2 datatype") from None
