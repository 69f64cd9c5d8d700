"""V2 streaming: infer_stream (server-sent events) and gRPC ModelStreamInfer.

The ``countdown`` model waits after each chunk until the client has seen it (it creates
``gate/<i>`` on arrival), so these tests pass only if chunks arrive as the model yields
them; a server that held them back would leave the model waiting until it gives up.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mlserver_process import Server, write_model_settings


@pytest.fixture(scope="module")
def streamer(model_dirs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory):
    repo = tmp_path_factory.mktemp("stream-repo")
    for name in ("countdown", "wine"):
        write_model_settings(repo, name, str(model_dirs[name]))
    server = Server(repo, tmp_path_factory.mktemp("stream-logs") / "mlserver.log")  # parallel_workers: 1
    try:
        for name in ("countdown", "wine"):
            assert server.load(name).status_code == 200, server.log.read_text()[-2000:]
        yield server
    finally:
        server.stop()


def countdown_request(n: int, **params: object) -> dict:
    return {"parameters": {"content_type": "pd", **params},
            "inputs": [{"name": "n", "shape": [1], "datatype": "INT64", "data": [n]}]}


def read_events(server: Server, model: str, body: dict, gate: Path | None = None) -> list[dict]:
    """The events of one infer_stream, opening ``gate/<i>`` as event i arrives."""
    events = []
    with server.client.stream("POST", f"/v2/models/{model}/infer_stream", json=body) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if not line.startswith("data: "):
                continue
            events.append(json.loads(line[len("data: "):]))
            if gate is not None:
                (gate / str(len(events) - 1)).touch()
    return events


def test_rest_stream_sends_each_chunk_as_the_model_yields_it(streamer, tmp_path):
    events = read_events(streamer, "countdown", countdown_request(5, gate=str(tmp_path)), gate=tmp_path)
    assert [e["outputs"][0]["data"] for e in events] == [[f"token-{i}"] for i in range(5)]
    assert all(e["model_name"] == "countdown" for e in events)


def test_a_model_without_predict_stream_answers_one_chunk(streamer, wine_features):
    rows = wine_features.head(2)
    body = {"parameters": {"content_type": "pd"},
            "inputs": [{"name": c, "shape": [2], "datatype": "FP64", "data": rows[c].tolist()} for c in rows]}
    [event] = read_events(streamer, "wine", body)
    assert event["outputs"][0]["data"] == streamer.infer("wine", body).json()["outputs"][0]["data"]


def test_a_bad_stream_request_is_answered_400_before_any_event(streamer):
    response = streamer.client.post("/v2/models/countdown/infer_stream", json={
        "inputs": [{"name": "m", "shape": [1], "datatype": "INT64", "data": [3]}]})
    assert response.status_code == 400
    assert "'n'" in response.json()["error"]
    assert streamer.client.post("/v2/models/nope/infer_stream", json=countdown_request(1)).status_code == 404


def test_an_error_mid_stream_ends_it_with_an_error_event(streamer):
    events = read_events(streamer, "countdown", countdown_request(5, fail_at=2))
    assert [e["outputs"][0]["data"] for e in events[:2]] == [["token-0"], ["token-1"]]
    assert "fail at chunk 2" in events[2]["error"] and len(events) == 3
    assert len(read_events(streamer, "countdown", countdown_request(2))) == 2  # and it keeps serving


def test_grpc_model_stream_infer_sends_each_chunk_as_the_model_yields_it(streamer, tmp_path):
    [answer, single] = streamer.grpc_calls([
        {"model": "countdown", "stream": True, "gate": str(tmp_path),
         "parameters": {"content_type": "pd", "gate": str(tmp_path)},
         "inputs": [{"name": "n", "datatype": "INT64", "data": [4], "shape": [1]}]},
        {"model": "wine", "stream": True, "parameters": {"content_type": "pd"},
         "inputs": [{"name": c, "datatype": "FP64", "data": [1.0], "shape": [1]} for c in (
             "fixed acidity", "volatile acidity", "citric acid", "residual sugar", "chlorides",
             "free sulfur dioxide", "total sulfur dioxide", "density", "pH", "sulphates", "alcohol")]},
    ])
    assert all("outputs" in c for c in answer["chunks"]), answer
    assert [list(c["outputs"].values())[0]["data"] for c in answer["chunks"]] == [[f"token-{i}"] for i in range(4)]
    assert len(single["chunks"]) == 1 and "outputs" in single["chunks"][0]
