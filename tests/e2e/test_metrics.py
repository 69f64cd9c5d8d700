"""Every protocol's requests are counted per model on MLServer's metrics endpoint, with latency."""

from __future__ import annotations

import pytest
from metrics_text import sample

X = {"name": "x", "shape": [2], "datatype": "FP64", "data": [1, 2]}


def test_each_protocol_counts_its_requests_per_model(server):
    url = server.metrics_url
    before = {p: sample(url, "runtime_mlflow_requests_total", model="picky", protocol=p)
              for p in ("v2_rest", "v2_grpc", "v2_stream", "invocations", "seldon")}
    assert server.infer("picky", {"inputs": [X]}).status_code == 200
    assert server.infer("picky", {"inputs": [{**X, "name": "nope"}]}).status_code == 400
    (answer,) = server.grpc_calls([{"model": "picky", "inputs": [{**X, "data": [1.0, 2.0]}]}])
    assert "outputs" in answer, answer
    with server.client.stream("POST", "/v2/models/picky/infer_stream", json={"inputs": [X]}) as stream:
        assert stream.status_code == 200
        stream.read()
    assert server.client.post("/v2/models/picky/invocations", json={"inputs": {"x": [1.0]}}).status_code == 200
    assert server.client.post("/v2/models/picky/api/v1.0/predictions",
                              json={"data": {"ndarray": [[1.0]]}}).status_code == 200
    after = {p: sample(url, "runtime_mlflow_requests_total", model="picky", protocol=p) for p in before}
    assert {p: after[p] - before[p] for p in before} == {"v2_rest": 2, "v2_grpc": 1, "v2_stream": 1,
                                                         "invocations": 1, "seldon": 1}
    assert sample(url, "runtime_mlflow_requests_total", model="picky", protocol="v2_rest", code="400") >= 1
    for protocol in before:
        assert sample(url, "runtime_mlflow_request_duration_seconds_count", model="picky", protocol=protocol) >= 1


@pytest.mark.parametrize("path", ["/v2/models/nope/invocations", "/v2/models/nope/api/v1.0/predictions"])
def test_unknown_models_are_counted_under_the_name_asked_for(server, path):
    protocol = "invocations" if "invocations" in path else "seldon"
    before = sample(server.metrics_url, "runtime_mlflow_requests_total", model="nope", protocol=protocol, code="404")
    assert server.client.post(path, json={"inputs": {"x": [1.0]}}).status_code == 404
    assert sample(server.metrics_url, "runtime_mlflow_requests_total", model="nope", protocol=protocol,
                  code="404") == before + 1
