"""``placement``: no two models of this runtime share an MLServer worker, and the first one
uses MLServer's default pool rather than leaving its worker idle."""

from __future__ import annotations

import pytest
from mlserver.settings import ModelParameters, ModelSettings

from runtime_mlflow import placement
from runtime_mlflow.runtime import MLflowRuntime


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    monkeypatch.setattr(placement, "_in_default_pool", None)


def settings(name: str, gid: str | None = None) -> ModelSettings:
    return ModelSettings(name=name, implementation=MLflowRuntime,
                         parameters=ModelParameters(uri="/models/x", inference_pool_gid=gid))


def placed(*names: str) -> list[str | None]:
    out = []
    for name in names:
        model = settings(name)
        placement.own_pool(model)
        out.append(model.parameters.inference_pool_gid)
    return out


def test_the_first_model_takes_the_default_pool_and_the_others_their_own():
    assert placed("a", "b", "c") == [None, "runtime_mlflow:b", "runtime_mlflow:c"]


def test_a_new_version_of_the_first_model_stays_in_the_default_pool():
    assert placed("a", "b", "a") == [None, "runtime_mlflow:b", None]


def test_a_pool_named_in_the_settings_is_kept_and_does_not_take_the_default():
    model = settings("a", gid="shared")
    placement.own_pool(model)
    assert model.parameters.inference_pool_gid == "shared"
    assert placed("b") == [None]


def test_settings_without_parameters_get_them():
    model = ModelSettings(name="a", implementation=MLflowRuntime)
    placement.own_pool(model)
    assert model.parameters is not None
