"""Models served with their own packed environment, through a real ``mlserver start``.

The environment (``packed_env``) is a real virtualenv on an older Python with MLflow 2.22,
numpy 1.26, pandas 2.2 and scikit-learn 1.5, plus ``humanize`` (which the server lacks),
packed by the real conda-pack. The server runs MLflow 3, numpy 2 and pandas 3. Every
model here finds ``environment.tar.gz`` in its folder with no setting.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import envkit
import numpy as np
import pandas as pd
import pytest
from metrics_text import sample
from mlserver_process import Server, write_model_settings

WINE_CSV = Path(__file__).resolve().parents[2] / "examples" / "wine" / "winequality-red.csv"


def model_folder(packed_env, dest: Path, name: str, with_tarball: bool = True) -> Path:
    """A copy of one of the environment's models, with the packed environment beside it."""
    shutil.copytree(packed_env.models / name, dest)
    if with_tarball:
        os.link(packed_env.tarball, dest / "environment.tar.gz")
    return dest


def wine_request(rows: pd.DataFrame) -> dict:
    return {
        "parameters": {"content_type": "pd"},
        "inputs": [
            {"name": col, "shape": [len(rows)], "datatype": "FP64", "data": rows[col].astype(float).tolist()}
            for col in rows.columns
        ],
    }


def model_pid(server: Server, name: str) -> int:
    pids = re.findall(rf"Model '{name}': environment .* \(pid (\d+)[,)]", server.log.read_text())
    assert pids, f"no model process logged for {name}"
    return int(pids[-1])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is not alive
        return stat.read().split(") ")[1][0] != "Z"


def wait_for(predicate, timeout: float = 60, every: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


@pytest.fixture(scope="module")
def features() -> pd.DataFrame:
    return pd.read_csv(WINE_CSV).drop(columns=["quality"])


@pytest.fixture(scope="module")
def env_server(tmp_path_factory, packed_env):
    """One server (default parallel_workers) with four environment models and a shared cache."""
    root = tmp_path_factory.mktemp("envrepo")
    cache = root / "cache"
    models = root / "models"
    for name in ("wine", "humanized", "echo", "counter"):
        folder = model_folder(packed_env, models / name, name)
        write_model_settings(root / "repo", f"{name}_env", str(folder), cache_dir=str(cache))
    write_model_settings(root / "repo", "humanized_here", str(models / "humanized"), environment="none")
    srv = Server(root / "repo", root / "mlserver.log")
    try:
        for name in ("wine_env", "humanized_env", "echo_env", "counter_env"):
            response = srv.load(name)
            assert response.status_code == 200, (name, response.text, srv.log.read_text()[-3000:])
        srv.cache, srv.models, srv.repo = cache, models, root / "repo"
        yield srv
    finally:
        srv.stop()


def test_old_stack_model_answers_as_in_its_own_environment(env_server, packed_env, features):
    response = env_server.infer("wine_env", wine_request(features))
    assert response.status_code == 200, response.text
    [output] = response.json()["outputs"]
    assert output["shape"] == [len(features), 1] or output["shape"] == [len(features)]
    assert output["data"] == packed_env.expected["wine"]  # bit for bit, across numpy 1 -> 2 and pandas 2 -> 3
    assert packed_env.expected["versions"]["mlflow"].startswith("2.")


def test_metadata_comes_from_the_old_signature(env_server, features):
    metadata = env_server.client.get("/v2/models/wine_env").json()
    assert [i["name"] for i in metadata["inputs"]] == list(features.columns)
    assert {i["datatype"] for i in metadata["inputs"]} == {"FP64"}
    assert env_server.client.get("/v2/models/wine_env/ready").status_code == 200


def test_grpc_reaches_the_environment_model(env_server, packed_env, features):
    rows = features.head(5)
    [answer, misnamed] = env_server.grpc_calls([
        {"model": "wine_env", "parameters": {"content_type": "pd"},
         "inputs": [{"name": c, "datatype": "FP64", "data": rows[c].tolist(), "shape": [5]} for c in rows.columns]},
        {"model": "wine_env", "parameters": {"content_type": "pd"},
         "inputs": [{"name": c + "x", "datatype": "FP64", "data": rows[c].tolist(), "shape": [5]} for c in rows.columns]},
    ])
    [output] = answer["outputs"].values()
    assert output["data"] == packed_env.expected["wine"][:5]
    assert misnamed["error"]["code"] == "StatusCode.INVALID_ARGUMENT"


def test_mlflow_and_seldon_protocols_reach_the_environment_model(env_server, packed_env, features):
    """MLServer loses custom routes for models it runs elsewhere; ours reach the model process."""
    rows = features.head(5)
    split = {"dataframe_split": {"columns": list(rows.columns), "data": rows.to_numpy().tolist()}}
    scored = env_server.client.post("/v2/models/wine_env/invocations", json=split)
    assert scored.status_code == 200, scored.text
    assert scored.json() == {"predictions": packed_env.expected["wine"][:5]}
    version = env_server.client.get("/v2/models/wine_env/version").text
    assert version == packed_env.expected["versions"]["mlflow"]  # the environment's MLflow, not the server's
    missing = env_server.client.post("/v2/models/wine_env/invocations",
                                     json={"dataframe_split": {"columns": ["alcohol"], "data": [[9.4]]}})
    assert missing.status_code == 400, missing.text  # the code is the environment's MLflow's (2.x: INVALID_PARAMETER_VALUE)
    assert "fixed acidity" in missing.json()["message"]
    seldon = env_server.client.post("/v2/models/wine_env/api/v1.0/predictions",
                                    json={"data": {"ndarray": rows.to_numpy().tolist()}})
    assert seldon.status_code == 200, seldon.text
    assert seldon.json()["data"]["ndarray"] == packed_env.expected["wine"][:5]


def test_predict_stream_streams_from_the_model_process(env_server, tmp_path):
    """Each chunk crosses the process boundary as the model yields it (it waits for gate/<i>)."""
    body = {"parameters": {"content_type": "pd", "gate": str(tmp_path)},
            "inputs": [{"name": "n", "shape": [1], "datatype": "INT64", "data": [4]}]}
    chunks = []
    with env_server.client.stream("POST", "/v2/models/counter_env/infer_stream", json=body) as response:
        assert response.status_code == 200, response.read()
        for line in response.iter_lines():
            if line.startswith("data: "):
                event = json.loads(line[len("data: "):])
                assert "outputs" in event, event
                chunks.extend(event["outputs"][0]["data"])
                (tmp_path / str(len(chunks) - 1)).touch()
    assert chunks == ["1", "10", "100", "1,000"]
    whole = env_server.infer("counter_env", {**body, "parameters": {"content_type": "pd"}})
    assert whole.json()["outputs"][0]["data"] == chunks  # and the process still answers in step


def test_a_package_only_the_environment_has_loads_through_it(env_server):
    response = env_server.infer(
        "humanized_env", {"parameters": {"content_type": "pd"},
                          "inputs": [{"name": "n", "shape": [2], "datatype": "INT64", "data": [1234567, 12]}]},
    )
    assert response.status_code == 200, response.text
    outputs = {o["name"]: o["data"] for o in response.json()["outputs"]}
    assert outputs["text"] == ["1,234,567", "12"]
    assert all(str(env_server.cache) in python for python in outputs["python"])  # the unpacked environment's
    assert outputs["server_packages_visible"] == [False, False]  # mlserver is not importable in there
    # The same model without its environment cannot import humanize.
    response = env_server.load("humanized_here")
    assert response.status_code >= 400
    assert "humanize" in response.text


def test_values_of_every_column_type_cross_both_ways(env_server):
    body = {"parameters": {"content_type": "pd"}, "inputs": [
        {"name": "i", "shape": [3], "datatype": "INT64", "data": [1, -2, 2**53]},
        {"name": "f", "shape": [3], "datatype": "FP64", "data": [0.5, -1e300, 3.25]},
        {"name": "s", "shape": [3], "datatype": "BYTES", "data": ["ascii", "ünïcødé ✓", ""]},
        {"name": "b", "shape": [3], "datatype": "BOOL", "data": [True, False, True]},
        {"name": "t", "shape": [3], "datatype": "BYTES", "data": ["2024-01-01T00:00:00", "1999-12-31T23:59:59",
                                                                    "2038-01-19T03:14:08"],
         "parameters": {"content_type": "datetime"}},
    ]}
    response = env_server.infer("echo_env", body)
    assert response.status_code == 200, response.text
    outputs = {o["name"]: o for o in response.json()["outputs"]}
    for sent in body["inputs"][:4]:
        assert outputs[sent["name"]]["data"] == sent["data"], sent["name"]
    assert list(pd.to_datetime(outputs["t"]["data"], format="ISO8601")) == list(pd.to_datetime(body["inputs"][4]["data"]))


def test_errors_keep_their_meaning_across_the_process_boundary(env_server):
    echo = {"parameters": {"content_type": "pd"}, "inputs": [
        {"name": "i", "shape": [1], "datatype": "INT64", "data": [1]},
        {"name": "f", "shape": [1], "datatype": "FP64", "data": [0.5]},
        {"name": "s", "shape": [1], "datatype": "BYTES", "data": ["a"]},
        {"name": "b", "shape": [1], "datatype": "BOOL", "data": [True]},
        {"name": "t", "shape": [1], "datatype": "BYTES", "data": ["2024-01-01T00:00:00"],
         "parameters": {"content_type": "datetime"}},
    ]}
    told = env_server.infer("echo_env", {**echo, "parameters": {"content_type": "pd", "fail": "value"}})
    assert told.status_code == 400 and "echo was told to fail" in told.json()["error"]
    crashed = env_server.infer("echo_env", {**echo, "parameters": {"content_type": "pd", "fail": "crash"}})
    assert crashed.status_code == 500 and "crashed on purpose" in crashed.json()["error"]
    missing = env_server.infer("echo_env", {**echo, "inputs": echo["inputs"][1:]})
    assert missing.status_code == 400 and "'i'" in missing.json()["error"]
    assert env_server.infer("echo_env", echo).status_code == 200  # still serving


def test_a_killed_model_process_comes_back_without_a_server_restart(env_server, features):
    pid = model_pid(env_server, "echo_env")
    os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: env_server.client.get("/v2/models/echo_env/ready").status_code != 200, timeout=10)
    down = env_server.infer("echo_env", {"inputs": [{"name": "i", "shape": [1], "datatype": "INT64", "data": [1]}]})
    assert down.status_code == 503, down.text
    assert "restart" in down.json()["error"]
    assert wait_for(lambda: env_server.client.get("/v2/models/echo_env/ready").status_code == 200, timeout=60)
    assert model_pid(env_server, "echo_env") != pid
    assert "was killed by signal 9 (SIGKILL)" in env_server.log.read_text()
    other = env_server.infer("wine_env", wine_request(features.head(2)))  # other models never noticed
    assert other.status_code == 200
    assert sample(env_server.metrics_url, "runtime_mlflow_model_restarts_total", model="echo_env") >= 1


def test_cache_metrics_count_unpacks_and_reuses(env_server):
    """Four models share one archive in one cache: one miss (unpacked once, timed), three hits."""
    url = env_server.metrics_url
    assert sample(url, "runtime_mlflow_cache_lookups_total", kind="environment", result="miss") >= 1
    assert sample(url, "runtime_mlflow_cache_lookups_total", kind="environment", result="hit") >= 3
    assert sample(url, "runtime_mlflow_cache_fill_seconds_count", kind="environment", step="unpack") >= 1
    assert sample(url, "runtime_mlflow_cache_fill_seconds_sum", kind="environment", step="unpack") > 0


def test_unload_stops_the_model_process(env_server):
    pid = model_pid(env_server, "humanized_env")
    assert alive(pid)
    assert env_server.client.post("/v2/repository/models/humanized_env/unload").status_code == 200
    assert wait_for(lambda: not alive(pid), timeout=15)


def test_a_restart_reuses_the_cache_and_shutdown_leaves_no_process(env_server, tmp_path, features):
    repo = tmp_path / "repo"  # a second server on the same model folder and cache, as after a restart
    write_model_settings(repo, "wine_again", str(env_server.models / "wine"), cache_dir=str(env_server.cache))
    before = sorted(p.name for p in (env_server.cache / "environments").iterdir())
    srv = Server(repo, tmp_path / "mlserver.log")
    try:
        assert srv.load("wine_again").status_code == 200
        assert srv.infer("wine_again", wine_request(features.head(3))).status_code == 200
        log = srv.log.read_text()
        assert "Reusing cached environment" in log
        assert "Extracting" not in log and "Hashing" not in log  # neither unpacked nor read again
        pid = model_pid(srv, "wine_again")
    finally:
        srv.stop()
    assert wait_for(lambda: not alive(pid), timeout=15), "the model process outlived the server"
    assert sorted(p.name for p in (env_server.cache / "environments").iterdir()) == before


def test_concurrent_first_loads_extract_once(packed_env, tmp_path, features):
    repo, cache = tmp_path / "repo", tmp_path / "cache"
    for name in ("first", "second"):
        folder = model_folder(packed_env, tmp_path / name, "wine")
        write_model_settings(repo, name, str(folder), cache_dir=str(cache))
    srv = Server(repo, tmp_path / "mlserver.log", parallel_workers=2)
    try:
        answers: dict[str, int] = {}
        loads = [threading.Thread(target=lambda n=n: answers.__setitem__(n, srv.load(n).status_code))
                 for n in ("first", "second")]
        for thread in loads:
            thread.start()
        for thread in loads:
            thread.join()
        assert answers == {"first": 200, "second": 200}
        for name in ("first", "second"):
            assert srv.infer(name, wine_request(features.head(2))).status_code == 200
        assert srv.log.read_text().count("Extracting ") == 1
    finally:
        srv.stop()
    assert len([p for p in (cache / "environments").iterdir() if not p.name.startswith(".")]) == 1


@pytest.fixture(scope="module")
def native_tarball(tmp_path_factory) -> Path:
    """MLServer's own way: an environment with runtime_mlflow (and so mlserver) installed in it."""
    root = tmp_path_factory.mktemp("native")
    checkout = Path(__file__).resolve().parents[2]
    prefix = envkit.make_venv(sys.executable, root / "env", [str(checkout), "humanize"], installer="uv")
    tarball = envkit.conda_pack(prefix, root / "native.tar.gz")
    shutil.rmtree(prefix)
    return tarball


def test_mlserver_environment_tarball_with_runtime_mlflow_inside(packed_env, native_tarball, model_dirs, tmp_path):
    repo = tmp_path / "repo"
    folder = model_folder(packed_env, tmp_path / "humanized", "humanized", with_tarball=False)
    write_model_settings(repo, "native", str(folder), environment_tarball=str(native_tarball), xtype="DataFrame")
    write_model_settings(repo, "plain", str(model_dirs["echo"]))
    srv = Server(repo, tmp_path / "mlserver.log", parallel_workers=1, environments_dir=str(tmp_path / "envs"))
    try:
        assert srv.load("native").status_code == 200, srv.log.read_text()[-3000:]
        response = srv.infer("native", {"parameters": {"content_type": "pd"},
                                        "inputs": [{"name": "n", "shape": [1], "datatype": "INT64", "data": [4096]}]})
        assert response.status_code == 200, response.text
        outputs = {o["name"]: o["data"] for o in response.json()["outputs"]}
        assert outputs["text"] == ["4,096"]
        assert all(python.startswith(str(tmp_path / "envs")) for python in outputs["python"])  # MLServer's worker
        assert outputs["server_packages_visible"] == [True]  # MLServer's way needs mlserver in the environment
        # MLServer keeps the runtime out of its main process here, so the protocol routes exist
        # once a model of this runtime loads there (any other model on the server).
        assert srv.load("plain").status_code == 200, srv.log.read_text()[-3000:]
        seldon = srv.client.post("/v2/models/native/api/v1.0/predictions", json={"data": {"names": ["n"], "ndarray": [[4096]]}})
        assert seldon.status_code == 200, seldon.text  # MLServer itself answers 404 for custom routes here
        assert seldon.json()["data"]["names"][0] == "text" and seldon.json()["data"]["ndarray"][0][0] == "4,096"
        assert seldon.json()["data"]["ndarray"][0][1].startswith(str(tmp_path / "envs"))  # answered in MLServer's env
    finally:
        srv.stop()


def humanize_request(n: int) -> dict:
    return {"parameters": {"content_type": "pd"}, "inputs": [{"name": "n", "shape": [1], "datatype": "INT64", "data": [n]}]}


def test_environment_built_from_the_models_requirements(packed_env, tmp_path):
    repo = tmp_path / "repo"
    folder = model_folder(packed_env, tmp_path / "humanized", "humanized", with_tarball=False)
    write_model_settings(repo, "built", str(folder), environment="build", cache_dir=str(tmp_path / "cache"))
    srv = Server(repo, tmp_path / "mlserver.log")
    try:
        assert srv.load("built").status_code == 200, srv.log.read_text()[-3000:]
        response = srv.infer("built", humanize_request(1000000))
        assert response.status_code == 200, response.text
        outputs = {o["name"]: o["data"] for o in response.json()["outputs"]}
        assert outputs["text"] == ["1,000,000"] and outputs["server_packages_visible"] == [False]
        log = srv.log.read_text()
        assert "uv pip install" in log and "humanize" in log  # progress in the log
        assert sample(srv.metrics_url, "runtime_mlflow_cache_fill_seconds_count", kind="environment", step="build") == 1
    finally:
        srv.stop()


def test_pack_command_builds_an_archive_the_server_loads(packed_env, tmp_path):
    folder = model_folder(packed_env, tmp_path / "humanized", "humanized", with_tarball=False)
    done = subprocess.run(
        [str(Path(sys.executable).parent / "runtime-mlflow"), "pack", str(folder), "--compress-level", "1"],
        capture_output=True, text=True, timeout=900, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == str(folder / "environment.tar.gz")
    assert "runs Python" in done.stderr  # the archive was proved by loading the model from it
    repo = tmp_path / "repo"
    write_model_settings(repo, "packed", str(folder), cache_dir=str(tmp_path / "cache"))  # found with no setting
    srv = Server(repo, tmp_path / "mlserver.log")
    try:
        assert srv.load("packed").status_code == 200, srv.log.read_text()[-3000:]
        response = srv.infer("packed", humanize_request(2500))
        assert response.status_code == 200 and response.json()["outputs"][0]["data"] == ["2,500"]
    finally:
        srv.stop()


def test_a_missing_named_archive_fails_the_load_and_others_keep_serving(env_server, tmp_path):
    write_model_settings(env_server.repo, "nowhere", str(env_server.models / "echo"),
                         environment=str(tmp_path / "missing.tar.gz"))
    response = env_server.load("nowhere")
    assert response.status_code >= 400 and "missing.tar.gz" in response.text
    assert env_server.client.get("/v2/models/wine_env/ready").status_code == 200


def test_a_named_archive_with_mlflow_3_runs_as_a_model_process(packed_env, native_tarball, tmp_path):
    repo, cache = tmp_path / "repo", tmp_path / "cache"
    folder = model_folder(packed_env, tmp_path / "humanized", "humanized", with_tarball=False)
    write_model_settings(repo, "named", str(folder), environment=str(native_tarball), cache_dir=str(cache))
    srv = Server(repo, tmp_path / "mlserver.log", parallel_workers=0)
    try:
        assert srv.load("named").status_code == 200, srv.log.read_text()[-3000:]
        response = srv.infer("named", humanize_request(31337))
        assert response.status_code == 200, response.text
        outputs = {o["name"]: o["data"] for o in response.json()["outputs"]}
        assert outputs["text"] == ["31,337"] and str(cache) in outputs["python"][0]
        assert re.search(r"Model 'named': environment .* runs Python 3\.\d+\.\d+, MLflow 3\.", srv.log.read_text())
    finally:
        srv.stop()


def test_a_method_answers_from_the_models_own_environment(env_server, packed_env, features):
    folder = model_folder(packed_env, env_server.models / "classifier", "classifier")
    for name, method in (("classifier_proba", "predict_proba"), ("classifier_nope", "transform")):
        write_model_settings(env_server.repo, name, str(folder), cache_dir=str(env_server.cache), method=method)
    assert env_server.load("classifier_proba").status_code == 200, env_server.log.read_text()[-3000:]
    classes = packed_env.expected["classes"]
    (meta,) = env_server.client.get("/v2/models/classifier_proba").json()["outputs"]
    assert (meta["name"], meta["shape"], meta["parameters"]["classes"]) == ("predict_proba", [-1, len(classes)],
                                                                             classes)
    output = env_server.infer("classifier_proba", wine_request(features.head(5))).json()["outputs"][0]
    assert output["shape"] == [5, len(classes)]
    np.testing.assert_allclose(np.reshape(output["data"], (5, len(classes))), packed_env.expected["proba"],
                               rtol=1e-12)
    seldon = env_server.client.post("/v2/models/classifier_proba/api/v1.0/predictions", json={
        "data": {"names": list(features.columns), "ndarray": features.head(5).to_numpy().tolist()}}).json()
    assert seldon["data"]["names"] == [str(c) for c in classes]
    refused = env_server.load("classifier_nope")
    assert refused.status_code >= 400 and "'transform'" in refused.text and "predict_proba" in refused.text
    assert env_server.infer("wine_env", wine_request(features.head(2))).status_code == 200


def test_alive_but_not_ready_while_an_environment_unpacks(packed_env, tmp_path):
    """What Kubernetes' probes see while a model loads slowly: live 200, the model and the
    server not ready, and the reason in the log."""
    repo = tmp_path / "repo"
    folder = model_folder(packed_env, tmp_path / "models" / "wine", "wine")
    write_model_settings(repo, "slow", str(folder), cache_dir=str(tmp_path / "cache"))  # an empty cache: unpacks
    srv = Server(repo, tmp_path / "mlserver.log", load_models_at_startup=True)
    try:
        seen = srv.probes_until_ready("slow", "Extracting")
        assert seen, "the model was ready before the first probe"
        assert {live for live, _, _ in seen} == {200}
        assert 200 not in {ready for _, ready, _ in seen}
        assert any(extracting for _, _, extracting in seen)  # the reason is in the log while not ready
        assert srv.client.get("/v2/health/ready").status_code == 200
    finally:
        srv.stop()
