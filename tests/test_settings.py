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
    ],
)
def test_bad_settings_fail_the_load_naming_the_parameter(parameters, message):
    with pytest.raises(ModelLoadError, match=message):
        RuntimeSettings.from_model_settings(settings(**parameters))
