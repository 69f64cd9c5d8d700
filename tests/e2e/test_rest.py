"""V2 REST against a real ``mlserver start``: answers for every kind of model."""

from __future__ import annotations

import json
import threading

import mlflow.pyfunc
import numpy as np
import pandas as pd
import pytest

SEED_COLUMNS = [
    "fixed acidity", "volatile acidity", "citric acid", "residual sugar", "chlorides",
    "free sulfur dioxide", "total sulfur dioxide", "density", "pH", "sulphates", "alcohol",
]


def seed_request(rows: pd.DataFrame, rename: dict[str, str] | None = None, datatype: str = "FP32") -> dict:
    """The seed's request: one input per column, request-level content_type pd."""
    rename = rename or {}
    return {
        "inputs": [
            {"name": rename.get(c, c), "shape": [len(rows)], "datatype": datatype, "data": rows[c].tolist()}
            for c in SEED_COLUMNS
        ],
        "parameters": {"content_type": "pd"},
    }


def outputs_by_name(response) -> dict[str, dict]:
    assert response.status_code == 200, response.text
    return {o["name"]: o for o in response.json()["outputs"]}


@pytest.fixture(scope="module")
def wine_rows(wine_features: pd.DataFrame) -> pd.DataFrame:
    return wine_features.iloc[:5]


def in_process(model_dirs, name: str, model_input) -> np.ndarray:
    """What ``pyfunc.predict`` answers in this process for the same model."""
    return np.asarray(mlflow.pyfunc.load_model(str(model_dirs[name])).predict(model_input))


@pytest.fixture(scope="module")
def wine_expected(model_dirs, wine_rows) -> np.ndarray:
    return in_process(model_dirs, "wine", wine_rows)


def test_seed_request_matches_in_process_prediction(server, wine_rows, wine_expected):
    out = outputs_by_name(server.infer("wine", seed_request(wine_rows)))
    assert list(out) == ["output-0"]
    assert out["output-0"]["datatype"] == "FP64"
    assert out["output-0"]["shape"] == [5]
    np.testing.assert_array_equal(out["output-0"]["data"], wine_expected)


def test_seed_request_with_misnamed_column_is_a_400_naming_it(server, wine_rows):
    response = server.infer("wine", seed_request(wine_rows, {"citric acid": "citric acidity"}))
    assert response.status_code == 400
    error = response.json()["error"]
    assert "'citric acid'" in error and "'citric acidity'" in error


def test_integer_data_for_double_columns_works_for_many_rows(server, wine_features, model_dirs):
    rows = wine_features.iloc[:50].round().astype("int64")
    out = outputs_by_name(server.infer("wine", seed_request(rows, datatype="INT64")))
    expected = mlflow.pyfunc.load_model(str(model_dirs["wine"])).predict(rows.astype("float64"))
    np.testing.assert_array_equal(out["output-0"]["data"], expected)


def test_one_matrix_input_becomes_the_signature_columns(server, wine_rows, wine_expected):
    body = {"inputs": [{"name": "features", "shape": [5, 11], "datatype": "FP64", "data": wine_rows.to_numpy().tolist()}]}
    out = outputs_by_name(server.infer("wine", body))
    np.testing.assert_array_equal(out["output-0"]["data"], wine_expected)


# The sklearn model was fitted on named columns; a signatureless model gets a bare
# array, and sklearn says so when the reference prediction is made in process.
@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_model_without_signature_takes_an_array(server, wine_rows, model_dirs):
    body = {"inputs": [{"name": "x", "shape": [5, 11], "datatype": "FP64", "data": wine_rows.to_numpy().ravel().tolist()}]}
    out = outputs_by_name(server.infer("nosig", body))
    np.testing.assert_array_equal(out["output-0"]["data"], in_process(model_dirs, "nosig", wine_rows.to_numpy()))


def test_xtype_dataframe_gives_a_signatureless_model_named_columns(server, wine_rows, model_dirs):
    request = seed_request(wine_rows, datatype="FP64")
    del request["parameters"]
    out = outputs_by_name(server.infer("wine_np", request))
    np.testing.assert_array_equal(out["output-0"]["data"], in_process(model_dirs, "nosig", wine_rows))


def test_signature_with_inputs_only(server, wine_rows, model_dirs):
    metadata = server.client.get("/v2/models/inputs_only").json()
    assert not metadata.get("outputs")
    out = outputs_by_name(server.infer("inputs_only", seed_request(wine_rows)))
    np.testing.assert_array_equal(out["output-0"]["data"], in_process(model_dirs, "inputs_only", wine_rows))


def test_unnamed_tensor_signature_casts_fp64_to_float32(server):
    body = {"inputs": [{"name": "input-0", "shape": [2, 3], "datatype": "FP64", "data": [1, 2, 3, 4, 5, 6.5]}]}
    out = outputs_by_name(server.infer("tensor", body))["output-0"]
    assert (out["datatype"], out["shape"], out["data"]) == ("FP32", [2, 1], [6.0, 15.5])


def test_named_tensor_signature_gets_a_dict(server):
    body = {
        "inputs": [
            {"name": "a", "shape": [1, 2], "datatype": "FP64", "data": [1, 2]},
            {"name": "b", "shape": [1, 2], "datatype": "FP64", "data": [10, 20]},
        ]
    }
    out = outputs_by_name(server.infer("named", body))
    assert out["sum"]["data"] == [11, 22] and out["diff"]["data"] == [-9, -18]
    assert out["sum"]["shape"] == [1, 2]


def test_code_paths_pyfunc_returns_a_dataframe_with_a_string_column(server):
    body = {
        "inputs": [
            {"name": n, "shape": [2], "datatype": "FP64", "data": v}
            for n, v in (("a", [1, 5]), ("b", [2, 5]), ("c", [3, 5]))
        ]
    }
    out = outputs_by_name(server.infer("proprietary", body))
    assert out["score"] == {"name": "score", "shape": [2], "datatype": "FP64", "data": [12.0, 30.0]}
    assert out["label"]["datatype"] == "BYTES" and out["label"]["data"] == ["low", "high"]
    assert out["label"]["parameters"]["content_type"] == "str"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        pytest.param("series", {"doubled": ("FP64", [3], [2.0, 4.0, 6.0])}, id="series"),
        pytest.param("numbers", {"output-0": ("FP64", [3], [2.0, 4.0, 6.0])}, id="list-of-numbers"),
        pytest.param("strings", {"output-0": ("BYTES", [3], ["item-1", "item-2", "item-3"])}, id="list-of-strings"),
        pytest.param(
            "records",
            {"value": ("FP64", [3], [1.0, 2.0, 3.0]), "label": ("BYTES", [3], ["v1", "v2", "v3"])},
            id="list-of-dicts",
        ),
        pytest.param(
            "dict", {"doubled": ("FP64", [3], [2.0, 4.0, 6.0]), "negated": ("FP64", [3], [-1.0, -2.0, -3.0])}, id="dict"
        ),
        pytest.param("scalar", {"output-0": ("FP64", [1], [6.0])}, id="scalar"),
        pytest.param("matrix", {"output-0": ("FP64", [3, 2], [1.0, 10.0, 2.0, 20.0, 3.0, 30.0])}, id="matrix"),
    ],
)
def test_every_common_output_shape_is_answered(server, kind, expected):
    body = {
        "inputs": [{"name": "x", "shape": [3], "datatype": "FP64", "data": [1, 2, 3]}],
        "parameters": {"kind": kind},
    }
    out = outputs_by_name(server.infer("shapes", body))
    assert {name: (o["datatype"], o["shape"], o["data"]) for name, o in out.items()} == expected


def test_string_inputs(server):
    body = {
        "inputs": [
            {"name": "text", "shape": [2], "datatype": "BYTES", "data": ["héllo", "ab"]},
            {"name": "n", "shape": [2], "datatype": "INT64", "data": [0, 10]},
        ]
    }
    out = outputs_by_name(server.infer("text", body))
    assert out["length"]["data"] == [5, 12] and out["length"]["datatype"] == "INT64"
    assert out["upper"]["data"] == ["HÉLLO", "AB"]


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        pytest.param({}, [1.0, 2.0], id="defaults"),
        pytest.param({"alpha": 2.0, "n": 3, "flag": True}, [-5.0, -7.0], id="typed"),
        pytest.param({"alpha": "0.5", "n": "1", "flag": "false"}, [1.5, 2.0], id="strings-parsed"),
        pytest.param({"alpha": 2, "content_type": "pd", "binary_data_output": True}, [2.0, 4.0], id="protocol-keys-dropped"),
    ],
)
def test_request_parameters_become_mlflow_params(server, parameters, expected):
    body = {"inputs": [{"name": "x", "shape": [2], "datatype": "FP64", "data": [1, 2]}], "parameters": parameters}
    assert outputs_by_name(server.infer("scaler", body))["output-0"]["data"] == expected


def test_requested_outputs_are_a_subset(server):
    body = {
        "inputs": [{"name": n, "shape": [1], "datatype": "FP64", "data": [1]} for n in "abc"],
        "outputs": [{"name": "label"}],
    }
    assert list(outputs_by_name(server.infer("proprietary", body))) == ["label"]


def test_signatureless_model_gets_columns_for_several_inputs(server):
    body = {
        "inputs": [
            {"name": "a", "shape": [2], "datatype": "INT64", "data": [1, 2]},
            {"name": "s", "shape": [2], "datatype": "BYTES", "data": ["x", "y"]},
        ]
    }
    out = outputs_by_name(server.infer("echo", body))
    assert out["a"]["data"] == [1, 2] and out["s"]["data"] == ["x", "y"]
    assert json.loads(server.infer("echo", body).text)["parameters"]["content_type"] == "pd"


def test_metadata_matches_every_answer(server, wine_rows):
    """Names, datatypes and ranks in answers are the ones metadata advertises."""
    cases = {
        "wine": seed_request(wine_rows),
        "proprietary": {"inputs": [{"name": n, "shape": [1], "datatype": "FP32", "data": [1]} for n in "abc"]},
        "scaler": {"inputs": [{"name": "x", "shape": [1, 1], "datatype": "INT32", "data": [[1]]}]},
        "text": {
            "inputs": [
                {"name": "text", "shape": [1], "datatype": "BYTES", "data": ["a"]},
                {"name": "n", "shape": [1], "datatype": "INT32", "data": [1]},
            ]
        },
        "tensor": {"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]},
        "named": {"inputs": [{"name": n, "shape": [1, 2], "datatype": "FP64", "data": [1, 2]} for n in "ab"]},
    }
    for model, body in cases.items():
        advertised = {o["name"]: o for o in server.client.get(f"/v2/models/{model}").json()["outputs"]}
        answered = outputs_by_name(server.infer(model, body))
        assert set(answered) == set(advertised), model
        for name, out in answered.items():
            assert out["datatype"] == advertised[name]["datatype"], (model, name)
            assert len(out["shape"]) == len(advertised[name]["shape"]), (model, name)


def test_metadata_lists_params_and_content_type(server):
    metadata = server.client.get("/v2/models/scaler").json()
    assert metadata["parameters"]["content_type"] == "pd"
    params = {p["name"]: p for p in json.loads(metadata["parameters"]["params"])}
    assert params["alpha"]["type"] == "double" and params["alpha"]["default"] == 1.0
    assert metadata["inputs"] == [{"name": "x", "datatype": "FP64", "shape": [-1], "parameters": {"content_type": "np"}}]


def test_server_answers_while_a_long_prediction_runs(server, wine_rows):
    slow_body = {"inputs": [{"name": "seconds", "shape": [1], "datatype": "FP64", "data": [5]}]}
    slow = threading.Thread(target=server.infer, args=("sleepy", slow_body))
    slow.start()
    try:
        # the slow request reaches the worker first; these must not wait for it
        threading.Event().wait(0.5)
        assert server.client.get("/v2/models/sleepy/ready").status_code == 200
        assert server.infer("wine", seed_request(wine_rows)).status_code == 200
        assert slow.is_alive(), "the slow prediction finished before the other answers came"
    finally:
        slow.join()


@pytest.mark.parametrize("datatype", ["FP64", "FP32", "INT64"])
def test_a_large_request_answers_what_pyfunc_answers(server, wine_features, model_dirs, datatype):
    """Every wine row: a body large enough for numbers to arrive as arrays (protocols.v2_body)."""
    rows = wine_features.round().astype("int64") if datatype == "INT64" else wine_features
    out = outputs_by_name(server.infer("wine", seed_request(rows, datatype=datatype)))
    # FP32 numbers for double columns are read as the doubles they are (see codecs.ndarray)
    np.testing.assert_array_equal(out["output-0"]["data"], in_process(model_dirs, "wine", rows.astype("float64")))


def test_a_large_tensor_request_answers_what_pyfunc_answers(server, model_dirs):
    values = np.random.default_rng(7).normal(size=(3000, 3)).astype(np.float32)
    body = {"inputs": [{"name": "x", "shape": [3000, 3], "datatype": "FP32", "data": values.ravel().tolist()}]}
    out = outputs_by_name(server.infer("tensor", body))
    np.testing.assert_array_equal(np.asarray(out["output-0"]["data"]).ravel(),
                                  in_process(model_dirs, "tensor", values).ravel())
