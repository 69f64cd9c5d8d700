from __future__ import annotations

import pytest
from mlserver.settings import ModelSettings

from runtime_mlflow.errors import ModelLoadError
from runtime_mlflow.uri import resolve_model_path


@pytest.fixture
def settings(tmp_path) -> ModelSettings:
    source = tmp_path / "model-settings.json"
    source.write_text('{"name": "m", "implementation": "runtime_mlflow.MLflowRuntime"}')
    return ModelSettings.parse_file(str(source))


@pytest.fixture
def model(tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "MLmodel").write_text("flavors: {}\n")
    return tmp_path / "model"


@pytest.mark.parametrize("form", ["relative", "absolute", "file-uri", "mlmodel-file"])
def test_local_forms(settings, model, form):
    uri = {"relative": "./model", "absolute": str(model), "file-uri": model.as_uri(),
           "mlmodel-file": str(model / "MLmodel")}[form]
    assert resolve_model_path(settings, uri) == model


def test_no_uri_means_the_model_settings_folder(settings, tmp_path):
    (tmp_path / "MLmodel").write_text("flavors: {}\n")
    assert resolve_model_path(settings, None) == tmp_path


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        pytest.param("s3://bucket/wine", "'s3' scheme", id="remote-scheme"),
        pytest.param("./missing", "does not exist", id="missing"),
        pytest.param(".", "has no MLmodel file", id="not-a-model"),
    ],
)
def test_errors_name_the_model_and_the_cause(settings, uri, message):
    with pytest.raises(ModelLoadError, match=message) as raised:
        resolve_model_path(settings, uri)
    assert "model 'm'" in str(raised.value)
