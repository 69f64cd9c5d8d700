"""Which environment a model gets, from its folder and its settings."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from mlserver.settings import ModelParameters, ModelSettings

from runtime_mlflow.environments import TARBALL, Choice, choose, unpack
from runtime_mlflow.errors import ModelEnvironmentError, ModelLoadError


def settings(tmp_path: Path, **parameters: object) -> ModelSettings:
    model_settings = ModelSettings(name="m", implementation="runtime_mlflow.MLflowRuntime",
                                   parameters=ModelParameters(**parameters))
    model_settings._source = str(tmp_path / "model-settings.json")
    return model_settings


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    model = tmp_path / "model"
    model.mkdir()
    return model


def test_an_archive_beside_the_model_is_found_with_no_setting(tmp_path, folder):
    assert choose(settings(tmp_path), None, folder) == Choice("none")
    (folder / TARBALL).write_bytes(b"")
    assert choose(settings(tmp_path), None, folder) == Choice("tarball", folder / TARBALL)
    assert choose(settings(tmp_path), "auto", folder).own_process


def test_a_remote_model_not_yet_downloaded_counts_only_explicit_settings(tmp_path):
    (tmp_path / "env.tar.gz").write_bytes(b"")
    assert choose(settings(tmp_path), None, None) == Choice("none")
    assert choose(settings(tmp_path), "build", None) == Choice("build")
    assert choose(settings(tmp_path), "env.tar.gz", None) == Choice("tarball", tmp_path / "env.tar.gz")


def test_none_turns_it_off_and_build_asks_for_a_build(tmp_path, folder):
    (folder / TARBALL).write_bytes(b"")
    assert choose(settings(tmp_path), "none", folder) == Choice("none")
    assert choose(settings(tmp_path), "build", folder) == Choice("build")


def test_a_named_archive_is_relative_to_model_settings(tmp_path, folder):
    (tmp_path / "envs").mkdir()
    (tmp_path / "envs" / "other.tar.gz").write_bytes(b"")
    assert choose(settings(tmp_path), "envs/other.tar.gz", folder) == Choice("tarball", tmp_path / "envs" / "other.tar.gz")
    with pytest.raises(ModelLoadError, match="missing.tar.gz, which is not a file"):
        choose(settings(tmp_path), "missing.tar.gz", folder)


def test_mlservers_own_environment_settings_win(tmp_path, folder):
    (folder / TARBALL).write_bytes(b"")
    assert choose(settings(tmp_path, environment_tarball="x.tar.gz"), None, folder) == Choice("native")
    assert choose(settings(tmp_path, environment_path="/opt/env"), "build", folder) == Choice("native")
    assert not Choice("native").own_process


def test_an_archive_without_python_is_not_an_environment(tmp_path):
    archive = tmp_path / "empty.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("README")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    (tmp_path / "dest").mkdir()
    with pytest.raises(ModelEnvironmentError, match="has no bin/python"):
        unpack(archive, tmp_path / "dest")
