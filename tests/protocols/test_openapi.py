"""runtime_mlflow.protocols.openapi and .example: a model's OpenAPI document, without a server.

Each document is checked with openapi-spec-validator (OpenAPI 3.1), and each example
request against the schema the same document gives for it.
"""

from __future__ import annotations

import json

import jsonschema
import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.models.signature import ModelSignature
from mlflow.types.schema import ColSpec, ParamSchema, ParamSpec, Schema, TensorSpec
from openapi_spec_validator import validate

from runtime_mlflow.metadata import INPUT_PREFIX, OUTPUT_PREFIX, to_metadata_tensors
from runtime_mlflow.protocols import ProtocolRequest, answer
from runtime_mlflow.protocols.served import Served


class Doubler(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input


def saved(tmp_path, signature: ModelSignature | None, input_example=None) -> Served:
    path = tmp_path / "m"
    mlflow.pyfunc.save_model(str(path), python_model=Doubler(), signature=signature, input_example=input_example)
    model = mlflow.pyfunc.load_model(str(path))
    dumps = lambda schema, prefix: [t.model_dump(exclude_none=True) for t in to_metadata_tensors(schema, prefix)]  # noqa: E731
    inputs = dumps(signature.inputs, INPUT_PREFIX) if signature else []
    outputs = dumps(signature.outputs, OUTPUT_PREFIX) if signature and signature.outputs else []
    content_type = "pd" if signature and not signature.inputs.is_tensor_spec() else None
    return Served("m", None, model, lambda v, p: v, None, "3", inputs=inputs, outputs=outputs,
                  content_type=content_type, path=path)


def document(served: Served, root: str = "../../../") -> dict:
    reply = answer(served, "openapi", ProtocolRequest(root=root))
    assert reply.status == 200
    found = json.loads(reply.body)
    validate(found)  # a valid OpenAPI 3.1 document
    return found


def request_of(doc: dict, path: str) -> tuple[dict, dict | None]:
    content = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    return content["schema"], content.get("example")


COLUMNS = ModelSignature(Schema([ColSpec("double", "fixed acidity"), ColSpec("long", "n"), ColSpec("string", "s")]),
                         Schema([ColSpec("double", "score")]),
                         ParamSchema([ParamSpec("alpha", "double", 0.5), ParamSpec("mode", "string", "fast")]))


def test_a_column_model_has_its_names_types_params_outputs_and_its_saved_example(tmp_path):
    example = pd.DataFrame({"fixed acidity": [7.4, 7.8, 7.9], "n": [1, 2, 3], "s": ["a", "b", "c"]})
    doc = document(saved(tmp_path, COLUMNS, example))
    assert doc["openapi"] == "3.1.0" and doc["servers"] == [{"url": "../../../"}]
    schema, body = request_of(doc, "/v2/models/m/infer")
    tensors = schema["properties"]["inputs"]["items"]["anyOf"]
    assert [(t["properties"]["name"]["const"], t["properties"]["datatype"]["const"]) for t in tensors] == [
        ("fixed acidity", "FP64"), ("n", "INT64"), ("s", "BYTES")]
    params = schema["properties"]["parameters"]["properties"]
    assert params["alpha"] == {"type": "number", "default": 0.5} and params["mode"]["default"] == "fast"
    assert params["content_type"]["default"] == "pd"
    assert body == {"parameters": {"content_type": "pd"}, "inputs": [  # the saved example's first two rows
        {"name": "fixed acidity", "shape": [2], "datatype": "FP64", "data": [7.4, 7.8]},
        {"name": "n", "shape": [2], "datatype": "INT64", "data": [1, 2]},
        {"name": "s", "shape": [2], "datatype": "BYTES", "data": ["a", "b"]}]}
    jsonschema.validate(body, schema)
    response = doc["paths"]["/v2/models/m/infer"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert response["properties"]["outputs"]["items"]["anyOf"][0]["properties"]["name"]["const"] == "score"
    scoring, invocations = request_of(doc, "/v2/models/m/invocations")
    assert invocations == {"dataframe_split": {"columns": ["fixed acidity", "n", "s"], "data": [[7.4, 1, "a"], [7.8, 2, "b"]]}}
    jsonschema.validate(invocations, scoring)
    assert [f["title"] for f in scoring["oneOf"]] == ["dataframe_split", "dataframe_records", "instances", "inputs"]
    seldon_schema, seldon = request_of(doc, "/v2/models/m/api/v1.0/predictions")
    assert seldon == {"data": {"names": ["fixed acidity", "n", "s"], "ndarray": [[7.4, 1, "a"], [7.8, 2, "b"]]}}
    jsonschema.validate(seldon, seldon_schema)


def test_without_a_saved_example_one_row_is_made_from_the_signature(tmp_path):
    doc = document(saved(tmp_path, COLUMNS))
    _, body = request_of(doc, "/v2/models/m/infer")
    assert [(t["name"], t["data"]) for t in body["inputs"]] == [("fixed acidity", [0.0]), ("n", [0]), ("s", ["text"])]


def test_a_tensor_model_gets_a_tensor_example(tmp_path):
    signature = ModelSignature(Schema([TensorSpec(np.dtype(np.float32), (-1, 3))]))
    doc = document(saved(tmp_path, signature))
    schema, body = request_of(doc, "/v2/models/m/infer")
    assert body == {"inputs": [{"name": "input-0", "shape": [1, 3], "datatype": "FP32", "data": [0.0, 0.0, 0.0]}]}
    jsonschema.validate(body, schema)
    assert request_of(doc, "/v2/models/m/invocations")[1] == {"inputs": [[0.0, 0.0, 0.0]]}


def test_a_model_without_a_signature_gets_the_generic_forms(tmp_path):
    doc = document(saved(tmp_path, None))
    schema, body = request_of(doc, "/v2/models/m/infer")
    assert body is None and "anyOf" not in schema["properties"]["inputs"]["items"]
    assert "no signature" in doc["info"]["description"]


def test_a_method_and_a_version_are_in_the_document(tmp_path):
    served = saved(tmp_path, COLUMNS)
    served = Served("clf", "2", served.model, served.predict, None, "3", inputs=served.inputs,
                    outputs=[{"name": "predict_proba", "datatype": "FP64", "shape": [-1, 3]}], method="predict_proba")
    doc = document(served, root="../../../../../")
    assert "/v2/models/clf/versions/2/infer" in doc["paths"] and doc["info"]["version"] == "2"
    assert "`predict_proba`" in doc["info"]["description"]
