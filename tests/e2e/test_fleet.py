"""Many models on one server: each in a process of its own forked from the server's template,
models of one process group sharing one, loaded and unloaded under load without a failed
request, and ``parallel_workers`` processes per model."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import grpc
import mlflow.pyfunc
import pyfuncs
import pytest
from mlflow.models import ModelSignature
from mlflow.types.schema import ColSpec, Schema
from mlserver.grpc import dataplane_pb2 as pb
from mlserver.grpc import dataplane_pb2_grpc as stubs
from mlserver_process import Server, tree, write_model_settings

X = {"name": "x", "shape": [1], "datatype": "FP64"}
WINES = [f"wine{i}" for i in range(4)]


def x(value: float) -> dict:
    return {"inputs": [{**X, "data": [value]}]}


@pytest.fixture(scope="module")
def whereabouts(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("whereabouts") / "model"
    mlflow.pyfunc.save_model(str(path), python_model=pyfuncs.Whereabouts(), code_paths=[pyfuncs.__file__],
                             signature=ModelSignature(Schema([ColSpec("double", "x")])))
    return path


@pytest.fixture(scope="module")
def fleet(tmp_path_factory, model_dirs, whereabouts):
    repo = tmp_path_factory.mktemp("fleet")
    for name in WINES:
        write_model_settings(repo, name, str(model_dirs["wine"]))
    write_model_settings(repo, "paired", str(whereabouts), process_group="pair")
    write_model_settings(repo, "crasher", str(model_dirs["crasher"]), process_group="pair")
    write_model_settings(repo, "solo", str(whereabouts))
    server = Server(repo, tmp_path_factory.mktemp("fleet-logs") / "mlserver.log")  # MLServer's defaults
    try:
        for name in [*WINES, "paired", "crasher", "solo"]:
            assert server.load(name).status_code == 200, server.log.read_text()[-3000:]
        yield server
    finally:
        server.stop()


def pid_of(server: Server, model: str) -> int:
    response = server.infer(model, x(1.0))
    assert response.status_code == 200, response.text
    return {o["name"]: o["data"] for o in response.json()["outputs"]}["pid"][0]


def model_processes(server: Server) -> list[int]:
    """The model processes: the children of the server's template (the one child that has children)."""
    templates = [p for p in tree(server.process.pid)[1:] if len(tree(p)) > 1]
    assert len(templates) == 1, templates
    return tree(templates[0])[1:]


def test_each_model_has_a_forked_process_and_a_process_group_shares_one(fleet):
    paired, solo = pid_of(fleet, "paired"), pid_of(fleet, "solo")
    processes = model_processes(fleet)
    assert paired in processes and solo in processes and paired != solo
    assert len(processes) == len(WINES) + 2  # the wines, the pair, solo
    assert "started fresh" not in fleet.log.read_text()  # every one was forked
    assert fleet.client.get("/v2/health/ready").status_code == 200


class Hammer:
    """Requests to ``models`` in a loop, in threads, with every status kept."""

    def __init__(self, server: Server, models: list[str]) -> None:
        self.statuses: dict[str, list[int]] = {m: [] for m in models}
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(server, m)) for m in models]

    def _run(self, server: Server, model: str) -> None:
        body = x(2.0) if model in ("solo", "paired") else None
        while not self._stop.is_set():
            response = server.client.post(f"/v2/models/{model}/infer", json=body or WINE_ROW)
            self.statuses[model].append(response.status_code)

    def __enter__(self) -> Hammer:
        for thread in self._threads:
            thread.start()
        time.sleep(0.3)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()


WINE_ROW = {"parameters": {"content_type": "pd"}, "inputs": [
    {"name": name, "shape": [1], "datatype": "FP64", "data": [value]} for name, value in {
        "fixed acidity": 7.4, "volatile acidity": 0.7, "citric acid": 0.0, "residual sugar": 1.9,
        "chlorides": 0.076, "free sulfur dioxide": 11.0, "total sulfur dioxide": 34.0, "density": 0.9978,
        "pH": 3.51, "sulphates": 0.56, "alcohol": 9.4}.items()]}


def test_loading_and_unloading_under_load_loses_no_request(fleet):
    """The template forks while other models serve; unloading a model ends its process."""
    with Hammer(fleet, [WINES[0], "solo"]) as hammer, grpc.insecure_channel(fleet.grpc) as channel:
        stub = stubs.GRPCInferenceServiceStub(channel)
        for cycle in range(3):
            before = model_processes(fleet)
            if cycle % 2:
                stub.RepositoryModelUnload(pb.RepositoryModelUnloadRequest(model_name=WINES[3]))
            else:
                assert fleet.client.post(f"/v2/repository/models/{WINES[3]}/unload").status_code == 200
            after = model_processes(fleet)
            assert len(after) == len(before) - 1, (before, after)  # its process is gone, and its memory with it
            if cycle % 2:
                stub.RepositoryModelLoad(pb.RepositoryModelLoadRequest(model_name=WINES[3]))
            else:
                assert fleet.load(WINES[3]).status_code == 200
            assert fleet.infer(WINES[3], WINE_ROW).status_code == 200
    for model, statuses in hammer.statuses.items():
        assert statuses and set(statuses) == {200}, (model, sorted(set(statuses)))


def test_a_crash_takes_its_process_group_down_and_no_other_model(fleet):
    with Hammer(fleet, [WINES[0], "solo"]) as hammer:
        died = fleet.infer("crasher", x(9.0))
        assert died.status_code == 503 and "killed by signal 9 (SIGKILL)" in died.json()["error"], died.text
        deadline = time.monotonic() + 60
        while fleet.infer("paired", x(1.0)).status_code != 200:  # its group's process is started again
            assert time.monotonic() < deadline, fleet.log.read_text()[-3000:]
            time.sleep(0.1)
        assert fleet.infer("crasher", x(1.0)).status_code == 200
    for model, statuses in hammer.statuses.items():
        assert statuses and set(statuses) == {200}, (model, sorted(set(statuses)))


def test_parallel_workers_gives_a_model_that_many_processes(tmp_path, whereabouts):
    write_model_settings(tmp_path / "repo", "spread", str(whereabouts))
    server = Server(tmp_path / "repo", tmp_path / "mlserver.log", parallel_workers=2)
    try:
        assert server.load("spread").status_code == 200, server.log.read_text()[-3000:]
        pids: set[int] = set()
        lock = threading.Lock()

        def ask() -> None:
            for _ in range(20):
                pid = pid_of(server, "spread")
                with lock:
                    pids.add(pid)

        threads = [threading.Thread(target=ask) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(pids) == 2 and pids == set(model_processes(server))
    finally:
        server.stop()
