"""The examples work as their READMEs say: the model is built by the example's script, served
by a real ``mlserver start`` on the example's folder (through the example's own launcher
when it has one: a local S3 server, a tracking server), and the README's requests get the
answers the README shows.

Every example is copied without its built parts, so each test builds from scratch, once
per test run (the conda-pack one, the slow one, included)."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mlserver_process import Server, free_port

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def shown(readme: str, after: str, anchor: str = "") -> list:
    """The JSON list following ``after`` (the first after ``anchor``) in a README's comment lines."""
    start = readme.index(after, readme.index(anchor)) + len(after)
    return json.JSONDecoder().raw_decode(readme, start)[0]


def wait_ready(server: Server, models: list[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not all(server.client.get(f"/v2/models/{m}/ready").status_code == 200 for m in models):
        assert time.monotonic() < deadline and server.process.poll() is None, server.log.read_text()[-3000:]
        time.sleep(0.3)


@pytest.fixture(scope="module")
def iris_proba(tmp_path_factory):
    folder = tmp_path_factory.mktemp("example") / "iris-proba"
    shutil.copytree(EXAMPLES / "iris-proba", folder, ignore=shutil.ignore_patterns("model"))
    subprocess.run([sys.executable, str(folder / "train.py")], check=True, capture_output=True)
    server = Server(folder, folder.parent / "mlserver.log", load_models_at_startup=True)
    try:
        wait_ready(server, ["iris", "iris-proba"])
        yield server, (folder / "README.md").read_text()
    finally:
        server.stop()


def test_iris_proba_answers_as_its_readme_shows(iris_proba):
    server, readme = iris_proba
    body = json.loads(re.search(r"BODY='(.*?)'", readme, re.S).group(1))
    labels = server.infer("iris", body).json()["outputs"][0]
    assert labels["data"] == shown(readme, '"datatype":"BYTES", ...,\n#  "data":')
    proba = server.infer("iris-proba", body).json()["outputs"][0]
    assert (proba["name"], proba["shape"], proba["datatype"]) == ("predict_proba", [2, 3], "FP64")
    assert [round(v, 5) for v in proba["data"]] == shown(readme, '"datatype":"FP64",\n#  "data":')
    meta = server.client.get("/v2/models/iris-proba").json()["outputs"][0]
    assert meta["parameters"]["classes"] == shown(readme, '"classes":')


def test_iris_proba_invocations_and_seldon_as_its_readme_shows(iris_proba):
    server, readme = iris_proba
    columns = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    invocations = server.client.post("/v2/models/iris-proba/invocations",
                                     json={"dataframe_split": {"columns": columns, "data": [[5.1, 3.5, 1.4, 0.2]]}})
    assert [[round(v, 5) for v in invocations.json()["predictions"][0]]] == [shown(readme, '{"predictions": [')]
    seldon = server.client.post("/v2/models/iris-proba/api/v1.0/predictions",
                                json={"data": {"names": columns, "ndarray": [[5.1, 3.5, 1.4, 0.2]]}}).json()
    assert [round(v, 5) for v in seldon["data"]["ndarray"][0]] == shown(readme, '{"data": {"ndarray": [')
    assert seldon["data"]["names"] == shown(readme, ']], "names": ')


@pytest.fixture(scope="module")
def examples(tmp_path_factory) -> Path:
    """A copy of examples/ without anything built; the wine model trained (others use it)."""
    root = tmp_path_factory.mktemp("examples") / "examples"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns("model", "env", "__pycache__", "settings.json"))
    subprocess.run([sys.executable, str(root / "wine" / "train.py")], check=True, capture_output=True)
    return root


def body_of(readme: str) -> dict:
    return json.loads(re.search(r"BODY='(.*?)'", readme, re.S).group(1))


def rounded(values: list[float]) -> list[float]:
    return [round(v, 2) for v in values]


@contextlib.contextmanager
def served(folder: Path, models: list[str], launcher: list[str] | None = None, environ: dict | None = None):
    server = Server(folder, folder / "mlserver.log", launcher=launcher, environ=environ, load_models_at_startup=True)
    try:
        wait_ready(server, models, timeout=300)
        yield server
    finally:
        server.stop()


def build(script: Path) -> None:
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr[-3000:]


def test_custom_code_runs_its_own_pre_and_post_processing(examples):
    folder = examples / "custom-code"
    build(folder / "train.py")
    assert (folder / "model" / "code" / "proprietary.py").is_file()  # shipped inside the model
    readme = (folder / "README.md").read_text()
    with served(folder, ["wine-graded"]) as server:
        outputs = {o["name"]: o["data"] for o in server.infer("wine-graded", body_of(readme)).json()["outputs"]}
    assert outputs["quality"] == shown(readme, '{"name":"quality","shape":[2],"datatype":"FP64","data":')
    assert outputs["grade"] == shown(readme, '"content_type":"str"},"data":')
    assert importlib.util.find_spec("proprietary") is None  # nothing installed for it


def test_xtype_gives_one_model_an_array_or_a_dataframe(examples):
    folder = examples / "xtype"
    build(folder / "train.py")
    readme = (folder / "README.md").read_text()
    with served(folder, ["receiver-ndarray", "receiver-dataframe"]) as server:
        for name in ("receiver-ndarray", "receiver-dataframe"):
            anchor = f"models/{name}/infer"
            outputs = {o["name"]: o["data"] for o in server.infer(name, body_of(readme)).json()["outputs"]}
            assert outputs["received"] == shown(readme, '"name":"received", ..., "data":', anchor)
            assert outputs["sum"] == shown(readme, '"name":"sum","shape":[2],"datatype":"FP64","data":', anchor)
        seldon = server.client.post("/v2/models/receiver-dataframe/api/v1.0/predictions", json={
            "data": {"names": ["a", "b", "c"], "ndarray": [[1, 2, 3], [4, 5, 6]]}}).json()
    assert seldon["data"]["ndarray"] == shown(readme, '{"data": {"ndarray": ')
    assert seldon["data"]["names"] == shown(readme, '"names": ', '# {"data": {"ndarray": ')


def test_conda_pack_runs_the_model_with_its_own_older_libraries(examples):
    import sklearn

    folder = examples / "conda-pack"
    build(folder / "build.py")
    assert (folder / "model" / "environment.tar.gz").is_file() and not (folder / "env").exists()
    # the README's other way: `runtime-mlflow pack` builds the archive from the model's own requirements
    other = folder / "packed-by-runtime-mlflow"
    shutil.copytree(folder / "model", other / "model", ignore=shutil.ignore_patterns("environment.tar.gz"))
    packed = subprocess.run([str(Path(sys.executable).parent / "runtime-mlflow"), "pack", str(other / "model")],
                            capture_output=True, text=True, timeout=900, check=False)
    assert packed.returncode == 0, packed.stderr[-3000:]
    (other / "model-settings.json").write_text(json.dumps({
        "name": "wine-runtime-packed", "implementation": "runtime_mlflow.MLflowRuntime", "parameters": {"uri": "./model"}}))
    readme = (folder / "README.md").read_text()
    answers = {}
    with served(folder, ["wine-own-env", "wine-runtime-packed"]) as server:
        for name in ("wine-own-env", "wine-runtime-packed"):
            answers[name] = {o["name"]: o["data"] for o in server.infer(name, body_of(readme)).json()["outputs"]}
        assert "runs Python" in server.log.read_text()  # a model process of the environment's Python
    for outputs in answers.values():
        assert outputs["sklearn"] == shown(readme, '"datatype":"BYTES", ..., "data":') != [sklearn.__version__] * 2
        assert rounded(outputs["quality"]) == shown(readme, '{"name":"quality","shape":[2],"datatype":"FP64","data":')


def test_object_store_serves_the_model_from_s3(examples):
    folder = examples / "object-store"
    readme = (folder / "README.md").read_text()
    launcher = [sys.executable, str(folder / "serve.py")]
    with served(folder, ["wine-s3"], launcher, {"EXAMPLE_S3_PORT": str(free_port())}) as server:
        outputs = server.infer("wine-s3", body_of(readme)).json()["outputs"]
        metadata = server.client.get("/v2/models/wine-s3").json()
    assert rounded(outputs[0]["data"]) == shown(readme, '"datatype":"FP64","data":')
    assert metadata["parameters"]["source_uri"] == "s3://models/wine"
    assert "example-secret" not in server.log.read_text()


def test_registry_serves_the_alias_and_a_moved_alias_after_a_reload(examples):
    folder = examples / "registry"
    readme = (folder / "README.md").read_text()
    port = free_port()
    launcher = [sys.executable, str(folder / "serve.py")]
    with served(folder, ["wine-champion"], launcher, {"EXAMPLE_TRACKING_PORT": str(port)}) as server:
        first = server.infer("wine-champion", body_of(readme)).json()["outputs"][0]["data"]
        assert rounded(first) == shown(readme, '"datatype":"FP64","data":', "models/wine-champion/infer")
        assert server.client.get("/v2/models/wine-champion").json()["parameters"]["registered_version"] == "1"
        moved = subprocess.run([sys.executable, str(folder / "move_alias.py"), "2"], capture_output=True, text=True,
                               env={**os.environ, "MLFLOW_TRACKING_URI": f"http://127.0.0.1:{port}"}, check=False)
        assert moved.returncode == 0, moved.stderr[-2000:]
        assert server.load("wine-champion").status_code == 200
        second = server.infer("wine-champion", body_of(readme)).json()["outputs"][0]["data"]
        assert server.client.get("/v2/models/wine-champion").json()["parameters"]["registered_version"] == "2"
    assert rounded(second) == shown(readme, '"datatype":"FP64","data":', "move_alias.py 2")
