"""``positional``: which scikit-learn models may be given an array in place of a frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import VotingRegressor
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from runtime_mlflow.hosting.payload.rmlf_positional import reads_by_position

X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [0.5, 0.1, 0.9, 0.3]})
Y = np.array([1.0, 2.0, 3.0, 4.0])


class OwnRidge(Ridge):
    """An estimator class from outside scikit-learn: it may read columns by name."""


def test_plain_and_nested_sklearn_estimators_read_by_position():
    assert reads_by_position(Ridge().fit(X, Y), ["a", "b"])
    assert reads_by_position(make_pipeline(StandardScaler(), Ridge()).fit(X, Y), ["a", "b"])
    voting = VotingRegressor([("r", Ridge()), ("p", make_pipeline(StandardScaler(), Ridge()))]).fit(X, Y)
    assert reads_by_position(voting, ["a", "b"])


def test_an_array_fitted_model_reads_by_position_with_any_signature():
    assert reads_by_position(Ridge().fit(X.to_numpy(), Y), None)
    assert reads_by_position(Ridge().fit(X.to_numpy(), Y), ["a", "b"])


@pytest.mark.parametrize("names", [["b", "a"], ["a", "c"], ["a"], None], ids=["order", "other", "fewer", "unnamed"])
def test_names_other_than_the_fitted_ones_are_refused(names):
    assert not reads_by_position(Ridge().fit(X, Y), names)


@pytest.mark.parametrize("model", [
    pytest.param(make_pipeline(ColumnTransformer([("s", StandardScaler(), ["a"])]), Ridge()), id="column-transformer"),
    pytest.param(make_pipeline(FunctionTransformer(np.log1p), Ridge()), id="function-transformer"),
    pytest.param(make_pipeline(StandardScaler().set_output(transform="pandas"), Ridge()), id="pandas-output"),
    pytest.param(make_pipeline(StandardScaler(), OwnRidge()), id="foreign-class"),
    pytest.param(VotingRegressor([("r", Ridge()), ("o", OwnRidge())]), id="foreign-class-inside"),
])
def test_what_may_read_by_name_is_refused(model):
    assert not reads_by_position(model.fit(X, Y), ["a", "b"])


def test_a_global_pandas_output_is_refused():
    model = make_pipeline(StandardScaler(), Ridge()).fit(X, Y)
    with sklearn.config_context(transform_output="pandas"):
        assert not reads_by_position(model, ["a", "b"])
    assert reads_by_position(model, ["a", "b"])
