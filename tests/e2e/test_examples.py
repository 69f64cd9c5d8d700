"""The examples work as their READMEs say: the model is built by the example's script, served
by a real ``mlserver start`` on the example's folder, and the README's request gets the
answer the README shows."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mlserver_process import Server

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def shown(readme: str, after: str) -> list:
    """The JSON list following ``after`` in a README's comment lines."""
    start = readme.index(after) + len(after)
    return json.loads(readme[start:readme.index("]", start) + 1])


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
