from __future__ import annotations

import pytest
from mlflow.types.schema import ParamSchema, ParamSpec
from mlserver.types import Parameters

from runtime_mlflow.errors import InvalidParameter
from runtime_mlflow.params import to_mlflow_params

SCHEMA = ParamSchema(
    [ParamSpec("alpha", "double", 1.0), ParamSpec("n", "long", 0), ParamSpec("flag", "boolean", False),
     ParamSpec("name", "string", "x"), ParamSpec("xs", "double", [1.0], (-1,))]
)


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        pytest.param({"alpha": 2}, {"alpha": 2.0}, id="int-for-double"),
        pytest.param({"alpha": "0.25", "n": "3", "flag": "true"}, {"alpha": 0.25, "n": 3, "flag": True}, id="grpc-strings"),
        pytest.param({"name": "12"}, {"name": "12"}, id="string-stays-string"),
        pytest.param({"xs": "[1, 2.5]"}, {"xs": [1.0, 2.5]}, id="list-as-json-string"),
        pytest.param({"content_type": "pd", "headers": {"a": "b"}, "binary_data_output": True, "triton_x": 1,
                      "sequence_id": 4, "unknown": 1}, None, id="protocol-and-unknown-keys-dropped"),
    ],
)
def test_params_typed_by_schema(sent, expected):
    assert to_mlflow_params(Parameters(**sent), SCHEMA) == expected


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        pytest.param({"alpha": "abc"}, "param 'alpha' expects double; 'abc' arrived", id="text-for-double"),
        pytest.param({"flag": "maybe"}, "param 'flag' expects boolean", id="bad-bool"),
        pytest.param({"n": 1.5}, "param 'n' expects long", id="fraction-for-long"),
        pytest.param({"alpha": None}, "arrived without a value", id="grpc-double-is-empty"),
    ],
)
def test_bad_params_are_400s_naming_them(sent, message):
    with pytest.raises(InvalidParameter, match=message.replace("(", r"\(")):
        to_mlflow_params(Parameters(**sent), SCHEMA)


def test_no_schema_no_params():
    assert to_mlflow_params(Parameters(alpha=1), None) is None
