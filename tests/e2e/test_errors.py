"""Client mistakes are 400 with {"error": ...} naming the input; bugs are 500; the server keeps serving."""

from __future__ import annotations

import pytest

X = {"name": "x", "shape": [2], "datatype": "FP64", "data": [1, 2]}


def one(**changes) -> dict:
    return {"inputs": [{**X, **changes}]}


@pytest.mark.parametrize(
    ("model", "body", "named"),
    [
        pytest.param("picky", {"inputs": [{**X, "name": "y"}]}, ["'x'", "'y'"], id="unknown-and-missing-column"),
        pytest.param("picky", one(shape=[3]), ["'x'", "[3]", "2 data elements"], id="shape-vs-data-length"),
        pytest.param("picky", one(data=[1, "abc"]), ["'x'", "FP64", "'abc'"], id="unconvertible-number"),
        pytest.param("picky", one(datatype="BYTES", data=["1", "zz"]), ["'x'", "double", "'zz'"], id="bytes-for-double"),
        pytest.param("text", {"inputs": [{"name": "text", "shape": [1], "datatype": "INT64", "data": [1]},
                                        {"name": "n", "shape": [1], "datatype": "INT64", "data": [1]}]},
                     ["'text'", "string"], id="number-for-string-column"),
        pytest.param("text", {"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["a"]},
                                        {"name": "n", "shape": [1], "datatype": "FP64", "data": [1.5]}]},
                     ["'n'", "INT64", "1.5"], id="fraction-for-long-column"),
        pytest.param("tensor", {"inputs": [{"name": "t", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]},
                     ["'t'", "[-1, 3]", "[1, 4]"], id="tensor-shape"),
        pytest.param("scaler", {**one(), "parameters": {"alpha": "abc"}}, ["'alpha'", "double", "'abc'"], id="bad-param"),
        pytest.param("scaler", {**one(), "parameters": {"flag": "maybe"}}, ["'flag'", "boolean"], id="bad-bool-param"),
        pytest.param("proprietary", {"inputs": [{**X, "name": n} for n in "abc"], "outputs": [{"name": "nope"}]},
                     ["'nope'", "'score'", "'label'"], id="unknown-requested-output"),
        pytest.param("picky", one(data=[1, -1]), ["picky", "x must not be negative"], id="model-raises-valueerror"),
        pytest.param("picky", {**one(), "parameters": {"content_type": "nope"}}, ["'nope'"], id="unknown-content-type"),
        pytest.param("picky", {"inputs": []}, ["no inputs"], id="no-inputs"),
        # values that do not fit the datatype the client declared, though the column is a double
        pytest.param("picky", one(datatype="UINT8", data=[300, 1]), ["'x'", "UINT8", "300", "[0, 255]"], id="uint8-300"),
        pytest.param("picky", one(datatype="INT8", data=[-200, 1]), ["'x'", "INT8", "-200"], id="int8-minus-200"),
        pytest.param("picky", one(datatype="INT64", data=[1.5, 1]), ["'x'", "INT64", "1.5"], id="fraction-for-int64"),
        pytest.param("picky", one(datatype="FP32", data=[1e300, 1]), ["'x'", "FP32", "1e+300"], id="fp32-overflow"),
        pytest.param("picky", one(datatype="BOOL", data=[2, 1]), ["'x'", "BOOL", "2"], id="bool-2"),
        pytest.param("picky", one(datatype="UINT64", data=[-1, 1]), ["'x'", "UINT64", "-1"], id="uint64-negative"),
        pytest.param("picky", one(shape=[-1]), ["'x'", "[-1]", "0 or more"], id="shape-minus-one"),
        pytest.param("picky", one(shape=[1, -2]), ["'x'", "[1, -2]"], id="negative-shape"),
    ],
)
def test_client_mistakes_are_400_naming_the_culprit(server, model, body, named):
    response = server.infer(model, body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    for text in named:
        assert text in error
    assert not error.startswith("runtime_mlflow."), "the runtime's own words, without MLServer's class path"
    assert server.infer("picky", one()).status_code == 200


FP64_2 = bytes(16).hex()  # two doubles


@pytest.mark.parametrize(("inputs", "raw", "named"), [
    pytest.param([{"name": "x", "datatype": "FP64", "shape": [2]}], [bytes(12).hex()],
                 ["'x'", "16 bytes", "12 arrived"], id="raw-size"),
    pytest.param([{"name": "x", "datatype": "FP128", "shape": [2]}], [FP64_2], ["'x'", "'FP128'"], id="unknown-datatype"),
    pytest.param([{"name": "x", "datatype": "FP64", "shape": [2]}, {"name": "y", "datatype": "FP64", "shape": [2]}],
                 [FP64_2], ["1 raw_input_contents", "2 inputs"], id="too-few-raw"),
    pytest.param([{"name": "x", "datatype": "BYTES", "shape": [2]}], ["05000000616263"], ["'x'", "BYTES"],
                 id="truncated-bytes"),
    pytest.param([{"name": "x", "datatype": "FP64", "shape": [-1]}], [FP64_2], ["'x'", "[-1]"], id="negative-shape"),
])
def test_grpc_requests_mlserver_cannot_read_are_invalid_argument(server, inputs, raw, named):
    answer, after = server.grpc_calls([
        {"model": "picky", "inputs": inputs, "raw": raw},
        {"model": "picky", "inputs": [{"name": "x", "datatype": "FP64", "shape": [2]}],
         "raw": [bytes.fromhex("000000000000f03f" "0000000000000040").hex()]},
    ])
    assert answer["error"]["code"] == "INVALID_ARGUMENT", answer
    for text in named:
        assert text in answer["error"]["message"]
    assert after == {"ok": True}


def test_grpc_client_mistakes_from_a_model_in_a_worker_are_in_the_runtimes_words(server):
    answer, = server.grpc_calls([{"model": "picky", "inputs": [{"name": "y", "datatype": "FP64", "shape": [2]}],
                                  "raw": [FP64_2]}])
    assert answer["error"]["code"] == "INVALID_ARGUMENT"
    assert "'y'" in answer["error"]["message"] and not answer["error"]["message"].startswith("runtime_mlflow.")


def test_model_bug_is_500_without_traceback_and_server_keeps_serving(server):
    response = server.infer("picky", one(data=[13, 1]))
    assert response.status_code == 500
    body = response.json()
    assert "unlucky number" in body["error"]
    assert "Traceback" not in response.text and 'File "' not in response.text
    assert server.infer("picky", one()).status_code == 200


def test_model_that_fails_to_load_says_why(server):
    response = server.load("broken")
    assert response.status_code >= 400
    error = response.json()["error"]
    assert "'broken'" in error and "no-such-model" in error and "does not exist" in error
    assert server.infer("picky", one()).status_code == 200
