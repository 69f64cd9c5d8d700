"""``compat.placement``: no two models of this runtime share an MLServer worker, and the first one
uses MLServer's default pool rather than leaving its worker idle."""

from __future__ import annotations

import pytest
from mlserver.settings import ModelParameters, ModelSettings

from runtime_mlflow.compat import placement
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


def test_mlserver_keeps_a_model_with_model_level_parallel_workers_0_in_its_main_process():
    """The contract ``load_in_main_process`` relies on (MLServer 1.7.1): the deprecated field is
    still read, 0 means no worker, and the warning it silences starts with the text it matches."""
    import inspect

    from mlserver.parallel.registry import InferencePoolRegistry
    from mlserver.settings import Settings

    source = inspect.getsource(InferencePoolRegistry._should_load_model)
    assert "model_settings.parallel_workers <= 0" in source
    assert placement._DEPRECATION.replace("!!", "") in source.replace("!!", "")
    registry = InferencePoolRegistry.__new__(InferencePoolRegistry)
    registry._settings = Settings(parallel_workers=2)
    model = settings("a")
    placement.load_in_main_process(model)
    assert model.parallel_workers == 0 and registry._should_load_model(model) is False
    assert registry._should_load_model(settings("b")) is True
