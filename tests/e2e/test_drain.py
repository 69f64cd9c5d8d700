"""The drain on SIGTERM and SIGINT (:mod:`runtime_mlflow.lifecycle`), and readiness at start-up,
on a real ``mlserver start`` with real clients (httpx; tritonclient.grpc in a process of its own)
and real signals.

Each drain test stops its server, so each starts one: sleepy (3 s per request here) and
countdown (a stream that pauses before each chunk).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from metrics_text import sample
from mlserver_process import GRPC_CLIENT, Server, tree, write_model_settings

SLOW = 3.0


def _v2(seconds: float) -> dict:
    return {"inputs": [{"name": "seconds", "datatype": "FP64", "shape": [1], "data": [seconds]}]}


def _countdown(n: int, pause: float) -> dict:
    return {"parameters": {"content_type": "pd", "pause": pause},
            "inputs": [{"name": "n", "shape": [1], "datatype": "INT64", "data": [n]}]}


def _serve(model_dirs: dict[str, Path], tmp_path: Path, environ: dict[str, str] | None = None) -> Server:
    repo = tmp_path / "repo"
    for name in ("sleepy", "countdown"):
        write_model_settings(repo, name, str(model_dirs[name]))
    server = Server(repo, tmp_path / "mlserver.log", environ=environ)
    for name in ("sleepy", "countdown"):
        assert server.load(name).status_code == 200, server.log.read_text()[-3000:]
    return server


class Calls:
    """Requests run in threads, each answer kept with the time it came."""

    def __init__(self, server: Server) -> None:
        self.server, self.answers, self._threads = server, {}, []

    def start(self, name: str, call: Any) -> None:
        def run() -> None:
            try:
                self.answers[name] = (call(), time.monotonic())
            except Exception as exc:  # the server went away: what the client saw
                self.answers[name] = (exc, time.monotonic())

        thread = threading.Thread(target=run)
        thread.start()
        self._threads.append(thread)

    def post(self, name: str, path: str, body: dict) -> None:
        self.start(name, lambda: httpx.post(self.server.url + path, json=body, timeout=60))

    def events(self, name: str, body: dict) -> None:
        def read() -> tuple[int, list[dict]]:
            with httpx.stream("POST", f"{self.server.url}/v2/models/countdown/infer_stream", json=body,
                              timeout=60) as response:
                return response.status_code, [json.loads(line[6:]) for line in response.iter_lines()
                                              if line.startswith("data: ")]

        self.start(name, read)

    def join(self) -> None:
        for thread in self._threads:
            thread.join(90)


def _grpc(server: Server, calls: list[dict]) -> subprocess.Popen:
    """tritonclient.grpc calls, all at once, in a process of their own (answers on its stdout)."""
    process = subprocess.Popen([sys.executable, str(GRPC_CLIENT), server.grpc, "--parallel"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdin is not None
    process.stdin.write(json.dumps(calls))
    process.stdin.close()
    process.stdin = None  # sent: communicate() only reads
    return process


def _grpc_answers(process: subprocess.Popen) -> list[dict]:
    out, err = process.communicate(timeout=90)
    assert process.returncode == 0, err
    return json.loads(out)


def _wait_inflight(server: Server, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while sample(server.metrics_url, "runtime_mlflow_requests_inflight") < count:
        assert time.monotonic() < deadline, server.log.read_text()[-3000:]
        time.sleep(0.05)


def _probe_until_exit(server: Server) -> list[tuple[Any, Any, Any, Any]]:
    """(server ready, model ready, live, Seldon status) until the process has exited."""
    seen = []
    with httpx.Client(base_url=server.url, timeout=5) as client:
        while server.process.poll() is None:
            try:
                seen.append(tuple(client.get(path).status_code for path in (
                    "/v2/health/ready", "/v2/models/sleepy/ready", "/v2/health/live",
                    "/v2/models/sleepy/health/status")))
            except httpx.TransportError:
                seen.append(("closed",) * 4)
            time.sleep(0.05)
    return seen


def _alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().split(")")[-1].split()[0] != "Z":
                    alive.append(pid)
        except FileNotFoundError:
            continue
    return alive


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_every_request_in_flight_gets_its_answer_then_the_server_exits_0(sig, model_dirs, tmp_path):
    server = _serve(model_dirs, tmp_path)
    try:
        grpc = _grpc(server, [
            {"model": "sleepy", "inputs": [{"name": "seconds", "datatype": "FP64", "shape": [1], "data": [SLOW]}]},
            {"model": "countdown", "stream": True, "parameters": {"pause": "1.0", "content_type": "pd"},
             "inputs": [{"name": "n", "datatype": "INT64", "shape": [1], "data": [3]}]},
        ])
        calls = Calls(server)
        calls.post("v2", "/v2/models/sleepy/infer", _v2(SLOW))
        calls.post("invocations", "/v2/models/sleepy/invocations", {"inputs": {"seconds": [SLOW]}})
        calls.post("seldon", "/v2/models/sleepy/api/v1.0/predictions",
                   {"data": {"names": ["seconds"], "ndarray": [[SLOW]]}})
        calls.events("sse", _countdown(3, 1.0))
        _wait_inflight(server, 6)
        processes = tree(server.process.pid)
        assert len(processes) >= 3  # the server, a template, model processes
        server.process.send_signal(sig)
        signalled = time.monotonic()
        calls.post("after the signal", "/v2/models/sleepy/infer", _v2(0.2))  # a load balancer not caught up yet
        ready_probe = _grpc(server, [{"ready": True}])
        probes = _probe_until_exit(server)
        exited = time.monotonic()
        calls.join()
        grpc_answers, ready_answer = _grpc_answers(grpc), _grpc_answers(ready_probe)
    finally:
        server.stop()
    log = server.log.read_text()[-5000:]
    assert server.process.returncode == 0, log

    assert calls.answers["v2"][0].status_code == 200, calls.answers["v2"][0].text
    assert calls.answers["v2"][0].json()["outputs"][0]["data"] == [SLOW]
    assert calls.answers["after the signal"][0].status_code == 200, calls.answers["after the signal"][0].text
    assert calls.answers["invocations"][0].status_code == 200
    assert calls.answers["invocations"][0].json() == {"predictions": [SLOW]}
    assert calls.answers["seldon"][0].status_code == 200
    assert calls.answers["seldon"][0].json()["data"]["ndarray"] == [SLOW]
    status, events = calls.answers["sse"][0]
    assert status == 200 and [e["outputs"][0]["data"] for e in events] == [[f"token-{i}"] for i in range(3)]
    unary, stream = grpc_answers
    assert unary["outputs"]["output-0"]["data"] == [SLOW], unary
    assert [c["outputs"]["output-0"]["data"] for c in stream["chunks"]] == [[f"token-{i}"] for i in range(3)], stream

    last_answer = max(at for _, at in calls.answers.values())
    assert exited - last_answer < 10, (exited - last_answer, log)
    assert exited - signalled < 25, log
    # readiness failed at once and never came back; liveness answered while the drain waited
    assert probes and not any(200 in (ready, model_ready) for ready, model_ready, _, _ in probes), probes
    assert any(live == 200 for _, _, live, _ in probes), probes
    assert all(status in (503, "closed") for _, _, _, status in probes), probes
    assert ready_answer[0].get("ready") is not True, ready_answer
    time.sleep(0.5)
    assert _alive(processes) == [], (processes, log)


def test_requests_still_running_at_the_shutdown_timeout_get_503_in_their_protocol_and_the_server_exits(
        model_dirs, tmp_path):
    server = _serve(model_dirs, tmp_path, environ={"RUNTIME_MLFLOW_SHUTDOWN_TIMEOUT": "4"})
    try:
        grpc = _grpc(server, [
            {"model": "sleepy", "inputs": [{"name": "seconds", "datatype": "FP64", "shape": [1], "data": [30.0]}]}])
        calls = Calls(server)
        calls.post("v2", "/v2/models/sleepy/infer", _v2(30.0))
        calls.post("invocations", "/v2/models/sleepy/invocations", {"inputs": {"seconds": [30.0]}})
        calls.post("seldon", "/v2/models/sleepy/api/v1.0/predictions",
                   {"data": {"names": ["seconds"], "ndarray": [[30.0]]}})
        _wait_inflight(server, 4)
        processes = tree(server.process.pid)
        server.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        server.process.wait(30)
        exited = time.monotonic()
        calls.join()
        [unary] = _grpc_answers(grpc)
    finally:
        server.stop()
    log = server.log.read_text()[-5000:]
    assert server.process.returncode == 0, log
    assert exited - signalled < 4 + 2, (exited - signalled, log)
    v2, invocations, seldon = (calls.answers[k][0] for k in ("v2", "invocations", "seldon"))
    assert v2.status_code == 503 and "RUNTIME_MLFLOW_SHUTDOWN_TIMEOUT" in v2.json()["error"], v2.text
    assert v2.headers.get("retry-after") == "1"
    assert invocations.status_code == 503 and invocations.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
    assert seldon.status_code == 503 and seldon.json()["status"]["reason"] == "MICROSERVICE_UNAVAILABLE"
    assert unary["error"]["code"] == "StatusCode.UNAVAILABLE", unary
    time.sleep(0.5)
    assert _alive(processes) == [], (processes, log)


def test_the_server_is_not_ready_until_every_start_up_model_has_loaded(model_dirs, tmp_path_factory, tmp_path):
    """MLServer #2056: with its start-up models still loading, MLServer said ready."""
    import mlflow
    import pyfuncs
    from mlflow.models import ModelSignature
    from mlflow.types.schema import ColSpec, Schema

    slow = tmp_path_factory.mktemp("slowload") / "model"
    mlflow.pyfunc.save_model(str(slow), python_model=pyfuncs.SlowLoad(), code_paths=[pyfuncs.__file__],
                             model_config={"seconds": 4}, signature=ModelSignature(Schema([ColSpec("double", "x")])))
    repo = tmp_path / "repo"
    write_model_settings(repo, "slow", str(slow))
    write_model_settings(repo, "sleepy", str(model_dirs["sleepy"]))
    server = Server(repo, tmp_path / "mlserver.log", load_models_at_startup=True)
    try:
        seen = []
        deadline = time.monotonic() + 120
        while server.client.get("/v2/models/slow/ready").status_code != 200:
            assert time.monotonic() < deadline, server.log.read_text()[-3000:]
            ready = server.client.get("/v2/health/ready").status_code
            if server.client.get("/v2/models/slow/ready").status_code != 200:  # still loading after the probe
                seen.append(ready)
            time.sleep(0.1)
        assert seen and 200 not in seen, seen
        assert server.client.get("/v2/health/ready").status_code == 200
        [grpc_ready] = _grpc_answers(_grpc(server, [{"ready": True}]))
        assert grpc_ready["ready"] is True
    finally:
        server.stop()
