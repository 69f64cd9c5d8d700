"""A model whose process dies does not fail the requests of another model."""

from __future__ import annotations

import threading
import time

import mlflow.pyfunc
import pyfuncs
import pytest
from mlflow.models import ModelSignature
from mlflow.types.schema import ColSpec, Schema
from mlserver_process import Server, write_model_settings

X = {"name": "x", "shape": [1], "datatype": "FP64"}


# Each model has a process of its own, forked from the server's template (runtime_mlflow.hosting):
# the dying model is tried loaded first and loaded second.
@pytest.mark.parametrize(("order", "death"), [
    pytest.param(("crasher", "picky"), 666.0, id="exits-loaded-first"),
    pytest.param(("picky", "crasher"), 666.0, id="exits-loaded-second"),
    pytest.param(("picky", "crasher"), 11.0, id="segfaults"),
    pytest.param(("picky", "crasher"), 9.0, id="is-killed-as-by-the-oom-killer"),
])
def test_a_dying_model_does_not_fail_another(tmp_path, model_dirs, order, death):
    crasher = tmp_path / "crasher-model"
    mlflow.pyfunc.save_model(str(crasher), python_model=pyfuncs.Crasher(), code_paths=[pyfuncs.__file__],
                             signature=ModelSignature(Schema([ColSpec("double", "x")])))
    repo = tmp_path / "repo"
    write_model_settings(repo, "crasher", str(crasher))
    write_model_settings(repo, "picky", str(model_dirs["picky"]))
    server = Server(repo, tmp_path / "mlserver.log")  # MLServer's default: one worker
    try:
        for name in order:
            assert server.load(name).status_code == 200, server.log.read_text()[-3000:]
        statuses: list[int] = []
        stop = threading.Event()

        def call_healthy() -> None:
            while not stop.is_set():
                statuses.append(server.infer("picky", {"inputs": [{**X, "data": [2.0]}]}).status_code)

        caller = threading.Thread(target=call_healthy)
        caller.start()
        time.sleep(0.5)
        died = server.infer("crasher", {"inputs": [{**X, "data": [death]}]})
        assert died.status_code == 503 and "'crasher'" in died.json()["error"], died.text
        how = {666.0: "exited with status 3", 11.0: "killed by signal 11 (SIGSEGV)", 9.0: "killed by signal 9 (SIGKILL)"}
        assert how[death] in died.json()["error"], died.text  # the answer says what happened
        # while its process is started again, the crashed model is not ready and answers 503 saying so; then 200
        deadline = time.monotonic() + 60
        readiness = []
        while (again := server.infer("crasher", {"inputs": [{**X, "data": [1.0]}]})).status_code != 200:
            assert again.status_code == 503 and "restart" in again.json()["error"], again.text
            readiness.append(server.client.get("/v2/models/crasher/ready").status_code)
            assert time.monotonic() < deadline, "the crashed model never came back"
            time.sleep(0.2)
        assert readiness and readiness[0] != 200, f"the crashed model said it was ready: {readiness}"
        assert server.client.get("/v2/models/crasher/ready").status_code == 200
        assert "Restart 1 of the model process" in server.log.read_text()
        time.sleep(1)
        stop.set()
        caller.join()
        assert statuses and set(statuses) == {200}, f"the healthy model answered {sorted(set(statuses))}"
    finally:
        server.stop()


def test_a_model_that_keeps_crashing_at_load_backs_off_and_comes_back(tmp_path, model_dirs):
    marker = tmp_path / "crash-at-load"
    crashy = tmp_path / "crashy-model"
    mlflow.pyfunc.save_model(str(crashy), python_model=pyfuncs.CrashAtLoad(), code_paths=[pyfuncs.__file__],
                             signature=ModelSignature(Schema([ColSpec("double", "x")])),
                             model_config={"marker": str(marker)})
    repo = tmp_path / "repo"
    write_model_settings(repo, "picky", str(model_dirs["picky"]))
    write_model_settings(repo, "crashy", str(crashy))
    server = Server(repo, tmp_path / "mlserver.log")
    try:
        for name in ("picky", "crashy"):
            assert server.load(name).status_code == 200, server.log.read_text()[-3000:]
        marker.touch()  # from now on the model crashes while it loads
        assert server.infer("crashy", {"inputs": [{**X, "data": [666.0]}]}).status_code == 503
        deadline = time.monotonic() + 60
        while server.log.read_text().count("starting it again in") < 3:
            assert time.monotonic() < deadline, server.log.read_text()[-3000:]
            answer = server.infer("crashy", {"inputs": [{**X, "data": [1.0]}]})
            assert answer.status_code == 503 and "restart" in answer.json()["error"], answer.text
            assert server.client.get("/v2/models/crashy/ready").status_code != 200
            assert server.infer("picky", {"inputs": [{**X, "data": [2.0]}]}).status_code == 200
            time.sleep(0.5)
        log = server.log.read_text()
        delays = [float(line.split("starting it again in ")[1].split(" s")[0])
                  for line in log.splitlines() if "starting it again in" in line]
        assert delays[:3] == [1.0, 2.0, 4.0], delays
        assert "Restart 2 of the model process" in log and "failed" in log
        marker.unlink()  # the cause is gone: the next attempt succeeds
        deadline = time.monotonic() + 60
        while (again := server.infer("crashy", {"inputs": [{**X, "data": [1.0]}]})).status_code != 200:
            assert again.status_code == 503, again.text
            assert time.monotonic() < deadline, server.log.read_text()[-3000:]
            time.sleep(0.5)
        assert again.json()["outputs"][0]["data"] == [1.0]
        assert server.client.get("/v2/models/crashy/ready").status_code == 200
    finally:
        server.stop()
