from __future__ import annotations

import numpy as np
from mlflow.types.schema import Array, ColSpec, DataType, ParamSchema, ParamSpec, Schema, TensorSpec

from runtime_mlflow.metadata import params_json, request_content_type, to_metadata_tensors


def test_columns_are_rank_one_tensors_with_their_content_types():
    schema = Schema([ColSpec("double", "a"), ColSpec("string", "s"), ColSpec("binary", "b"),
                     ColSpec("datetime", "d"), ColSpec(Array(DataType.long), "arr")])
    got = [(t.name, t.datatype, t.shape, t.parameters.content_type) for t in to_metadata_tensors(schema, "input-")]
    assert got == [("a", "FP64", [-1], "np"), ("s", "BYTES", [-1], "str"), ("b", "BYTES", [-1], "base64"),
                   ("d", "BYTES", [-1], "datetime"), ("arr", "BYTES", [-1], "json")]


def test_unnamed_columns_are_numbered():
    (tensor,) = to_metadata_tensors(Schema([ColSpec("long")]), "input-")
    assert (tensor.name, tensor.datatype) == ("input-0", "INT64")


def test_tensors_keep_their_shapes():
    schema = Schema([TensorSpec(np.dtype(np.float32), (-1, 28, 28))])
    (tensor,) = to_metadata_tensors(schema, "output-")
    assert (tensor.name, tensor.datatype, tensor.shape) == ("output-0", "FP32", [-1, 28, 28])


def test_request_content_type_follows_what_mlflow_hands_the_model():
    assert request_content_type(Schema([ColSpec("double", "a")])) == "pd"
    assert request_content_type(Schema([TensorSpec(np.dtype(np.float64), (-1,))])) == "np"
    assert request_content_type(Schema([TensorSpec(np.dtype(np.float64), (-1,), "x")])) == "dict"


def test_params_as_mlflow_json():
    assert '"name": "alpha"' in params_json(ParamSchema([ParamSpec("alpha", "double", 0.5)]))
    assert params_json(None) is None
