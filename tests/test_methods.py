"""The ``method`` parameter: the native model's method answers, after the signature's enforcement."""

from __future__ import annotations

import asyncio

import mlflow.sklearn
import numpy as np
import pytest
from mlflow.models import infer_signature
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from runtime_mlflow import methods
from runtime_mlflow.errors import ModelLoadError
from runtime_mlflow.hosting.hosts import Local


def load(path, method):
    """The model at ``path`` answering with ``method``, loaded in this process as the runtime loads it."""
    return asyncio.run(Local.load("m", path, method, None))


@pytest.fixture(scope="module")
def iris():
    frame = load_iris(as_frame=True)
    return frame.data, frame.target


@pytest.fixture(scope="module")
def saved(tmp_path_factory, iris):
    X, y = iris
    root = tmp_path_factory.mktemp("methods")
    classifier = LogisticRegression(max_iter=500).fit(X, y)
    mlflow.sklearn.save_model(classifier, str(root / "classifier"), signature=infer_signature(X, classifier.predict(X)))
    scaler = StandardScaler().fit(X)
    mlflow.sklearn.save_model(scaler, str(root / "scaler"), signature=infer_signature(X))
    pca = PCA(n_components=2).fit(X)
    mlflow.sklearn.save_model(pca, str(root / "pca"), signature=infer_signature(X))
    return root, classifier, scaler, pca


def test_predict_is_mlflows_pyfunc_model(saved):
    root, *_ = saved
    model = load(root / "classifier", "predict")
    assert type(model.hosted.model).__name__ == "PyFuncModel" and methods.describe(model) is None


def test_predict_proba_goes_through_the_signature_and_answers_the_estimators_call(saved, iris):
    root, classifier, *_ = saved
    X, _ = iris
    model = load(root / "classifier", "predict_proba")
    shuffled = X[list(reversed(X.columns))].head(5)  # enforcement puts the columns in the signature's order
    np.testing.assert_array_equal(model.predict(shuffled), classifier.predict_proba(X.head(5)))
    (spec,) = methods.describe(model)
    assert (spec.name, spec.datatype, spec.shape) == ("predict_proba", "FP64", [-1, 3])
    assert spec.parameters.model_extra["classes"] == [0, 1, 2]
    assert methods.output_names(model) == ["0", "1", "2"]


def test_the_signature_still_refuses_a_missing_column(saved, iris):
    root, *_ = saved
    X, _ = iris
    model = load(root / "classifier", "predict_log_proba")
    with pytest.raises(Exception, match="petal width"):
        model.predict(X.drop(columns=["petal width (cm)"]).head(2))


def test_a_method_the_model_lacks_fails_the_load_naming_the_ones_it_has(saved):
    root, *_ = saved
    with pytest.raises(ModelLoadError) as raised:
        load(root / "classifier", "transform")
    message = str(raised.value)
    assert "'transform'" in message and "LogisticRegression" in message
    assert message.index("predict") < message.index("predict_proba") < message.index("decision_function")


def test_a_transformer_without_a_pyfunc_flavor_loads_natively(saved, iris):
    root, _, scaler, pca = saved
    X, _ = iris
    assert "python_function" not in mlflow.models.Model.load(str(root / "scaler")).flavors
    model = load(root / "scaler", "transform")
    np.testing.assert_array_equal(model.predict(X.head(3)), scaler.transform(X.head(3)))
    (spec,) = methods.describe(model)
    assert spec.shape == [-1, 4] and spec.parameters.model_extra["columns"] == list(X.columns)
    (spec,) = methods.describe(load(root / "pca", "transform"))
    assert spec.shape == [-1, 2] and spec.parameters.model_extra["columns"] == ["pca0", "pca1"]


def test_predict_on_a_transformer_names_transform(saved):
    root, *_ = saved
    with pytest.raises(ModelLoadError, match=r"no method 'predict'.*StandardScaler has .*transform"):
        load(root / "scaler", "predict")


def test_an_unknown_methods_answer_is_not_described(saved):
    root, *_ = saved
    assert methods.describe(load(root / "scaler", "inverse_transform")) == []


def test_the_parameter_must_name_a_public_method():
    from mlserver.settings import ModelParameters, ModelSettings

    from runtime_mlflow.settings import RuntimeSettings

    def settings(method):
        return ModelSettings(name="m", implementation="runtime_mlflow.MLflowRuntime",
                             parameters=ModelParameters(extra={"method": method}))

    assert RuntimeSettings.from_model_settings(settings("predict_proba")).method == "predict_proba"
    for bad in ("_private", "predict proba", 3, ""):
        with pytest.raises(ModelLoadError, match="parameter method"):
            RuntimeSettings.from_model_settings(settings(bad))


def test_a_model_with_no_flavor_mlflow_can_load_says_so(tmp_path):
    (tmp_path / "MLmodel").write_text("flavors:\n  no_such_flavor:\n    data: x\n")
    with pytest.raises(ModelLoadError, match=r"model 'm': the model has no python_function flavor .*no_such_flavor"):
        load(tmp_path, "predict")
