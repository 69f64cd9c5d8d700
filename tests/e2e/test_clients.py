"""tritonclient over HTTP (binary_data=False) and gRPC, as users call the server."""

from __future__ import annotations

import mlflow.pyfunc
import numpy as np
import tritonclient.http as httpclient
from test_rest import SEED_COLUMNS


def http_inputs(columns: dict[str, np.ndarray]) -> list[httpclient.InferInput]:
    inputs = []
    for name, array in columns.items():
        datatypes = {"float64": "FP64", "float32": "FP32", "int64": "INT64"}
        datatype = "BYTES" if array.dtype == object else datatypes[str(array.dtype)]
        tensor = httpclient.InferInput(name, list(array.shape), datatype)
        tensor.set_data_from_numpy(array, binary_data=False)
        inputs.append(tensor)
    return inputs


def test_tritonclient_http_wine(server, wine_features, model_dirs):
    rows = wine_features.iloc[:3]
    client = httpclient.InferenceServerClient(f"127.0.0.1:{server.http_port}")
    result = client.infer("wine", http_inputs({c: rows[c].to_numpy() for c in SEED_COLUMNS}))
    expected = mlflow.pyfunc.load_model(str(model_dirs["wine"])).predict(rows)
    np.testing.assert_array_equal(result.as_numpy("output-0"), expected)


def test_tritonclient_http_strings_and_requested_output(server):
    client = httpclient.InferenceServerClient(f"127.0.0.1:{server.http_port}")
    inputs = http_inputs({"text": np.array(["ab", "c"], dtype=object), "n": np.array([1, 2], dtype=np.int64)})
    result = client.infer("text", inputs, outputs=[httpclient.InferRequestedOutput("upper", binary_data=False)])
    assert result.as_numpy("upper").tolist() == [b"AB", b"C"] or result.as_numpy("upper").tolist() == ["AB", "C"]
    assert result.as_numpy("length") is None


def _wine_call(rows, rename=None):
    rename = rename or {}
    return {
        "model": "wine",
        "inputs": [{"name": rename.get(c, c), "datatype": "FP64", "data": rows[c].tolist(), "shape": [len(rows)]}
                   for c in SEED_COLUMNS],
    }


def test_tritonclient_grpc(server, wine_features, model_dirs):
    rows = wine_features.iloc[:4]
    expected = mlflow.pyfunc.load_model(str(model_dirs["wine"])).predict(rows)
    x = {"name": "x", "datatype": "FP64", "data": [1, 2], "shape": [2]}
    wine, misnamed, params, strings, requested, bug, bad_param, metadata = server.grpc_calls(
        [
            _wine_call(rows),
            _wine_call(rows, {"citric acid": "citric acidity"}),
            # gRPC parameters carry bool, int64 and string only: a double goes as a string
            {"model": "scaler", "inputs": [x], "parameters": {"alpha": "2.5", "n": 1, "flag": True}},
            {"model": "text", "inputs": [{"name": "text", "datatype": "BYTES", "data": ["héllo"], "shape": [1]},
                                         {"name": "n", "datatype": "INT64", "data": [0], "shape": [1]}]},
            {"model": "proprietary", "inputs": [{**x, "name": n} for n in "abc"], "outputs": ["score"]},
            {"model": "picky", "inputs": [{**x, "data": [13, 1]}]},
            {"model": "scaler", "inputs": [x], "parameters": {"alpha": "abc"}},
            {"model": "wine", "metadata": True},
        ]
    )
    np.testing.assert_array_equal(wine["outputs"]["output-0"]["data"], expected)
    assert misnamed["error"]["code"] == "StatusCode.INVALID_ARGUMENT"
    assert "'citric acid'" in misnamed["error"]["message"]
    assert params["outputs"]["output-0"]["data"] == [-3.5, -6.0]
    assert strings["outputs"]["upper"]["data"] == ["HÉLLO"] and strings["outputs"]["length"]["data"] == [5]
    assert list(requested["outputs"]) == ["score"]
    assert bug["error"]["code"] == "StatusCode.INTERNAL" and "unlucky" in bug["error"]["message"]
    assert bad_param["error"]["code"] == "StatusCode.INVALID_ARGUMENT" and "'alpha'" in bad_param["error"]["message"]
    assert [o["name"] for o in metadata["metadata"]["outputs"]] == ["output-0"]
