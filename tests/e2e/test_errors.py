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
    ],
)
def test_client_mistakes_are_400_naming_the_culprit(server, model, body, named):
    response = server.infer(model, body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    for text in named:
        assert text in error


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
