"""The lean path: which signatures compile, that a proven frame is what MLflow's own
enforcement would hand the model, and that answers stay bit-identical to ``pyfunc.predict``."""

from __future__ import annotations

import asyncio

import mlflow.pyfunc
import mlflow.sklearn
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mlflow.models import ModelSignature, infer_signature
from mlflow.models.utils import _enforce_schema
from mlflow.types.schema import ColSpec, Schema, TensorSpec
from mlserver.settings import ModelParameters, ModelSettings
from mlserver.types import InferenceRequest
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.ensemble import GradientBoostingRegressor, HistGradientBoostingClassifier, RandomForestRegressor
from sklearn.linear_model import ElasticNet, LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from runtime_mlflow import MLflowRuntime
from runtime_mlflow.codecs import Column
from runtime_mlflow.lean import ColumnsPlan, Proven

NUMERIC = {"double": np.float64, "float": np.float32, "long": np.int64, "integer": np.int32, "boolean": np.bool_}
V2 = {np.dtype(np.float64): "FP64", np.dtype(np.float32): "FP32", np.dtype(np.int64): "INT64",
      np.dtype(np.int32): "INT32", np.dtype(np.bool_): "BOOL"}


@pytest.mark.parametrize("schema", [
    pytest.param(None, id="no signature"),
    pytest.param(Schema([TensorSpec(np.dtype(np.float64), (-1, 2))]), id="tensor"),
    pytest.param(Schema([ColSpec("double", "a"), ColSpec("string", "b")]), id="string column"),
    pytest.param(Schema([ColSpec("double", "a"), ColSpec("double", "b", required=False)]), id="optional column"),
    pytest.param(Schema([ColSpec("datetime", "a")]), id="datetime column"),
])
def test_signatures_the_plan_cannot_prove(schema):
    assert ColumnsPlan.compile(schema) is None


def _columns(schema: Schema, frame: pd.DataFrame) -> list[Column]:
    return [Column(str(name), "", frame[name].to_numpy()) for name in frame.columns]


@st.composite
def frames(draw):
    kinds = draw(st.lists(st.sampled_from(sorted(NUMERIC)), min_size=1, max_size=6))
    named = draw(st.booleans())
    rows = draw(st.integers(1, 40))
    schema = Schema([ColSpec(kind, f"c{i}" if named else None) for i, kind in enumerate(kinds)])
    values = {}
    for i, kind in enumerate(kinds):
        dtype = np.dtype(NUMERIC[kind])
        if dtype.kind == "f":
            data = draw(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=dtype.itemsize * 8),
                                 min_size=rows, max_size=rows))
        elif dtype.kind == "b":
            data = draw(st.lists(st.booleans(), min_size=rows, max_size=rows))
        else:
            info = np.iinfo(dtype)
            data = draw(st.lists(st.integers(int(info.min), int(info.max)), min_size=rows, max_size=rows))
        values[f"c{i}" if named else i] = np.asarray(data, dtype=dtype)
    return schema, pd.DataFrame(values)


@settings(max_examples=150, deadline=None)
@given(frames())
def test_a_proven_frame_is_what_mlflow_enforcement_returns(case):
    schema, frame = case
    plan = ColumnsPlan.compile(schema)
    assert plan is not None
    proven = plan.prove([Column(f"c{i}" if schema.has_input_names() else f"input-{i}", "", frame.iloc[:, i].to_numpy())
                         for i in range(frame.shape[1])])
    assert isinstance(proven, Proven)
    enforced = _enforce_schema(proven.frame(), schema)
    # the labels are the same names; the plan keeps them as plain objects (see lean.py)
    pd.testing.assert_frame_equal(enforced, proven.frame(), check_exact=True, check_column_type=False)
    assert list(enforced.columns) == list(proven.frame().columns)
    assert list(enforced.dtypes) == list(proven.frame().dtypes)
    mine, theirs = np.asarray(proven.frame()), np.asarray(enforced)
    assert (mine.flags.f_contiguous, mine.flags.c_contiguous) == (theirs.flags.f_contiguous, theirs.flags.c_contiguous)


@pytest.mark.parametrize("arrays", [
    pytest.param([np.array([1.0, 2.0]), np.array([1, 2])], id="a column of another dtype"),
    pytest.param([np.array([1.0, 2.0]), np.array([1.0])], id="ragged lengths"),
    pytest.param([np.array([[1.0], [2.0]]), np.array([1.0, 2.0])], id="a 2-D column"),
    pytest.param([np.array([1.0, 2.0])], id="a column missing"),
    pytest.param([np.array([], dtype=float), np.array([], dtype=float)], id="no rows"),
])
def test_what_the_plan_will_not_prove(arrays):
    plan = ColumnsPlan.compile(Schema([ColSpec("double", "a"), ColSpec("double", "b")]))
    assert plan.prove([Column(n, "", a) for n, a in zip("ab", arrays)]) is None


def test_columns_out_of_order_are_not_proven():
    plan = ColumnsPlan.compile(Schema([ColSpec("double", "a"), ColSpec("double", "b")]))
    columns = [Column("b", "", np.array([1.0])), Column("a", "", np.array([2.0]))]
    assert plan.prove(columns) is None


@pytest.fixture(scope="module")
def sklearn_models(tmp_path_factory, wine_data):
    """name -> (folder, the rows to predict): sklearn models over each provable column layout."""
    root = tmp_path_factory.mktemp("lean")
    features = wine_data.drop(columns=["quality"])
    target = wine_data["quality"]
    mixed = pd.DataFrame({
        "acid": features["fixed acidity"].astype(np.float32),
        "sugar": features["residual sugar"],
        "ph": (features["pH"] * 100).astype(np.int32),
        "quality_hint": (target > 5).astype(np.int64),
        "red": target > 6,
    })
    by_name = ColumnTransformer([("scale", StandardScaler(), ["fixed acidity", "pH"])], remainder="drop")
    models = {
        "wine": (ElasticNet(alpha=0.5, l1_ratio=0.5).fit(features, target), features, True),
        "mixed": (make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(mixed, target), mixed, True),
        "float32": (make_pipeline(StandardScaler(), Ridge()).fit(features.astype(np.float32), target),
                    features.astype(np.float32), True),
        "unnamed": (make_pipeline(StandardScaler(), Ridge()).fit(features.to_numpy(), target), features, False),
        "forest": (RandomForestRegressor(n_estimators=5, random_state=0).fit(features, target), features, True),
        "boosting": (GradientBoostingRegressor(n_estimators=5, random_state=0).fit(features, target), features, True),
        "hist-proba": (HistGradientBoostingClassifier(max_iter=5).fit(features, target), features, True),
        "pca-knn": (make_pipeline(StandardScaler(), PCA(3), KNeighborsRegressor()).fit(features, target), features, True),
        "by-name": (make_pipeline(by_name, Ridge()).fit(features, target), features, True),
        "function": (make_pipeline(FunctionTransformer(np.log1p), Ridge()).fit(features, target), features, True),
        "pandas-out": (make_pipeline(StandardScaler().set_output(transform="pandas"), Ridge()).fit(features, target),
                       features, True),
    }
    out = {}
    for name, (fitted, rows, named) in models.items():
        if named:
            signature = infer_signature(rows, fitted.predict(rows))
        else:
            signature = ModelSignature(Schema([ColSpec("double") for _ in rows.columns]))
        extra = {"pyfunc_predict_fn": "predict_proba"} if name.endswith("-proba") else {}
        if name in ("forest", "boosting", "hist-proba", "pca-knn"):  # skops refuses trees unless told to trust them
            extra["serialization_format"] = "cloudpickle"
        mlflow.sklearn.save_model(fitted, str(root / name), signature=signature, **extra)
        out[name] = (root / name, rows if named else rows.set_axis(range(rows.shape[1]), axis=1))
    return out


def _request(rows: pd.DataFrame, names: list[str]) -> InferenceRequest:
    return InferenceRequest(parameters={"content_type": "pd"}, inputs=[
        {"name": name, "shape": [len(rows)], "datatype": V2[rows[column].dtype], "data": rows[column].tolist()}
        for name, column in zip(names, rows.columns)])


# whether the model is given the proven frame's block instead of the frame (runtime_mlflow.positional)
NATIVE = {"wine": True, "mixed": False, "float32": True, "unnamed": True, "forest": True, "boosting": True,
          "hist-proba": True, "pca-knn": True, "by-name": False, "function": False, "pandas-out": False}


@pytest.mark.parametrize("name", list(NATIVE))
def test_answers_are_bit_identical_to_pyfunc_predict(name, sklearn_models):
    path, rows = sklearn_models[name]
    names = [str(c) for c in rows.columns] if name != "unnamed" else [f"input-{i}" for i in range(rows.shape[1])]

    async def go():
        runtime = MLflowRuntime(ModelSettings(name=name, implementation=MLflowRuntime,
                                              parameters=ModelParameters(uri=str(path))))
        await runtime.load()
        request = _request(rows, names)
        decoded, _ = runtime._loaded.decode(request)
        return decoded, await runtime.predict(request), runtime._loaded.host.hosted.direct.native is not None

    decoded, response, native = asyncio.run(go())
    assert isinstance(decoded, Proven), "the lean path was not taken"
    assert native is NATIVE[name]
    expected = np.asarray(mlflow.pyfunc.load_model(str(path)).predict(rows)).ravel()
    answered = np.concatenate([np.asarray(o.data.root, dtype=expected.dtype) for o in response.outputs])
    assert answered.tobytes() == expected.tobytes()


def test_object_array_and_map_columns_are_not_provable():
    """Their types are specs, not DataTypes (and unhashable): the plan is None, not an error."""
    from mlflow.types.schema import Array, DataType, Object, Property

    schema = Schema([ColSpec(Object([Property("role", DataType.string)]), "m"), ColSpec(Array(DataType.long), "a")])
    assert ColumnsPlan.compile(schema) is None
