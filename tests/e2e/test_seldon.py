"""Seldon's protocol, sent as Seldon clients send it (the documented SeldonMessage JSON)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import mlflow.pyfunc
import pandas as pd
import pytest
from mlserver_process import Server, write_model_settings

MODELS = ["wine", "nosig", "tensor", "shapes", "proprietary", "echo", "text"]


@pytest.fixture(scope="module")
def seldon(model_dirs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory):
    repo = tmp_path_factory.mktemp("seldon-repo")
    for name in MODELS:
        write_model_settings(repo, name, str(model_dirs[name]))
    write_model_settings(repo, "nosig_df", str(model_dirs["nosig"]), xtype="DataFrame")
    server = Server(repo, tmp_path_factory.mktemp("seldon-logs") / "mlserver.log")
    try:
        for name in [*MODELS, "nosig_df"]:
            assert server.load(name).status_code == 200, server.log.read_text()[-2000:]
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def rows(wine_features: pd.DataFrame) -> pd.DataFrame:
    return wine_features.head(4)


@pytest.fixture(scope="module")
def expected(model_dirs: dict[str, Path], rows: pd.DataFrame) -> list[float]:
    return mlflow.pyfunc.load_model(str(model_dirs["wine"])).predict(rows).tolist()


def predict(server: Server, model: str, message: dict, path: str = "/api/v1.0/predictions"):
    return server.client.post(f"/v2/models/{model}{path}", json=message)


def test_ndarray_in_ndarray_out_with_puid(seldon, rows, expected):
    response = predict(seldon, "wine", {"data": {"ndarray": rows.to_numpy().tolist()}, "meta": {"puid": "p-1"}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"]["ndarray"] == pytest.approx(expected, rel=1e-12)
    assert body["data"]["names"] == [] and body["meta"] == {"puid": "p-1"}


def test_tensor_in_tensor_out(seldon, rows, expected):
    values = rows.to_numpy()
    message = {"data": {"tensor": {"shape": list(values.shape), "values": values.ravel().tolist()}}}
    body = predict(seldon, "wine", message).json()
    assert body["data"]["tensor"]["shape"] == [len(rows)]
    assert body["data"]["tensor"]["values"] == pytest.approx(expected, rel=1e-12)


def test_names_say_which_column_is_which(seldon, rows, expected):
    shuffled = rows[list(reversed(rows.columns))]
    message = {"data": {"names": list(shuffled.columns), "ndarray": shuffled.to_numpy().tolist()}}
    assert predict(seldon, "wine", message, "/predict").json()["data"]["ndarray"] == pytest.approx(expected, rel=1e-12)


def test_json_form_field_as_seldon_curl_examples_send_it(seldon, rows, expected):
    message = json.dumps({"data": {"ndarray": rows.to_numpy().tolist()}})
    response = seldon.client.post("/v2/models/wine/api/v1.0/predictions", data={"json": message})
    assert response.json()["data"]["ndarray"] == pytest.approx(expected, rel=1e-12)


def test_json_data_columns_become_the_dataframe(seldon, rows, expected):
    body = predict(seldon, "wine", {"jsonData": {c: rows[c].tolist() for c in rows}}).json()
    assert body["data"]["tensor"]["values"] == pytest.approx(expected, rel=1e-12)


def test_without_signature_the_model_gets_an_ndarray_or_a_dataframe_by_xtype(seldon, rows, model_dirs):
    sklearn = mlflow.pyfunc.load_model(str(model_dirs["nosig"]))
    ndarray = predict(seldon, "nosig", {"data": {"ndarray": rows.to_numpy().tolist()}}).json()
    frame = predict(seldon, "nosig_df", {"data": {"names": list(rows.columns), "ndarray": rows.to_numpy().tolist()}})
    assert ndarray["data"]["ndarray"] == pytest.approx(sklearn.predict(rows).tolist(), rel=1e-12)
    assert frame.json()["data"]["ndarray"] == pytest.approx(sklearn.predict(rows).tolist(), rel=1e-12)


def test_dataframe_output_answers_values_and_names(seldon):
    body = predict(seldon, "proprietary", {"data": {"names": ["a", "b", "c"], "ndarray": [[1, 2, 3], [4, 5, 6]]}}).json()
    assert body["data"] == {"names": ["score", "label"], "ndarray": [[12.0, "low"], [30.0, "high"]]}


def test_series_output_answers_its_values_and_name(seldon):
    body = predict(seldon, "shapes", {"data": {"ndarray": [[1.5], [2.0]]}}).json()
    assert body["data"] == {"names": ["doubled"], "ndarray": [3.0, 4.0]}


def test_tensor_signature_is_cast_and_answered_as_a_tensor(seldon):
    body = predict(seldon, "tensor", {"data": {"tensor": {"shape": [2, 3], "values": [1, 2, 3, 4, 5, 6]}}}).json()
    assert body["data"] == {"names": ["t:0"], "tensor": {"shape": [2, 1], "values": [6.0, 15.0]}}


def test_strings_answer_as_ndarray(seldon):
    body = predict(seldon, "text", {"data": {"names": ["text", "n"], "ndarray": [["abc", 1], ["Zürich", 2]]}}).json()
    assert body["data"] == {"names": ["length", "upper"], "ndarray": [[4, "ABC"], [8, "ZÜRICH"]]}


@pytest.mark.parametrize("message, answer", [
    ({"strData": "hello"}, {"strData": "hello"}),
    ({"binData": base64.b64encode(b"\x00\x01bytes").decode()}, {"binData": base64.b64encode(b"\x00\x01bytes").decode()}),
    ({"jsonData": {"a": [1, 2], "b": "x"}}, {"jsonData": {"a": [1, 2], "b": "x"}}),
])
def test_str_bin_and_json_data_reach_the_model_and_come_back(seldon, message, answer):
    response = predict(seldon, "echo", {**message, "meta": {"puid": "p-2", "tags": {"k": "v"}}})
    assert response.json() == {**answer, "meta": {"puid": "p-2", "tags": {"k": "v"}}}


@pytest.mark.parametrize("message, says", [
    ({"data": {"ndarray": [[7.4, 0.7]]}}, "the model takes 11 columns (fixed acidity"),
    ({"data": {"names": ["alcohol"], "ndarray": [[9.4]]}}, "missing inputs"),
    ({"data": {"ndarray": [[1, 2], [3]]}}, "differ in length"),
    ({"data": {"tensor": {"shape": [2, 11], "values": [1.0] * 21}}}, "needs 22 values; got 21"),
    ({"data": {"tftensor": {}}}, "data.tftensor is not supported"),
    ({"data": {"names": ["a", "b"], "ndarray": [[1.0] * 11]}}, "data.names lists 2 columns"),
    ({"meta": {}}, "exactly one of data, jsonData, strData, binData"),
    ({"strData": "x", "jsonData": {}}, "exactly one of"),
    ({"binData": "%%%"}, "binData must be base64"),
    ([1, 2], "got a JSON list"),
])
def test_bad_messages_answer_400_in_seldon_shape(seldon, message, says):
    response = predict(seldon, "wine", message)
    assert response.status_code == 400
    status = response.json()["status"]
    assert (status["status"], status["code"], status["reason"]) == (1, -1, "MICROSERVICE_BAD_DATA")
    assert says in status["info"], status["info"]


def test_invalid_json_and_unknown_model(seldon):
    bad = seldon.client.post("/v2/models/wine/api/v1.0/predictions", content=b"{nope",
                             headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and "not valid JSON" in bad.json()["status"]["info"]
    missing = predict(seldon, "nope", {"data": {"ndarray": [[1]]}})
    assert missing.status_code == 404 and "nope" in missing.json()["status"]["info"]


def test_root_path_with_several_models_lists_the_per_model_paths(seldon):
    response = seldon.client.post("/api/v1.0/predictions", json={"data": {"ndarray": [[1.0]]}})
    assert response.status_code == 400
    assert "/v2/models/wine/api/v1.0/predictions" in response.json()["status"]["info"]


def test_health_and_metadata(seldon):
    assert seldon.client.get("/health/ping").text == "pong"
    assert seldon.client.get("/v2/models/wine/health/ping").text == "pong"
    assert seldon.client.get("/v2/models/wine/health/status").status_code == 200
    meta = seldon.client.get("/v2/models/wine/api/v1.0/metadata").json()
    assert meta["name"] == "wine" and meta["platform"] == "mlflow"
    assert meta["inputs"][0]["messagetype"] == "ndarray"
    assert meta["inputs"][0]["schema"]["names"][-1] == "alcohol" and len(meta["inputs"][0]["schema"]["names"]) == 11
    assert meta["outputs"][0]["messagetype"] == "tensor"
    assert seldon.client.get("/v2/models/echo/api/v1.0/metadata").json()["inputs"] == []


def test_root_paths_with_one_model_are_that_model(single, rows, expected):
    response = single.client.post("/api/v1.0/predictions", json={"data": {"ndarray": rows.to_numpy().tolist()}})
    assert response.json()["data"]["ndarray"] == pytest.approx(expected, rel=1e-12)
    assert single.client.get("/health/status").status_code == 200
    assert single.client.get("/api/v1.0/metadata").json()["name"] == "wine"
