"""The runtime's V2 ``infer`` route: bodies that are not V2 requests get ``{"error": ...}``
naming the field, valid ones answer as MLServer's route did, on every path form."""

from __future__ import annotations

import pytest

X = {"name": "x", "shape": [2], "datatype": "FP64", "data": [1, 2]}


@pytest.mark.parametrize(("body", "named"), [
    pytest.param(b"{not json", ["not valid JSON"], id="malformed-json"),
    pytest.param(b"", ["not valid JSON"], id="empty-body"),
    pytest.param(b"[1, 2]", ["JSON object", "JSON array"], id="json-array"),
    pytest.param(b'"inputs"', ["JSON object", "JSON string"], id="json-string"),
    pytest.param(b'{"outputs": []}', ["inputs", "Field required"], id="missing-inputs"),
    pytest.param(b'{"inputs": [{"name": "x", "shape": [1], "data": [1]}]}', ["inputs.0.datatype"], id="no-datatype"),
    pytest.param(b'{"inputs": [{"name": "x", "datatype": "FP64", "data": [1]}]}', ["inputs.0.shape"], id="no-shape"),
    pytest.param(b'{"inputs": [{"name": "x", "shape": [1], "datatype": "FP128", "data": [1]}]}',
                 ["inputs.0.datatype", "FP64"], id="unknown-datatype"),
    pytest.param(b'{"inputs": {"name": "x"}}', ["inputs"], id="inputs-not-a-list"),
])
def test_a_body_that_is_not_a_v2_request_is_named(server, body, named):
    response = server.client.post("/v2/models/picky/infer", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    for text in named:
        assert text in error, error
    assert server.infer("picky", {"inputs": [X]}).status_code == 200


@pytest.mark.parametrize("path", ["/v2/models/picky/infer", "/v2/models/picky/generate",
                                  "/v2/models/picky/versions/1/infer"])
def test_every_path_form_answers(server, path):
    response = server.client.post(path, json={"id": "r1", "inputs": [X]})
    if "versions" in path:
        # the model has no version 1: MLServer's registry says so
        assert response.status_code == 404 and "error" in response.json()
        return
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == "r1" and body["model_name"] == "picky" and body["outputs"][0]["data"] == [1.0, 2.0]


def test_unknown_model_is_404_in_the_error_shape(server):
    response = server.infer("no-such-model", {"inputs": [X]})
    assert response.status_code == 404 and "no-such-model" in response.json()["error"]
