"""``compat.model_settings``: MLServer keeps the settings file's path where the seam reads it
(contract written for MLServer 1.7.1)."""

from __future__ import annotations

import json
from pathlib import Path

from mlserver.settings import ModelSettings

from runtime_mlflow.compat.model_settings import settings_folder


def test_a_parsed_settings_file_knows_its_folder(tmp_path):
    path = tmp_path / "model-settings.json"
    path.write_text(json.dumps({"name": "m", "implementation": "mlserver.MLModel"}))
    assert settings_folder(ModelSettings.parse_file(str(path))) == tmp_path


def test_settings_made_in_code_have_the_current_folder(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert settings_folder(ModelSettings(name="m", implementation="mlserver.MLModel")) == Path.cwd()
