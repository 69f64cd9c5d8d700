"""Request timeouts and ``max_inflight`` (:mod:`runtime_mlflow.admission`) on a real ``mlserver
start``, over V2 REST, gRPC (tritonclient), MLflow's ``/invocations`` and Seldon's protocol.

One server for the module, with ``RUNTIME_MLFLOW_REQUEST_TIMEOUT=1``: sleepy, patient (its own
``request_timeout`` of 10), capped (``max_inflight`` 2) and diary (no limits; it writes down
each request it starts).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import httpx
import mlflow
import pyfuncs
import pytest
from metrics_text import sample
from mlflow.models import ModelSignature
from mlflow.types.schema import ColSpec, Schema
from mlserver_process import Server, write_model_settings


def _v2(seconds: float) -> dict:
    return {"inputs": [{"name": "seconds", "datatype": "FP64", "shape": [1], "data": [seconds]}]}


def _grpc_sleep(model: str, seconds: float, **spec: object) -> dict:
    return {"model": model, "inputs": [{"name": "seconds", "datatype": "FP64", "shape": [1], "data": [seconds]}],
            **spec}


@pytest.fixture(scope="module")
def diary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("diary") / "started.txt"


@pytest.fixture(scope="module")
def limited(model_dirs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory, diary: Path):
    folder = tmp_path_factory.mktemp("diary-model") / "model"
    mlflow.pyfunc.save_model(str(folder), python_model=pyfuncs.Diary(), code_paths=[pyfuncs.__file__],
                             model_config={"diary": str(diary)},
                             signature=ModelSignature(Schema([ColSpec("double", "seconds"), ColSpec("string", "tag")])))
    repo = tmp_path_factory.mktemp("limits-repo")
    sleepy = str(model_dirs["sleepy"])
    write_model_settings(repo, "sleepy", sleepy)
    write_model_settings(repo, "patient", sleepy, extra={"request_timeout": 10})
    write_model_settings(repo, "capped", sleepy, extra={"max_inflight": 2})
    write_model_settings(repo, "diary", str(folder), extra={"request_timeout": "none", "max_inflight": "none"})
    server = Server(repo, tmp_path_factory.mktemp("limits-logs") / "mlserver.log",
                    environ={"RUNTIME_MLFLOW_REQUEST_TIMEOUT": "1"})
    try:
        for name in ("sleepy", "patient", "capped", "diary"):
            assert server.load(name).status_code == 200, server.log.read_text()[-3000:]
        yield server
    finally:
        server.stop()


def test_past_its_timeout_a_request_gets_504_in_its_protocol_naming_the_limit(limited):
    v2 = limited.infer("sleepy", _v2(3))
    assert v2.status_code == 504, v2.text
    assert "RUNTIME_MLFLOW_REQUEST_TIMEOUT=1" in v2.json()["error"] and "sleepy" in v2.json()["error"]
    seldon = limited.client.post("/v2/models/sleepy/api/v1.0/predictions",
                                 json={"data": {"names": ["seconds"], "ndarray": [[3]]}})
    assert seldon.status_code == 504 and "RUNTIME_MLFLOW_REQUEST_TIMEOUT" in seldon.json()["status"]["info"]
    invocations = limited.client.post("/v2/models/sleepy/invocations", json={"inputs": {"seconds": [3]}})
    assert invocations.status_code == 504, invocations.text
    assert invocations.json()["error_code"] == "DEADLINE_EXCEEDED"
    assert "RUNTIME_MLFLOW_REQUEST_TIMEOUT" in invocations.json()["message"]
    [grpc] = limited.grpc_calls([_grpc_sleep("sleepy", 3)])
    assert grpc["error"]["code"] == "StatusCode.DEADLINE_EXCEEDED", grpc
    assert "RUNTIME_MLFLOW_REQUEST_TIMEOUT" in grpc["error"]["message"]
    # the model keeps serving
    fast = limited.infer("sleepy", _v2(0.05))
    assert fast.status_code == 200 and fast.json()["outputs"][0]["data"] == [0.05]
    assert sample(limited.metrics_url, "runtime_mlflow_requests_timed_out_total", model="sleepy") >= 4


def test_a_models_own_request_timeout_overrides_the_variable(limited):
    response = limited.infer("patient", _v2(2))
    assert response.status_code == 200, response.text


def test_calls_still_running_after_their_504_hold_their_place_under_max_inflight(limited):
    answers: list[httpx.Response] = []
    threads = [threading.Thread(target=lambda: answers.append(limited.infer("capped", _v2(3)))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [504, 504], [a.text for a in answers]
    started = time.monotonic()
    refused = limited.infer("capped", _v2(0.05))  # both calls still sleep: the model holds 2
    assert time.monotonic() - started < 1
    assert refused.status_code == 503 and "max_inflight" in refused.json()["error"], refused.text
    assert refused.headers["retry-after"] == "1"
    [grpc] = limited.grpc_calls([_grpc_sleep("capped", 0.05)])
    assert grpc["error"]["code"] == "StatusCode.RESOURCE_EXHAUSTED", grpc
    seldon = limited.client.post("/v2/models/capped/api/v1.0/predictions",
                                 json={"data": {"names": ["seconds"], "ndarray": [[0.05]]}})
    assert seldon.status_code == 503 and seldon.headers["retry-after"] == "1"
    assert seldon.json()["status"]["reason"] == "MICROSERVICE_UNAVAILABLE"
    assert sample(limited.metrics_url, "runtime_mlflow_requests_shed_total", model="capped") >= 3
    time.sleep(2.5)  # the two calls have ended
    assert limited.infer("capped", _v2(0.05)).status_code == 200


def test_work_for_a_grpc_client_that_has_gone_away_is_not_started(limited, diary):
    """The model process runs predictions in its threads (cpu count + 4, at most 32): with every
    thread busy, a request waits; its client's deadline passes; the model never starts it."""
    threads = min(32, (os.cpu_count() or 1) + 4)
    busy = [threading.Thread(target=limited.client.post, args=("/v2/models/diary/infer",), kwargs={"json": {
        "parameters": {"content_type": "pd"},
        "inputs": [{"name": "seconds", "datatype": "FP64", "shape": [1], "data": [4.0]},
                   {"name": "tag", "datatype": "BYTES", "shape": [1], "data": [f"busy-{i}"]}]}}) for i in range(threads)]
    for thread in busy:
        thread.start()
    deadline = time.monotonic() + 30
    while not diary.exists() or len(diary.read_text().split()) < threads:
        assert time.monotonic() < deadline, diary.read_text() if diary.exists() else "no diary"
        time.sleep(0.05)
    [gone] = limited.grpc_calls([{"model": "diary", "client_timeout": 1, "inputs": [
        {"name": "seconds", "datatype": "FP64", "shape": [1], "data": [0.01]},
        {"name": "tag", "datatype": "BYTES", "shape": [1], "data": ["gone"]}]}])
    assert "Deadline" in gone["error"]["message"] or "DEADLINE" in gone["error"]["code"], gone
    for thread in busy:
        thread.join()
    time.sleep(0.5)
    started = diary.read_text().split()
    assert "gone" not in started, started
    assert sorted(started) == sorted(f"busy-{i}" for i in range(threads))
    # and the model still answers
    ok = limited.client.post("/v2/models/diary/infer", json={"parameters": {"content_type": "pd"}, "inputs": [
        {"name": "seconds", "datatype": "FP64", "shape": [1], "data": [0.01]},
        {"name": "tag", "datatype": "BYTES", "shape": [1], "data": ["after"]}]})
    assert ok.status_code == 200, ok.text
