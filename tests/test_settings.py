from __future__ import annotations

import pytest
from mlserver.settings import ModelParameters, ModelSettings

from runtime_mlflow import MLflowRuntime
from runtime_mlflow.errors import ModelLoadError
from runtime_mlflow.settings import RuntimeSettings


def settings(**parameters) -> ModelSettings:
    return ModelSettings(name="m", implementation=MLflowRuntime, parameters=ModelParameters(**parameters))


@pytest.mark.parametrize(
    ("parameters", "content_type"),
    [
        pytest.param({}, None, id="none"),
        pytest.param({"xtype": "ndarray"}, "np", id="xtype-ndarray"),
        pytest.param({"xtype": "DataFrame"}, "pd", id="xtype-dataframe"),
        pytest.param({"extra": {"xtype": "dataframe"}}, "pd", id="xtype-under-extra"),
        pytest.param({"content_type": "dict"}, "dict", id="mlserver-content-type"),
        pytest.param({"content_type": "pd", "xtype": "DataFrame"}, "pd", id="agreeing"),
    ],
)
def test_default_content_type(parameters, content_type):
    assert RuntimeSettings.from_model_settings(settings(**parameters)).content_type == content_type


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        pytest.param({"xtype": "tensor"}, "xtype is 'tensor'", id="unknown-xtype"),
        pytest.param({"content_type": "np", "xtype": "DataFrame"}, "disagree", id="conflict"),
        pytest.param({"content_type": "str"}, "not a request content type", id="input-level-type"),
        pytest.param({"extra": {"request_timeout": 0}}, "request_timeout is 0", id="zero-timeout"),
        pytest.param({"extra": {"request_timeout": "soon"}}, "request_timeout is 'soon'", id="word-timeout"),
        pytest.param({"extra": {"max_inflight": 2.5}}, "max_inflight is 2.5", id="fractional-cap"),
        pytest.param({"extra": {"max_inflight": -1}}, "max_inflight is -1", id="negative-cap"),
    ],
)
def test_bad_settings_fail_the_load_naming_the_parameter(parameters, message):
    with pytest.raises(ModelLoadError, match=message):
        RuntimeSettings.from_model_settings(settings(**parameters))


def test_limits_default_to_the_variables_then_to_60_s_and_64(monkeypatch):
    monkeypatch.delenv("RUNTIME_MLFLOW_REQUEST_TIMEOUT", raising=False)
    monkeypatch.delenv("RUNTIME_MLFLOW_MAX_INFLIGHT", raising=False)
    default = RuntimeSettings.from_model_settings(settings())
    assert (default.request_timeout, default.max_inflight) == (60, 64)
    monkeypatch.setenv("RUNTIME_MLFLOW_REQUEST_TIMEOUT", "none")
    monkeypatch.setenv("RUNTIME_MLFLOW_MAX_INFLIGHT", "8")
    from_env = RuntimeSettings.from_model_settings(settings())
    assert (from_env.request_timeout, from_env.max_inflight) == (None, 8)
    own = RuntimeSettings.from_model_settings(settings(extra={"request_timeout": "2.5", "max_inflight": "none"}))
    assert (own.request_timeout, own.max_inflight) == (2.5, None)
    assert "request_timeout" in own.timeout_source


def test_a_bad_variable_fails_the_load_naming_it(monkeypatch):
    monkeypatch.setenv("RUNTIME_MLFLOW_MAX_INFLIGHT", "lots")
    with pytest.raises(ModelLoadError, match="RUNTIME_MLFLOW_MAX_INFLIGHT is 'lots'"):
        RuntimeSettings.from_model_settings(settings())
