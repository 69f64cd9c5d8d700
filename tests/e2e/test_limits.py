"""The request-size limit (protocols.body): 413 in each protocol's error shape, before an
oversized body is buffered, whether it declares its length or is sent in chunks."""

from __future__ import annotations

import json

import pytest
from mlserver_process import Server, write_model_settings

LIMIT = 4096
X = {"name": "x", "shape": [1], "datatype": "FP64", "data": [1.0]}


@pytest.fixture(scope="module")
def limited(tmp_path_factory, model_dirs):
    root = tmp_path_factory.mktemp("limited")
    write_model_settings(root / "repo", "picky", str(model_dirs["picky"]))
    server = Server(root / "repo", root / "mlserver.log", environ={"RUNTIME_MLFLOW_MAX_REQUEST_BYTES": str(LIMIT)})
    try:
        assert server.load("picky").status_code == 200
        yield server
    finally:
        server.stop()


def big_v2() -> bytes:
    return json.dumps({"inputs": [{**X, "shape": [2000], "data": [1.0] * 2000}]}).encode()


def chunks(body: bytes):
    for start in range(0, len(body), 1000):
        yield body[start:start + 1000]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_oversized_v2_body_is_413(limited, chunked):
    body = big_v2()
    content = chunks(body) if chunked else body
    response = limited.client.post("/v2/models/picky/infer", content=content,
                                   headers={"content-type": "application/json"})
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert str(LIMIT) in error and "RUNTIME_MLFLOW_MAX_REQUEST_BYTES" in error
    assert limited.infer("picky", {"inputs": [X]}).status_code == 200


def test_an_oversized_stream_request_is_413(limited):
    response = limited.client.post("/v2/models/picky/infer_stream", content=big_v2(),
                                   headers={"content-type": "application/json"})
    assert response.status_code == 413 and "error" in response.json()


def test_an_oversized_invocations_body_is_413_in_mlflows_shape(limited):
    body = json.dumps({"dataframe_split": {"columns": ["x"], "data": [[1.0]] * 1000}}).encode()
    response = limited.client.post("/v2/models/picky/invocations", content=body,
                                   headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error_code"] == "BAD_REQUEST" and str(LIMIT) in response.json()["message"]


def test_an_oversized_seldon_body_is_413_in_seldons_shape(limited):
    body = json.dumps({"data": {"names": ["x"], "ndarray": [[1.0]] * 1000}}).encode()
    response = limited.client.post("/v2/models/picky/api/v1.0/predictions", content=body,
                                   headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["status"]["reason"] == "MICROSERVICE_BAD_DATA"


def test_bodies_within_the_limit_are_answered(limited):
    body = json.dumps({"inputs": [{**X, "shape": [100], "data": [1.0] * 100}]}).encode()
    assert len(body) < LIMIT
    assert limited.client.post("/v2/models/picky/infer", content=body,
                               headers={"content-type": "application/json"}).status_code == 200


def test_an_oversized_grpc_message_is_resource_exhausted(limited):
    count = 5 * 1024 * 1024 // 8  # 5 MiB of doubles: past gRPC's default 4 MiB
    answer, after = limited.grpc_calls([
        {"model": "picky", "inputs": [{"name": "x", "datatype": "FP64", "shape": [count]}], "raw": [bytes(count * 8).hex()]},
        {"model": "picky", "inputs": [{"name": "x", "datatype": "FP64", "shape": [1]}], "raw": [bytes(8).hex()]},
    ])
    assert answer["error"]["code"] == "RESOURCE_EXHAUSTED", answer
    assert after == {"ok": True}
