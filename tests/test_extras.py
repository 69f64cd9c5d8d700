"""``extras``: a feature whose extra is not installed fails naming the extra to install
(a Parquet body without pyarrow: tests/protocols/test_scoring_answers.py).

"Not installed" is made here by ``sys.modules[name] = None``, which makes Python's import
(and ``importlib.util.find_spec``) treat the module as absent; tests/test_deploy.py checks a
real plain install (the image's)."""

from __future__ import annotations

import sys

import pytest

from runtime_mlflow import cli, extras
from runtime_mlflow.environments import build
from runtime_mlflow.errors import MissingExtra
from runtime_mlflow.sources import buckets


@pytest.fixture
def tracking_uri(monkeypatch):
    """Use a tracking URI here: set for this process (which may hold another from an earlier
    test) and in the environment; unset afterwards."""
    import mlflow

    def use(uri: str) -> None:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)

    yield use
    mlflow.set_tracking_uri(None)
    mlflow.set_registry_uri(None)


def _absent(monkeypatch, *modules: str) -> None:
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)


def test_everything_is_installed_in_the_test_environment():
    assert all(extras.available(extra) for extra in extras.MODULES)


@pytest.mark.parametrize(("scheme", "extra", "module"), [("s3", "s3", "boto3"), ("gs", "gcs", "google.cloud.storage")])
def test_an_object_store_uri_without_its_extra(monkeypatch, scheme, extra, module):
    _absent(monkeypatch, module)
    with pytest.raises(MissingExtra) as caught:
        buckets.store_for(scheme)
    assert f"pip install 'runtime-mlflow[{extra}]'" in str(caught.value)
    assert f"{scheme}:// model URIs" in str(caught.value) and module in str(caught.value)


def test_building_without_uv(monkeypatch):
    _absent(monkeypatch, "uv")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(MissingExtra, match=r"runtime-mlflow\[build\]"):
        build.uv_binary()


def test_pack_without_conda_pack(monkeypatch, tmp_path, capsys):
    _absent(monkeypatch, "conda_pack")
    assert cli.main(["pack", str(tmp_path)]) == 1
    assert "pip install 'runtime-mlflow[build]'" in capsys.readouterr().err


@pytest.mark.parametrize(("module", "extra"), [
    ("boto3", "s3"), ("botocore.exceptions", "s3"), ("google", "gcs"), ("google.cloud", "gcs"),
    ("google.cloud.storage", "gcs"), ("pyarrow", "parquet"), ("uv", "build"), ("conda_pack", "build"),
    ("google.protobuf", None), ("xgboost", None), (None, None),
])
def test_the_extra_of_a_missing_module(module, extra):
    assert extras.extra_of(module) == extra


def test_a_run_whose_artifacts_are_on_s3_without_the_extra(monkeypatch, tmp_path, tracking_uri):
    """A real local tracking store whose experiment keeps its artifacts on S3: MLflow imports
    boto3 to download them."""
    import mlflow

    from runtime_mlflow.sources import fetch

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3.17's file store is opt-in
    tracking_uri((tmp_path / "mlruns").as_uri())
    client = mlflow.MlflowClient()
    experiment = client.create_experiment("remote", artifact_location="s3://bucket/artifacts")
    run = client.create_run(experiment)
    _absent(monkeypatch, "boto3")
    with pytest.raises(MissingExtra) as caught:
        fetch("m", f"runs:/{run.info.run_id}/model", tmp_path / "cache")
    assert "pip install 'runtime-mlflow[s3]'" in str(caught.value) and "its artifact store" in str(caught.value)


def test_a_database_tracking_store_without_the_extra(monkeypatch, tmp_path, tracking_uri):
    from runtime_mlflow.sources import fetch

    tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    _absent(monkeypatch, "sqlalchemy")
    with pytest.raises(MissingExtra) as caught:
        fetch("m", "models:/wine/1", tmp_path / "cache")
    assert "pip install 'runtime-mlflow[tracking-db]'" in str(caught.value)
