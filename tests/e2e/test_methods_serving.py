"""The ``method`` parameter on every protocol: one saved classifier served as labels and as
probabilities, a transformer without a pyfunc flavor, and a method a model lacks."""

from __future__ import annotations

import json

import mlflow.sklearn
import numpy as np
import pytest
from mlflow.models import infer_signature
from mlserver_process import Server, write_model_settings
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

COLUMNS = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]


@pytest.fixture(scope="module")
def iris(tmp_path_factory):
    data = load_iris(as_frame=True)
    X, y = data.data, data.target.map(dict(enumerate(data.target_names)))  # string labels
    root = tmp_path_factory.mktemp("iris")
    classifier = LogisticRegression(max_iter=500).fit(X, y)
    mlflow.sklearn.save_model(classifier, str(root / "classifier"), signature=infer_signature(X, classifier.predict(X)))
    scaler = StandardScaler().fit(X)
    mlflow.sklearn.save_model(scaler, str(root / "scaler"), signature=infer_signature(X))
    repo = root / "repo"
    write_model_settings(repo, "iris", str(root / "classifier"))
    write_model_settings(repo, "iris-proba", str(root / "classifier"), method="predict_proba")
    write_model_settings(repo, "iris-log", str(root / "classifier"), extra={"method": "predict_log_proba"})
    write_model_settings(repo, "scaler", str(root / "scaler"), method="transform")
    write_model_settings(repo, "no-such-method", str(root / "classifier"), method="transform")
    server = Server(repo, root / "mlserver.log")
    try:
        for name in ("iris", "iris-proba", "iris-log", "scaler"):
            assert server.load(name).status_code == 200, server.log.read_text()[-3000:]
        yield server, X.head(4), classifier, scaler
    finally:
        server.stop()


def v2(rows) -> dict:
    return {"inputs": [{"name": c, "shape": [len(rows)], "datatype": "FP64", "data": rows[c].tolist()}
                       for c in COLUMNS]}


def test_one_saved_model_answers_labels_and_probabilities(iris):
    server, rows, classifier, _ = iris
    labels = server.infer("iris", v2(rows)).json()["outputs"][0]
    assert labels["data"] == classifier.predict(rows).tolist()
    proba = server.infer("iris-proba", v2(rows)).json()["outputs"]
    assert [(o["name"], o["datatype"], o["shape"]) for o in proba] == [("predict_proba", "FP64", [4, 3])]
    np.testing.assert_allclose(np.reshape(proba[0]["data"], (4, 3)), classifier.predict_proba(rows), rtol=1e-12)
    log = server.infer("iris-log", v2(rows)).json()["outputs"][0]
    np.testing.assert_allclose(np.reshape(log["data"], (4, 3)), classifier.predict_log_proba(rows), rtol=1e-12)


def test_metadata_describes_what_the_method_answers(iris):
    server, *_ = iris
    (output,) = server.client.get("/v2/models/iris-proba").json()["outputs"]
    assert (output["name"], output["datatype"], output["shape"]) == ("predict_proba", "FP64", [-1, 3])
    assert output["parameters"]["classes"] == ["setosa", "versicolor", "virginica"]
    inputs = server.client.get("/v2/models/iris-proba").json()["inputs"]
    assert [i["name"] for i in inputs] == COLUMNS  # the input still follows the signature


def test_the_signature_still_checks_the_input(iris):
    server, rows, *_ = iris
    body = v2(rows)
    body["inputs"] = body["inputs"][1:]
    response = server.infer("iris-proba", body)
    assert response.status_code == 400 and "sepal length (cm)" in response.json()["error"]


def test_grpc(iris):
    server, rows, classifier, _ = iris
    (answer,) = server.grpc_calls([{"model": "iris-proba", "inputs": [
        {"name": c, "datatype": "FP64", "shape": [len(rows)], "data": rows[c].tolist()} for c in COLUMNS]}])
    output = answer["outputs"]["predict_proba"]
    assert output["shape"] == [4, 3]
    np.testing.assert_allclose(np.reshape(output["data"], (4, 3)), classifier.predict_proba(rows), rtol=1e-12)


def test_invocations_and_seldon(iris):
    server, rows, classifier, _ = iris
    split = {"dataframe_split": {"columns": COLUMNS, "data": rows.to_numpy().tolist()}}
    invocations = server.client.post("/v2/models/iris-proba/invocations", json=split)
    assert invocations.status_code == 200, invocations.text
    np.testing.assert_allclose(invocations.json()["predictions"], classifier.predict_proba(rows), rtol=1e-12)
    seldon = server.client.post("/v2/models/iris-proba/api/v1.0/predictions",
                                json={"data": {"names": COLUMNS, "ndarray": rows.to_numpy().tolist()}})
    assert seldon.status_code == 200, seldon.text
    data = seldon.json()["data"]
    assert data["names"] == ["setosa", "versicolor", "virginica"]
    np.testing.assert_allclose(data["ndarray"], classifier.predict_proba(rows), rtol=1e-12)


def test_a_transformer_without_a_pyfunc_flavor(iris):
    server, rows, _, scaler = iris
    output = server.infer("scaler", v2(rows)).json()["outputs"][0]
    assert (output["name"], output["shape"]) == ("transform", [4, 4])
    np.testing.assert_allclose(np.reshape(output["data"], (4, 4)), scaler.transform(rows), rtol=1e-12)
    (meta,) = server.client.get("/v2/models/scaler").json()["outputs"]
    assert meta["shape"] == [-1, 4] and meta["parameters"]["columns"] == COLUMNS


def test_a_method_the_model_lacks_fails_its_load_and_the_others_keep_serving(iris):
    server, rows, classifier, _ = iris
    response = server.load("no-such-method")
    assert response.status_code >= 400
    message = response.json()["error"]
    assert "'transform'" in message and "predict_proba" in message and "decision_function" in message
    assert server.infer("iris", v2(rows)).json()["outputs"][0]["data"] == classifier.predict(rows).tolist()


def test_infer_stream_answers_the_method_in_one_event(iris):
    server, rows, classifier, _ = iris
    events = []
    with server.client.stream("POST", "/v2/models/iris-proba/infer_stream", json=v2(rows)) as response:
        assert response.status_code == 200, response.read()
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[len("data: "):]))
    assert len(events) == 1 and events[0]["outputs"][0]["name"] == "predict_proba"
    np.testing.assert_allclose(np.reshape(events[0]["outputs"][0]["data"], (4, 3)), classifier.predict_proba(rows),
                               rtol=1e-12)
