from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlserver.types import MetadataTensor, Parameters, RequestOutput

from runtime_mlflow.errors import UnknownOutput
from runtime_mlflow.outputs import encode_outputs


def spec(name, datatype, shape, content_type=None):
    return MetadataTensor(name=name, datatype=datatype, shape=shape,
                          parameters=Parameters(content_type=content_type) if content_type else None)


def answered(value, specs=None, requested=None):
    outputs, content_type = encode_outputs(value, specs, [RequestOutput(name=n) for n in requested or []])
    return {o.name: (o.datatype, o.shape, o.data.root) for o in outputs}, content_type


def test_unnamed_output_takes_the_advertised_name_datatype_and_rank():
    got, content_type = answered(np.array([[1.0], [2.0]], dtype=np.float32), [spec("quality", "FP64", [-1])])
    assert got == {"quality": ("FP64", [2], [1.0, 2.0])} and content_type == "np"


def test_matrix_split_over_advertised_outputs():
    got, _ = answered(np.array([[1, 2], [3, 4]]), [spec("a", "INT64", [-1]), spec("b", "INT64", [-1])])
    assert got == {"a": ("INT64", [2], [1, 3]), "b": ("INT64", [2], [2, 4])}


def test_dataframe_columns_with_pandas_strings_and_nullable_ints():
    frame = pd.DataFrame({"s": pd.Series(["a", None], dtype="str"), "n": pd.array([1, None], dtype="Int64")})
    got, content_type = answered(frame)
    assert content_type == "pd"
    assert got["s"][0:2] == ("BYTES", [2]) and got["s"][2][0] == "a"
    assert got["n"][0] == "FP64" and got["n"][2][0] == 1.0


def test_requested_outputs_select_and_unknown_is_named():
    frame = pd.DataFrame({"a": [1], "b": [2]})
    assert list(answered(frame, requested=["b"])[0]) == ["b"]
    with pytest.raises(UnknownOutput, match="'c' does not exist .*'a', 'b'"):
        answered(frame, requested=["c"])


def test_without_metadata_unnamed_outputs_are_numbered():
    got, _ = answered({"x": [1, 2], "y": "text"})
    assert got == {"x": ("INT64", [2], [1, 2]), "y": ("BYTES", [1], ["text"])}
    assert answered([3.5])[0] == {"output-0": ("FP64", [1], [3.5])}
