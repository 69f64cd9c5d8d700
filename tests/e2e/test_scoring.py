"""MLflow's scoring protocol: our server against ``mlflow models serve`` on the same models.

Every case is sent to both servers in the same test; the status codes must be equal, the
bodies equal for successes, and for failures the MLflow error code equal and the column
at fault named by both. Our server serves the models under ``/v2/models/<name>/...``
(several models are loaded, in MLServer's workers); a second server with one model (in
the main process) answers the root paths.
"""

from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pandas as pd
import pytest
from mlserver_process import Server, write_model_settings
from services import mlflow_serve

JSON = "application/json"
MODELS = ["wine", "nosig", "text", "tensor", "named", "shapes", "picky", "sleepy"]
TIMEOUT = {"MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT": "3"}


@pytest.fixture(scope="module")
def references(model_dirs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory):
    """name -> ``mlflow models serve`` of that model."""
    logs = tmp_path_factory.mktemp("mlflow-serve")
    with ThreadPoolExecutor(4) as pool:
        started = dict(zip(MODELS, pool.map(lambda n: mlflow_serve(model_dirs[n], logs, TIMEOUT), MODELS)))
    clients = {name: httpx.Client(base_url=service.url, timeout=60) for name, service in started.items()}
    try:
        yield clients
    finally:
        for name, service in started.items():
            clients[name].close()
            service.stop()


@pytest.fixture(scope="module")
def ours(model_dirs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory):
    repo = tmp_path_factory.mktemp("scoring-repo")
    for name in MODELS:
        write_model_settings(repo, name, str(model_dirs[name]))
    server = Server(repo, tmp_path_factory.mktemp("scoring-logs") / "mlserver.log", environ=TIMEOUT)
    try:
        for name in MODELS:
            assert server.load(name).status_code == 200, server.log.read_text()[-2000:]
        yield server
    finally:
        server.stop()


def _wine(features: pd.DataFrame, rows: int = 3) -> pd.DataFrame:
    return features.head(rows)


def _split(frame: pd.DataFrame) -> dict:
    return {"dataframe_split": json.loads(frame.to_json(orient="split", index=False))}


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return buffer.getvalue()


def _js(value: object) -> bytes:
    return json.dumps(value).encode()


def _without_alcohol(wine: pd.DataFrame) -> pd.DataFrame:
    return wine.drop(columns=["alcohol"])


def _alcohol_as_text(wine: pd.DataFrame) -> pd.DataFrame:
    return wine.astype({"alcohol": object}).assign(alcohol="strong")


def _records(wine: pd.DataFrame) -> list[dict]:
    return json.loads(wine.to_json(orient="records"))


def _shapes(kind: str) -> bytes:
    return _js({"dataframe_split": {"columns": ["x"], "data": [[1.5], [2]]}, "params": {"kind": kind}})


CASES = {
    # id: (model, content type, body from the first wine rows, the column a failure must name)
    "wine-split": ("wine", JSON, lambda w: _js(_split(w)), None),
    "wine-records": ("wine", JSON, lambda w: _js({"dataframe_records": _records(w)}), None),
    "wine-instances": ("wine", JSON, lambda w: _js({"instances": _records(w)}), None),
    "wine-inputs": ("wine", JSON, lambda w: _js({"inputs": {c: w[c].tolist() for c in w}}), None),
    "wine-charset": ("wine", "application/json; charset=utf-8", lambda w: _js(_split(w)), None),
    "wine-csv": ("wine", "text/csv", lambda w: w.to_csv(index=False).encode(), None),
    "wine-parquet": ("wine", "application/vnd.apache.parquet", _parquet, None),
    "wine-ints": ("wine", JSON, lambda w: _js(_split(w.round().astype("int64"))), None),
    "wine-missing-column": ("wine", JSON, lambda w: _js(_split(_without_alcohol(w))), "alcohol"),
    "wine-wrong-type": ("wine", JSON, lambda w: _js(_split(_alcohol_as_text(w))), "alcohol"),
    "wine-csv-missing-column": ("wine", "text/csv", lambda w: _without_alcohol(w).to_csv(index=False).encode(), "alcohol"),
    "two-formats": ("wine", JSON, lambda w: _js({**_split(w), "inputs": _records(w)}), None),
    "no-format": ("wine", JSON, lambda w: _js({"data": _records(w)}), None),
    "not-json": ("wine", JSON, lambda w: b"{not json", None),
    "json-list": ("wine", JSON, lambda w: _js(_records(w)), None),
    "text-plain": ("wine", "text/plain", lambda w: _js(_split(w)), None),
    "latin-1": ("wine", "application/json; charset=latin-1", lambda w: _js(_split(w)), None),
    "unknown-parameter": ("wine", "application/json; format=pandas-split", lambda w: _js(_split(w)), None),
    "nosig-split": ("nosig", JSON, lambda w: _js(_split(w)), None),
    "text-records": ("text", JSON,
                     lambda w: _js({"dataframe_records": [{"text": "abc", "n": 1}, {"text": "Zürich", "n": 2}]}), None),
    "text-wrong-type": ("text", JSON, lambda w: _js({"dataframe_records": [{"text": "abc", "n": "many"}]}), "n"),
    "tensor": ("tensor", JSON, lambda w: _js({"inputs": [[1, 2, 3], [4, 5, 6.5]]}), None),
    "tensor-wrong-shape": ("tensor", JSON, lambda w: _js({"inputs": [[1, 2], [3, 4]]}), None),
    "named": ("named", JSON, lambda w: _js({"inputs": {"a": [[1, 2]], "b": [[3, 5]]}}), None),
    "named-missing": ("named", JSON, lambda w: _js({"inputs": {"a": [[1, 2]]}}), "b"),
    **{f"shapes-{kind}": ("shapes", JSON, lambda w, kind=kind: _shapes(kind), None)
       for kind in ("series", "numbers", "strings", "records", "dict", "scalar", "matrix")},
    "shapes-unknown-kind": ("shapes", JSON, lambda w: _shapes("nope"), None),
    "picky-client-fault": ("picky", JSON, lambda w: _js({"inputs": {"x": [-1.0]}}), None),
    "picky-own-fault": ("picky", JSON, lambda w: _js({"inputs": {"x": [13.0]}}), None),
    "timeout": ("sleepy", JSON, lambda w: _js({"inputs": {"seconds": [6.0]}}), None),
}


@pytest.mark.parametrize("case", list(CASES))
def test_invocations_answer_as_mlflow_models_serve(case, ours, references, wine_features):
    model, content_type, make_body, column = CASES[case]
    body = make_body(_wine(wine_features))
    headers = {"Content-Type": content_type}
    theirs = references[model].post("/invocations", content=body, headers=headers)
    mine = ours.client.post(f"/v2/models/{model}/invocations", content=body, headers=headers)
    assert mine.status_code == theirs.status_code, (mine.text, theirs.text)
    if theirs.status_code == 200:
        assert mine.headers["content-type"] == theirs.headers["content-type"]
        assert mine.json() == theirs.json()
    elif theirs.headers["content-type"] == JSON and theirs.content.startswith(b"{"):
        assert mine.json()["error_code"] == theirs.json()["error_code"], (mine.text, theirs.text)
        assert "stack_trace" not in mine.json()
        if column is not None:
            assert column in theirs.json()["message"] and column in mine.json()["message"], (mine.text, theirs.text)
    else:
        assert mine.content == theirs.content


@pytest.mark.parametrize("path", ["/ping", "/health", "/version"])
def test_health_and_version_answer_as_mlflow_models_serve(path, ours, references):
    theirs = references["wine"].get(path)
    mine = ours.client.get(f"/v2/models/wine{path}")
    assert (mine.status_code, mine.content, mine.headers["content-type"]) == (
        theirs.status_code, theirs.content, theirs.headers["content-type"])


def test_the_server_keeps_serving_after_a_timeout(ours, wine_features):
    slow = ours.client.post("/v2/models/sleepy/invocations", json={"inputs": {"seconds": [5.0]}})
    assert slow.status_code == 504
    fast = ours.client.post("/v2/models/wine/invocations", json=_split(_wine(wine_features, 1)))
    assert fast.status_code == 200 and len(fast.json()["predictions"]) == 1


def test_a_request_without_content_type_is_415_not_500(ours):
    response = ours.client.post("/v2/models/wine/invocations", content=b"{}", headers={"Content-Type": ""})
    assert response.status_code == 415
    assert "application/json" in response.text


def test_root_paths_with_several_models_name_no_model_and_list_the_paths(ours, wine_features):
    response = ours.client.post("/invocations", json=_split(_wine(wine_features)))
    assert response.status_code == 400
    assert response.json()["error_code"] == "BAD_REQUEST"
    for name in MODELS:
        assert f"/v2/models/{name}/invocations" in response.json()["message"]
    assert ours.client.get("/ping").status_code == 400


def test_each_model_answers_its_own_path(ours, wine_features):
    """Two models loaded: each path reaches its own model (the reference runtime answered one for both)."""
    body = _split(_wine(wine_features))
    wine = ours.client.post("/v2/models/wine/invocations", json=body).json()["predictions"]
    nosig = ours.client.post("/v2/models/nosig/invocations", json=body).json()["predictions"]
    echo = ours.client.post("/v2/models/shapes/invocations",
                            json={"inputs": {"x": [1.0, 2.0]}, "params": {"kind": "numbers"}}).json()
    assert len(wine) == len(nosig) == 3 and echo == {"predictions": [2.0, 4.0]}
    assert ours.client.post("/v2/models/wine/versions/none/invocations", json=body).status_code == 404


def test_an_unknown_model_is_404_in_mlflow_shape(ours):
    response = ours.client.post("/v2/models/nope/invocations", json={"inputs": [1]})
    assert response.status_code == 404
    assert response.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST" and "nope" in response.json()["message"]


def test_root_paths_with_one_model_are_that_model(single, references, wine_features):
    body = _split(_wine(wine_features))
    assert single.client.post("/invocations", json=body).json() == references["wine"].post("/invocations", json=body).json()
    assert single.client.get("/ping").status_code == 200
    assert single.client.get("/version").text == references["wine"].get("/version").text
    assert single.client.post("/v2/models/wine/invocations", json=body).status_code == 200
