from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from runtime_mlflow.codecs import DATATYPES, to_datatype, to_dtype
from runtime_mlflow.errors import CodecError


@pytest.mark.parametrize("datatype", [d for d in DATATYPES if d != "BYTES"])
def test_numeric_table_round_trips(datatype):
    assert to_datatype(to_dtype(datatype)) == datatype


@pytest.mark.parametrize(
    "dtype",
    [np.dtype("U3"), np.dtype("S3"), np.dtype(object), np.dtype("datetime64[ns]"), pd.StringDtype(), pd.CategoricalDtype()],
    ids=str,
)
def test_text_like_dtypes_travel_as_bytes(dtype):
    assert to_datatype(dtype) == "BYTES"


def test_pandas_nullable_numbers_map_through_numpy():
    assert to_datatype(pd.Int64Dtype()) == "INT64"


def test_unknown_names_are_errors_that_name_them():
    with pytest.raises(CodecError, match="FP128"):
        to_dtype("FP128")
    with pytest.raises(CodecError, match="complex128"):
        to_datatype(np.dtype(np.complex128))
