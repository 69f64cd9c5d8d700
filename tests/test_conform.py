from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlflow.types.schema import ColSpec, Schema, TensorSpec

from runtime_mlflow.codecs import Column
from runtime_mlflow.conform import conform, target_dtypes
from runtime_mlflow.errors import InvalidInput

COLUMNS = Schema([ColSpec("double", "a"), ColSpec("long", "b"), ColSpec("string", "s")])


def col(name, values, datatype="FP64"):
    return Column(name, datatype, np.asarray(values, dtype=object if datatype == "BYTES" else None))


def test_columns_become_a_typed_dataframe_in_signature_order():
    frame = conform([col("s", ["x", "y"], "BYTES"), col("b", [[1], [2]], "INT32"), col("a", [1, 2], "INT64")], COLUMNS, None)
    assert list(frame.columns) == ["a", "b", "s"]
    assert frame["a"].dtype == np.float64 and frame["b"].dtype == np.int64
    assert frame["s"].tolist() == ["x", "y"]


def test_one_matrix_input_is_split_into_the_columns():
    schema = Schema([ColSpec("double", "a"), ColSpec("double", "b")])
    frame = conform([col("features", [[1, 2], [3, 4]])], schema, "np")
    assert frame.to_dict("list") == {"a": [1.0, 3.0], "b": [2.0, 4.0]}


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        pytest.param([col("a", [1]), col("b", [1]), col("z", ["q"], "BYTES")], "missing column 's'; unknown input 'z'",
                     id="misnamed"),
        pytest.param([col("a", [1, 2]), col("b", [1]), col("s", ["q"], "BYTES")], "same number of rows", id="lengths"),
        pytest.param([col("a", [[1, 2]]), col("b", [1]), col("s", ["q"], "BYTES")], "takes shape [N] or [N, 1]",
                     id="matrix-column"),
        pytest.param([col("a", [1]), col("b", [1]), col("s", [1], "INT64")], "expects string (BYTES) values; INT64",
                     id="number-for-string"),
    ],
)
def test_column_mistakes(columns, message):
    with pytest.raises(InvalidInput, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        conform(columns, COLUMNS, None)


def test_unnamed_tensor_is_cast_and_shape_checked():
    schema = Schema([TensorSpec(np.dtype(np.float32), (-1, 2))])
    array = conform([col("whatever", [[1.5, 2]])], schema, None)
    assert array.dtype == np.float32 and array.shape == (1, 2)
    with pytest.raises(InvalidInput, match=r"expects shape \[-1, 2\]; shape \[1, 3\] arrived"):
        conform([col("x", [[1, 2, 3]])], schema, None)


def test_named_tensors_become_a_dict_unless_pd_is_asked_for():
    schema = Schema([TensorSpec(np.dtype(np.int64), (-1,), "a"), TensorSpec(np.dtype(np.int64), (-1,), "b")])
    got = conform([col("a", [1], "INT64"), col("b", [2], "INT64")], schema, None)
    assert set(got) == {"a", "b"}
    assert isinstance(conform([col("a", [1], "INT64"), col("b", [2], "INT64")], schema, "pd"), pd.DataFrame)


def test_target_dtypes_for_named_numeric_inputs():
    assert target_dtypes(COLUMNS) == {"a": np.dtype(np.float64), "b": np.dtype(np.int64)}
