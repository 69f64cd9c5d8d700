"""The MLflow flavor zoo served by a real ``mlserver start``: XGBoost, LightGBM, CatBoost,
statsmodels, ONNX, a scikit-learn Pipeline with a string column, models-from-code, and
type-hinted and pydantic-typed pyfuncs. Each answer is compared with the library's own
call on the same rows in this process, over REST and gRPC; classifiers are also served
with ``method: predict_proba``, over REST, gRPC, ``/invocations`` and Seldon too."""

from __future__ import annotations

import json

import flavor_models
import numpy as np
import pytest
from mlserver_process import Server, write_model_settings

TABULAR = ["xgboost", "lightgbm", "catboost", "statsmodels", "pipeline"]
CLASSIFIERS = ["xgboost", "lightgbm", "catboost", "pipeline"]


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    root = tmp_path_factory.mktemp("flavors")
    models = flavor_models.build(root)
    repo = root / "repo"
    for name, model in models.items():
        write_model_settings(repo, name, str(model["path"]))
    for name in CLASSIFIERS:
        write_model_settings(repo, f"{name}-proba", str(models[name]["path"]), method="predict_proba")
    server = Server(repo, root / "mlserver.log")
    try:
        for name in [*models, *(f"{n}-proba" for n in CLASSIFIERS)]:
            response = server.load(name)
            assert response.status_code == 200, (name, response.text, server.log.read_text()[-3000:])
        yield server, models
    finally:
        server.stop()


def columns(rows) -> list[dict]:
    return [{"name": str(c), "shape": [len(rows)], "datatype": "FP64" if rows[c].dtype.kind in "biuf" else "BYTES",
             "data": rows[c].tolist()} for c in rows.columns]


def grpc_columns(rows) -> list[dict]:
    return [{**c, "data": [str(v) for v in c["data"]]} if c["datatype"] == "BYTES" else c for c in columns(rows)]


@pytest.mark.parametrize("name", TABULAR)
def test_tabular_models_answer_as_their_library(zoo, name):
    server, models = zoo
    model = models[name]
    response = server.infer(name, {"inputs": columns(model["rows"])})
    assert response.status_code == 200, response.text
    np.testing.assert_allclose(response.json()["outputs"][0]["data"], np.ravel(model["predict"]), rtol=1e-6)
    (answer,) = server.grpc_calls([{"model": name, "inputs": grpc_columns(model["rows"])}])
    assert "outputs" in answer, answer
    np.testing.assert_allclose(next(iter(answer["outputs"].values()))["data"], np.ravel(model["predict"]), rtol=1e-6)


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_classifiers_answer_probabilities_on_every_protocol(zoo, name):
    server, models = zoo
    model, served = models[name], f"{name}-proba"
    rows, expected = model["rows"], np.asarray(model["predict_proba"], dtype=np.float64)
    (meta,) = server.client.get(f"/v2/models/{served}").json()["outputs"]
    assert (meta["name"], meta["datatype"], meta["shape"]) == ("predict_proba", "FP64", [-1, 3])
    assert meta["parameters"]["classes"] == [0, 1, 2]
    output = server.infer(served, {"inputs": columns(rows)}).json()["outputs"][0]
    assert (output["name"], output["datatype"], output["shape"]) == ("predict_proba", "FP64", [4, 3])
    np.testing.assert_allclose(np.reshape(output["data"], (4, 3)), expected, rtol=1e-6)
    (answer,) = server.grpc_calls([{"model": served, "inputs": grpc_columns(rows)}])
    np.testing.assert_allclose(np.reshape(answer["outputs"]["predict_proba"]["data"], (4, 3)), expected, rtol=1e-6)
    split = {"dataframe_split": {"columns": list(rows.columns), "data": rows.to_numpy().tolist()}}
    invocations = server.client.post(f"/v2/models/{served}/invocations", json=split)
    assert invocations.status_code == 200, invocations.text
    np.testing.assert_allclose(invocations.json()["predictions"], expected, rtol=1e-6)
    seldon = server.client.post(f"/v2/models/{served}/api/v1.0/predictions",
                                json={"data": {"names": list(rows.columns), "ndarray": rows.to_numpy().tolist()}})
    assert seldon.status_code == 200, seldon.text
    assert seldon.json()["data"]["names"] == ["0", "1", "2"]
    np.testing.assert_allclose(seldon.json()["data"]["ndarray"], expected, rtol=1e-6)


def test_onnx_answers_label_and_probabilities_as_two_outputs(zoo):
    server, models = zoo
    model = models["onnx"]
    rows = model["rows"].to_numpy(np.float32)
    tensor = {"name": model["input"], "shape": list(rows.shape), "datatype": "FP32", "data": rows.ravel().tolist()}
    response = server.infer("onnx", {"inputs": [tensor]})
    assert response.status_code == 200, response.text
    outputs = {o["name"]: o["data"] for o in response.json()["outputs"]}
    assert outputs["label"] == model["predict"]["label"].tolist()
    np.testing.assert_allclose(outputs["probabilities"], model["predict"]["probabilities"].ravel(), rtol=1e-6)
    (answer,) = server.grpc_calls([{"model": "onnx", "inputs": [tensor]}])
    assert answer["outputs"]["label"]["data"] == model["predict"]["label"].tolist()


@pytest.mark.parametrize(("name", "datatype"), [("from-code", "FP64"), ("typed", "BYTES"), ("pydantic", "BYTES")])
def test_pyfuncs_of_every_kind(zoo, name, datatype):
    """Sent under the input name metadata gives them, which also says how to read it
    (``content_type: json`` for the pydantic model's JSON documents)."""
    server, models = zoo
    model = models[name]
    (meta,) = server.client.get(f"/v2/models/{name}").json()["inputs"]
    values = [json.dumps(v) for v in model["values"]] if name == "pydantic" else model["values"]
    tensor = {"name": meta["name"], "shape": [len(values)], "datatype": datatype, "data": values}
    response = server.infer(name, {"inputs": [tensor]})
    assert response.status_code == 200, response.text
    assert response.json()["outputs"][0]["data"] == model["predict"]
    (answer,) = server.grpc_calls([{"model": name, "inputs": [tensor]}])
    assert next(iter(answer["outputs"].values()))["data"] == model["predict"], answer
