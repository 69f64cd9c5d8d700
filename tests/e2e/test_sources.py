"""Models loaded from S3, GCS, HTTP archives and an MLflow tracking server, all on 127.0.0.1.

The stores are real servers started here (``services``); the mlserver process reads them
through the standard variables (``AWS_*``, ``MLFLOW_S3_ENDPOINT_URL``,
``STORAGE_EMULATOR_HOST``, ``MLFLOW_TRACKING_URI``).
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import zipfile
from pathlib import Path

import mlflow
import mlflow.pyfunc
import mlflow.sklearn
import pandas as pd
import pytest
import services
from metrics_text import sample
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient
from mlserver_process import Server, free_port, write_model_settings
from sklearn.linear_model import ElasticNet

SECRET = "sekrit-aws-value-7391"
URL_PASSWORD = "sekrit-url-pass-5150"
WINE_CSV = Path(__file__).resolve().parents[2] / "examples" / "wine" / "winequality-red.csv"


def request(rows: pd.DataFrame) -> dict:
    return {"parameters": {"content_type": "pd"}, "inputs": [
        {"name": c, "shape": [len(rows)], "datatype": "FP64", "data": rows[c].astype(float).tolist()}
        for c in rows.columns]}


def upload_s3(client, folder: Path, bucket: str, prefix: str) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            client.upload_file(str(path), bucket, f"{prefix}/{path.relative_to(folder)}")


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return pd.read_csv(WINE_CSV).drop(columns=["quality"]).head(5)


@pytest.fixture(scope="module")
def stores(tmp_path_factory, model_dirs, packed_env, rows):
    tmp = tmp_path_factory.mktemp("stores")
    started = [services.moto(tmp), services.gcs(tmp)]
    moto, gcs = started
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")}
    environ = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_DEFAULT_REGION": "us-east-1",
               "MLFLOW_S3_ENDPOINT_URL": moto.url, "STORAGE_EMULATOR_HOST": gcs.url}
    try:
        import boto3
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        wine = model_dirs["wine"]
        s3 = boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key=SECRET)
        s3.create_bucket(Bucket="models")
        upload_s3(s3, wine, "models", "wine")
        upload_s3(s3, wine, "models", "wine-old")  # shares the prefix "wine": must not be mixed in
        with_env = tmp / "wine-env"
        shutil.copytree(packed_env.models / "wine", with_env)
        shutil.copy(packed_env.tarball, with_env / "environment.tar.gz")
        upload_s3(s3, with_env, "models", "wine-env")

        os.environ["STORAGE_EMULATOR_HOST"] = gcs.url
        try:
            bucket = storage.Client(project="test", credentials=AnonymousCredentials()).create_bucket("gmodels")
            for path in wine.rglob("*"):
                if path.is_file():
                    bucket.blob(f"wine/{path.relative_to(wine)}").upload_from_filename(str(path))
        finally:
            del os.environ["STORAGE_EMULATOR_HOST"]

        public = tmp / "public"
        (public / "private").mkdir(parents=True)
        with tarfile.open(public / "wine.tar.gz", "w:gz") as tar:
            tar.add(wine, arcname="wine")  # one folder inside the archive
        shutil.copy(public / "wine.tar.gz", public / "private" / "wine.tar.gz")
        with zipfile.ZipFile(public / "wine.zip", "w") as zipped:
            for path in wine.rglob("*"):
                zipped.write(path, path.relative_to(wine))  # files at the archive's root
        started.append(files := services.files(public, tmp))

        started.append(tracking := services.mlflow_tracking(tmp))
        registered = register_two_versions(tracking.url, rows)
        environ["MLFLOW_TRACKING_URI"] = tracking.url
        yield {"environ": environ, "files": files.url, "tracking": tracking.url, "local": wine, **registered}
    finally:
        for service in started:
            service.stop()
        for key, value in saved.items():
            if value is not None:
                os.environ[key] = value


def register_two_versions(tracking: str, rows: pd.DataFrame) -> dict:
    """Versions 1 and 2 of registered model "wine" (different fits); alias "champion" on version 1."""
    data = pd.read_csv(WINE_CSV)
    features, target = data.drop(columns=["quality"]), data["quality"]
    mlflow.set_tracking_uri(tracking)
    try:
        out = {}
        for version, alpha in ((1, 0.9), (2, 0.05)):
            model = ElasticNet(alpha=alpha, random_state=0).fit(features, target)
            with mlflow.start_run() as run:
                info = mlflow.sklearn.log_model(model, name="model", registered_model_name="wine",
                                                signature=infer_signature(features, model.predict(features)))
            out[f"v{version}"] = model.predict(rows).tolist()
            out[f"model_id{version}"] = info.model_id
            out[f"run{version}"] = run.info.run_id
            # where the tracking server's artifact proxy keeps this logged model
            out[f"artifacts{version}"] = mlflow.get_logged_model(info.model_id).artifact_location
        MlflowClient().set_registered_model_alias("wine", "champion", "1")
        return out
    finally:
        mlflow.set_tracking_uri(None)  # back to what the environment says (not pinned to its default)


@pytest.fixture(scope="module")
def source_server(tmp_path_factory, stores):
    root = tmp_path_factory.mktemp("sources")
    (root / "repo").mkdir()
    srv = Server(root / "repo", root / "mlserver.log", environ=stores["environ"])
    srv.cache, srv.root = root / "cache", root
    try:
        yield srv
    finally:
        srv.stop()


def serve(srv: Server, name: str, uri: str, **params: object):
    write_model_settings(srv.root / "repo", name, uri, cache_dir=str(srv.cache), **params)
    return srv.load(name)


def answer(srv: Server, name: str, rows: pd.DataFrame) -> list[float]:
    response = srv.infer(name, request(rows))
    assert response.status_code == 200, response.text
    return response.json()["outputs"][0]["data"]


def local_answer(folder: Path, rows: pd.DataFrame) -> list[float]:
    return mlflow.pyfunc.load_model(str(folder)).predict(rows).tolist()


@pytest.mark.parametrize(
    ("name", "uri"),
    [
        pytest.param("s3", "s3://models/wine", id="s3"),
        pytest.param("gs", "gs://gmodels/wine", id="gs"),
        pytest.param("tgz", "{files}/wine.tar.gz", id="http-tar.gz"),
        pytest.param("zip", "{files}/wine.zip", id="http-zip"),
        pytest.param("getonly", "{files}/get-only/wine.tar.gz?X-Amz-Signature=s1gn", id="http-presigned-get-only"),
    ],
)
def test_stores_serve_the_same_model(source_server, stores, rows, name, uri):
    response = serve(source_server, name, uri.format(**stores))
    assert response.status_code == 200, source_server.log.read_text()[-3000:]
    assert answer(source_server, name, rows) == local_answer(stores["local"], rows)
    metadata = source_server.client.get(f"/v2/models/{name}").json()
    assert metadata["parameters"]["source_uri"] == uri.format(**stores).replace("s1gn", "***")


@pytest.mark.parametrize(
    ("name", "uri", "expected", "version"),
    [
        pytest.param("v1", "models:/wine/1", "v1", "1", id="version"),
        pytest.param("latest", "models:/wine/latest", "v2", "2", id="latest"),
        pytest.param("champion", "models:/wine@champion", "v1", "1", id="alias"),
        pytest.param("run", "runs:/{run2}/model", "v2", None, id="run"),
        pytest.param("logged", "models:/{model_id2}", "v2", None, id="logged-model-id"),
        pytest.param("proxy", "{tracking}/api/2.0/mlflow-artifacts/artifacts/{proxy1}", "v1", None,
                     id="artifact-proxy"),
    ],
)
def test_tracking_server_sources(source_server, stores, rows, name, uri, expected, version):
    proxy1 = stores["artifacts1"].split("mlflow-artifacts:/", 1)[-1].lstrip("/")
    response = serve(source_server, name, uri.format(proxy1=proxy1, **stores))
    assert response.status_code == 200, source_server.log.read_text()[-3000:]
    assert answer(source_server, name, rows) == pytest.approx(stores[expected], rel=1e-12)
    parameters = source_server.client.get(f"/v2/models/{name}").json()["parameters"]
    if version is not None:
        assert parameters["registered_model"] == "wine" and parameters["registered_version"] == version


def test_a_moved_alias_is_picked_up_at_reload(source_server, stores, rows):
    assert serve(source_server, "moving", "models:/wine@champion").status_code == 200
    assert answer(source_server, "moving", rows) == pytest.approx(stores["v1"], rel=1e-12)
    mlflow.set_tracking_uri(stores["tracking"])
    try:
        MlflowClient().set_registered_model_alias("wine", "champion", "2")
        assert source_server.load("moving").status_code == 200  # the repository API's reload
        assert answer(source_server, "moving", rows) == pytest.approx(stores["v2"], rel=1e-12)
        parameters = source_server.client.get("/v2/models/moving").json()["parameters"]
        assert parameters["registered_version"] == "2" and parameters["alias"] == "champion"
    finally:
        MlflowClient().set_registered_model_alias("wine", "champion", "1")
        mlflow.set_tracking_uri(None)  # back to what the environment says (not pinned to its default)


def test_a_remote_folder_with_an_environment_is_served_with_it(source_server, stores, packed_env, rows):
    response = serve(source_server, "s3env", "s3://models/wine-env")
    assert response.status_code == 200, source_server.log.read_text()[-3000:]
    assert "runs Python" in source_server.log.read_text()
    response = source_server.infer("s3env", request(rows))
    assert response.json()["outputs"][0]["data"] == packed_env.expected["wine"][:5]


@pytest.mark.parametrize(
    ("uri", "named"),
    [
        pytest.param("s3://no-such-bucket/wine", ["s3://no-such-bucket/wine", "NoSuchBucket"], id="s3-bucket"),
        pytest.param("s3://models/no-such-key", ["s3://models/no-such-key", "no objects"], id="s3-key"),
        pytest.param("gs://no-such-bucket/wine", ["gs://no-such-bucket/wine", "not found"], id="gs-bucket"),
        pytest.param("{files}/missing.tar.gz", ["missing.tar.gz", "404"], id="http-missing"),
        pytest.param("{files}/private/wine.tar.gz", ["private/wine.tar.gz", "access denied", "403"], id="http-denied"),
        pytest.param("http://127.0.0.1:{closed}/wine.tar.gz", ["127.0.0.1", "ConnectionError", "3 attempts"],
                     id="unreachable"),
        pytest.param("models:/no-such-model/1", ["models:/no-such-model/1", "no-such-model"], id="unknown-model"),
        pytest.param("models:/wine/99", ["models:/wine/99", "99"], id="unknown-version"),
        pytest.param("models:/wine@no-such-alias", ["models:/wine@no-such-alias", "no-such-alias"], id="unknown-alias"),
        pytest.param("runs:/0123456789abcdef0123456789abcdef/model", ["0123456789abcdef"], id="unknown-run"),
        pytest.param(f"https://user:{URL_PASSWORD}@127.0.0.1:{{closed}}/wine.tar.gz", ["***@127.0.0.1"],
                     id="password-in-url"),
    ],
)
def test_failures_name_the_uri_and_the_cause_and_others_keep_serving(source_server, stores, rows, uri, named):
    assert serve(source_server, "steady", "s3://models/wine").status_code == 200
    name = f"bad{abs(hash(uri)) % 10**6}"
    response = serve(source_server, name, uri.format(closed=free_port(), **stores))
    assert response.status_code >= 400
    for word in named:
        assert word in response.text, response.text
    assert URL_PASSWORD not in response.text and SECRET not in response.text
    assert answer(source_server, "steady", rows) == local_answer(stores["local"], rows)


def test_credentials_never_reach_logs_or_metadata(source_server, stores):
    assert serve(source_server, "s3meta", "s3://models/wine").status_code == 200
    metadata = source_server.client.get("/v2/models/s3meta").text
    log = source_server.log.read_text()
    for secret in (SECRET, URL_PASSWORD):
        assert secret not in log and secret not in metadata


def test_a_restart_downloads_nothing(source_server, stores, rows, tmp_path):
    assert serve(source_server, "s3again", "s3://models/wine").status_code == 200
    assert serve(source_server, "champion1", "models:/wine@champion").status_code == 200
    repo = tmp_path / "repo"
    repo.mkdir()
    write_model_settings(repo, "s3again", "s3://models/wine", cache_dir=str(source_server.cache))
    write_model_settings(repo, "champion2", "models:/wine@champion", cache_dir=str(source_server.cache))
    srv = Server(repo, tmp_path / "mlserver.log", environ=stores["environ"])
    try:
        assert srv.load("s3again").status_code == 200 and srv.load("champion2").status_code == 200
        assert answer(srv, "s3again", rows) == local_answer(stores["local"], rows)
        log = srv.log.read_text()
        assert log.count("Reusing cached model") == 2 and "downloading" not in log
        assert sample(srv.metrics_url, "runtime_mlflow_cache_lookups_total", kind="model", result="hit") == 2
        assert sample(srv.metrics_url, "runtime_mlflow_cache_fill_seconds_count", kind="model") == 0
        assert sample(source_server.metrics_url, "runtime_mlflow_cache_fill_seconds_count", kind="model",
                      step="download") >= 2  # where the first server downloaded them
    finally:
        srv.stop()


def test_an_unreachable_s3_endpoint_fails_the_load_clearly(stores, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    write_model_settings(repo, "s3down", "s3://models/wine", cache_dir=str(tmp_path / "cache"))
    closed = f"http://127.0.0.1:{free_port()}"
    srv = Server(repo, tmp_path / "mlserver.log", environ={**stores["environ"], "MLFLOW_S3_ENDPOINT_URL": closed})
    try:
        response = srv.load("s3down")
        assert response.status_code >= 400
        assert "s3://models/wine" in response.text and "3 attempts" in response.text
        assert "Could not connect to the endpoint URL" in response.text and SECRET not in response.text
        assert srv.client.get("/v2/health/live").status_code == 200
    finally:
        srv.stop()


def cached(cache: Path) -> set[str]:
    """The cache's entries; each folder in the cache is one entry's (none left behind)."""
    links = [p for kind in ("models", "environments") if (cache / kind).is_dir() for p in (cache / kind).iterdir()
             if p.is_symlink()]
    folders = {p for kind in ("models", "environments") if (cache / kind).is_dir() for p in (cache / kind).iterdir()
               if not p.is_symlink()}
    assert folders == {p.parent / os.readlink(p) for p in links}
    return {p.name for p in links}


def test_a_full_cache_evicts_what_no_loaded_model_uses(stores, rows, tmp_path, packed_env):
    """A cache limit of one byte: every entry not in use goes, the loaded model's never."""
    repo, cache = tmp_path / "repo", tmp_path / "cache"
    repo.mkdir()
    write_model_settings(repo, "kept", "s3://models/wine-env", cache_dir=str(cache))  # a model and an environment
    write_model_settings(repo, "gone", f"{stores['files']}/wine.tar.gz", cache_dir=str(cache))
    srv = Server(repo, tmp_path / "mlserver.log", environ={**stores["environ"], "RUNTIME_MLFLOW_CACHE_MAX_SIZE": "1"})
    try:
        assert srv.load("kept").status_code == 200, srv.log.read_text()[-3000:]
        assert srv.load("gone").status_code == 200, srv.log.read_text()[-3000:]
        in_use = cached(cache)
        assert len(in_use) == 3  # kept's model and environment, gone's model
        assert srv.client.post("/v2/repository/models/gone/unload").status_code == 200
        left = cached(cache)
        assert len(left) == 2 and left < in_use, left
        assert "Evicted cached model" in srv.log.read_text()
        response = srv.infer("kept", request(rows))
        assert response.status_code == 200 and response.json()["outputs"][0]["data"] == packed_env.expected["wine"][:5]
        assert srv.client.post("/v2/repository/models/kept/unload").status_code == 200
        assert srv.load("gone").status_code == 200  # downloaded again; kept's entries are no longer in use
        assert answer(srv, "gone", rows) == local_answer(stores["local"], rows)
        assert len(cached(cache)) == 1 and not (cached(cache) & left)
    finally:
        srv.stop()


def test_one_remote_model_served_twice_is_downloaded_once(source_server, stores, rows):
    assert serve(source_server, "twice_a", "s3://models/wine").status_code == 200
    before = source_server.log.read_text().count("Reusing cached model")
    assert serve(source_server, "twice_b", "s3://models/wine", method="predict").status_code == 200
    log = source_server.log.read_text()
    assert log.count("Reusing cached model") == before + 1
    assert answer(source_server, "twice_b", rows) == answer(source_server, "twice_a", rows)


def test_alive_but_not_ready_while_a_model_downloads(stores, tmp_path):
    """What Kubernetes' probes see while a large model downloads at start-up."""
    repo = tmp_path / "repo"
    write_model_settings(repo, "slow", f"{stores['files']}/slow/wine.tar.gz", cache_dir=str(tmp_path / "cache"))
    srv = Server(repo, tmp_path / "mlserver.log", environ=stores["environ"], load_models_at_startup=True)
    try:
        seen = srv.probes_until_ready("slow", "downloading", timeout=120)
        assert len(seen) > 10, "the model was ready before the download could be watched"
        assert {live for live, _, _ in seen} == {200}
        assert 200 not in {ready for _, ready, _ in seen}
        assert any(downloading for _, _, downloading in seen)  # the reason is in the log while not ready
    finally:
        srv.stop()


@pytest.mark.parametrize(
    ("uri", "extra", "expected"),
    [
        pytest.param("models:/wine@champion", {"xtype": "DataFrame"}, "v1", id="registry-alias"),
        pytest.param("s3://models/wine-env", {"method": "predict", "environment": "auto"}, "env", id="s3-environment"),
    ],
)
def test_kserve_style_variables_alone_serve_a_remote_model(stores, rows, packed_env, tmp_path, uri, extra, expected):
    """No model-settings.json at all: KServe's MLSERVER_MODEL_* variables, with one of our remote
    URIs (fetched by the runtime, as the storage initializer cannot) and our parameters as JSON."""
    repo = tmp_path / "repo"
    repo.mkdir()
    environ = {**stores["environ"], "MLSERVER_MODEL_NAME": "kserved", "MLSERVER_MODEL_URI": uri,
               "MLSERVER_MODEL_IMPLEMENTATION": "runtime_mlflow.MLflowRuntime",
               "MLSERVER_MODEL_EXTRA": json.dumps(extra), "RUNTIME_MLFLOW_CACHE_DIR": str(tmp_path / "cache")}
    srv = Server(repo, tmp_path / "mlserver.log", environ=environ, load_models_at_startup=True)
    try:
        srv.probes_until_ready("kserved", "", timeout=180)
        data = answer(srv, "kserved", rows)
        if expected == "env":
            assert data == packed_env.expected["wine"][:5]
            assert "runs Python" in srv.log.read_text()
        else:
            assert data == pytest.approx(stores[expected], rel=1e-12)
        assert srv.client.get("/v2/models/kserved").json()["parameters"]["source_uri"] == uri
        assert sorted(p.name for p in repo.iterdir()) == ["settings.json"]  # nothing written beside it
    finally:
        srv.stop()
