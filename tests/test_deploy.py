"""The image recipe, tested outside a container (no base image can be pulled here).

A fresh virtualenv is built by ``deploy/install.sh``, the script the Dockerfile runs, from
a copy of this checkout; then ``deploy/entrypoint.sh``, the image's entrypoint, is started
as ``nobody`` (who cannot write the model folder or the virtualenv) against a read-only
model folder, as KServe starts it (``MLSERVER_MODEL_*`` variables, no model-settings.json),
as ``mlserver build``'s layout is started (a folder of model-settings.json files), and as
Seldon Core 2's agent drives it (nothing loaded at start-up, models loaded through the
repository API).
A model with code_paths and its own environment.tar.gz is served the same way. The model
folder's checksum must not change.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import envkit
import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent / "e2e"))
from mlserver_process import free_ports, stop_process  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOBODY = 65534
SYSTEM_PYTHON = "/usr/bin/python3"
"""The image's Python stands in for python:3.11-slim's: the system one, which ``nobody`` can run
(this machine's other interpreters live under /root). ``make test`` installs python3-venv."""


def checksum(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    """What the Dockerfile makes: the virtualenv, the entrypoint and a read-only model folder."""
    if os.geteuid() != 0:
        pytest.fail("this test starts the server as another user; it must run as root (as CI does)")
    base = Path(tempfile.mkdtemp(prefix="rmlf-image-"))
    base.chmod(0o755)
    try:
        source = shutil.copytree(ROOT, base / "src", ignore=shutil.ignore_patterns(
            ".venv", ".venv-kserve", ".bench", ".git", "__pycache__", "*.egg-info", "build", "model", "mlruns"))
        subprocess.run([str(source / "deploy" / "install.sh"), str(source), str(base / "venv")], check=True,
                       env={**os.environ, "PYTHON": SYSTEM_PYTHON}, timeout=900)
        models = base / "models"
        subprocess.run([sys.executable, str(ROOT / "examples" / "iris-proba" / "train.py"), str(models / "model")],
                       check=True, capture_output=True)
        for name in ("labels", "proba"):
            shutil.copytree(ROOT / "examples" / "iris-proba" / name, models / name)
        for path in [models, *models.rglob("*")]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        yield base
    finally:
        for path in [base, *base.rglob("*")]:
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


class Started:
    """``deploy/entrypoint.sh`` run as ``nobody`` with ``environ``."""

    def __init__(self, base: Path, models: Path, environ: dict[str, str]) -> None:
        http, grpc, metrics = free_ports(3)
        self.url = f"http://127.0.0.1:{http}"
        self.state = Path(tempfile.mkdtemp(prefix="state-", dir=base))
        os.chown(self.state, NOBODY, NOBODY)
        env = {"PATH": "/usr/bin:/bin", "HOME": str(self.state), "MLSERVER_HOST": "127.0.0.1",
               "MLSERVER_HTTP_PORT": str(http), "MLSERVER_GRPC_PORT": str(grpc), "MLSERVER_METRICS_PORT": str(metrics),
               "MLSERVER_DEBUG": "false", "RUNTIME_MLFLOW_STATE": str(self.state),
               "RUNTIME_MLFLOW_VENV": str(base / "venv"), "MLSERVER_MODELS_DIR": str(models), **environ}
        self.log = (base / f"{self.state.name}.log").open("w")
        self.process = subprocess.Popen(
            ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
             str(base / "src" / "deploy" / "entrypoint.sh")],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd="/")
        self.client = httpx.Client(base_url=self.url, timeout=30)

    def ready(self, *names: str, timeout: float = 120) -> None:
        """Until the models are ready (with no names: until the server is live)."""
        paths = [f"/v2/models/{n}/ready" for n in names] or ["/v2/health/live"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, Path(self.log.name).read_text()[-3000:]
            try:
                if all(self.client.get(path).status_code == 200 for path in paths):
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        raise AssertionError(Path(self.log.name).read_text()[-3000:])

    def stop(self) -> None:
        self.client.close()
        stop_process(self.process, 30)
        self.log.close()


IRIS = {"inputs": [{"name": c, "shape": [1], "datatype": "FP64", "data": [v]} for c, v in
                   zip(["sepal_length", "sepal_width", "petal_length", "petal_width"], [5.1, 3.5, 1.4, 0.2])]}


def test_kserve_style_variables_alone_serve_a_read_only_model_as_nobody(image):
    model = image / "models" / "model"
    before = checksum(model)
    server = Started(image, model, {
        "MLSERVER_MODEL_NAME": "iris", "MLSERVER_MODEL_IMPLEMENTATION": "runtime_mlflow.MLflowRuntime",
        "MLSERVER_MODEL_URI": str(model), "MLSERVER_MODEL_EXTRA": '{"method": "predict_proba"}'})
    try:
        server.ready("iris")
        output = server.client.post("/v2/models/iris/infer", json=IRIS).json()["outputs"][0]
        assert output["name"] == "predict_proba" and output["shape"] == [1, 3]
        assert server.client.get("/v2/health/live").status_code == 200
        # MLflow's scoring protocol, from MLflow's skinny package (the plain install has no other)
        scored = server.client.post("/invocations", json={"dataframe_split": {
            "columns": [i["name"] for i in IRIS["inputs"]], "data": [[i["data"][0] for i in IRIS["inputs"]]]}})
        assert scored.status_code == 200 and len(scored.json()["predictions"][0]) == 3, scored.text
    finally:
        server.stop()
    assert checksum(model) == before
    assert os.stat(server.state / "metrics").st_uid == NOBODY  # what it wrote, it wrote in its state folder


def test_a_folder_of_model_settings_is_served_as_mlserver_build_lays_it_out(image):
    models = image / "models"
    before = checksum(models)
    server = Started(image, models, {})
    try:
        server.ready("iris", "iris-proba")
        labels = server.client.post("/v2/models/iris/infer", json=IRIS).json()["outputs"][0]["data"]
        assert labels == ["setosa"]
    finally:
        server.stop()
    assert checksum(models) == before


LEAN_ABSENT = ("mlflow", "pyarrow", "matplotlib", "flask", "sqlalchemy", "gunicorn", "boto3", "google-cloud-storage",
               "uv", "conda-pack")
"""What a plain install (the image's default) no longer brings: full MLflow and its server's
libraries, and every feature extra's."""


def test_the_image_installs_what_serving_a_local_model_needs_and_no_more(image):
    """``pip install .`` (install.sh with no EXTRAS): MLflow's skinny package, scikit-learn, no
    extra; a feature whose extra is missing says which extra to install."""
    python = str(image / "venv" / "bin" / "python")
    listed = subprocess.run([python, "-c", "import importlib.metadata as m; print('\\n'.join(sorted("
                             "d.metadata['Name'].lower().replace('_', '-') for d in m.distributions())))"],
                            capture_output=True, text=True, check=True).stdout.split()
    assert {"mlflow-skinny", "mlserver", "scikit-learn", "runtime-mlflow"} <= set(listed)
    assert set(LEAN_ABSENT).isdisjoint(listed), set(LEAN_ABSENT) & set(listed)
    done = subprocess.run([python, "-c", "from runtime_mlflow.sources.buckets import store_for; store_for('s3')"],
                          capture_output=True, text=True, check=False)
    assert done.returncode != 0 and "pip install 'runtime-mlflow[s3]'" in done.stderr, done.stderr[-2000:]


def test_the_dockerfile_runs_the_tested_script_and_entrypoint():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "/src/deploy/install.sh /src /opt/runtime-mlflow" in dockerfile
    assert "deploy/entrypoint.sh /usr/local/bin/runtime-mlflow-entrypoint" in dockerfile
    assert "USER 1000" in dockerfile and 'ENTRYPOINT ["/usr/local/bin/runtime-mlflow-entrypoint"]' in dockerfile
    for port in ("MLSERVER_HTTP_PORT=8080", "MLSERVER_GRPC_PORT=8081", "MLSERVER_METRICS_PORT=8082"):
        assert port in dockerfile


def test_models_are_loaded_through_the_repository_api_as_seldon_core_2_loads_them(image):
    """Seldon's mlserver ServerConfig: no models at start-up; its agent loads each model folder
    (with its model-settings.json) through the repository API, from a read-only mount."""
    models = image / "models"
    before = checksum(models)
    server = Started(image, models, {"MLSERVER_LOAD_MODELS_AT_STARTUP": "false", "MLSERVER_MODEL_PARALLEL_WORKERS": "1"})
    try:
        server.ready()
        assert server.client.get("/v2/models/iris-proba/ready").status_code != 200
        assert server.client.post("/v2/repository/models/iris-proba/load").status_code == 200
        output = server.client.post("/v2/models/iris-proba/infer", json=IRIS).json()["outputs"][0]
        assert output["name"] == "predict_proba" and output["shape"] == [1, 3]
    finally:
        server.stop()
    assert checksum(models) == before


def test_a_model_with_code_paths_and_its_environment_is_served_read_only_as_nobody(image):
    """The hardest folder to keep read-only: code_paths imported from it, and its own
    environment.tar.gz (unpacked into the state folder's cache). The environment is built
    with the system Python, which ``nobody`` can run (a packed virtualenv links to its base)."""
    build = image / "env-build"
    prefix = envkit.make_venv(SYSTEM_PYTHON, build / "env", [*envkit.OLD_STACK, envkit.ONLY_IN_ENV], installer="uv",
                              copies=False)
    subprocess.run([str(prefix / "bin" / "python"), str(ROOT / "tests" / "environments" / "in_env_models.py"),
                    str(build / "saved"), str(ROOT / "examples" / "wine" / "winequality-red.csv")],
                   check=True, capture_output=True, timeout=300)
    model = image / "humanized"
    shutil.copytree(build / "saved" / "humanized", model)
    envkit.conda_pack(prefix, model / "environment.tar.gz")
    (model / "model-settings.json").write_text(
        '{"name": "humanized", "implementation": "runtime_mlflow.MLflowRuntime", "parameters": {"uri": "./"}}')
    for path in [model, *model.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    before = checksum(model)
    server = Started(image, model, {})
    try:
        server.ready("humanized", timeout=300)
        response = server.client.post("/v2/models/humanized/infer", json={
            "parameters": {"content_type": "pd"},
            "inputs": [{"name": "n", "shape": [1], "datatype": "INT64", "data": [1234567]}]})
        assert response.status_code == 200, response.text
        outputs = {o["name"]: o["data"] for o in response.json()["outputs"]}
        assert outputs["text"] == ["1,234,567"] and outputs["server_packages_visible"] == [False]
        assert outputs["python"][0].startswith(str(server.state))  # the environment, unpacked in the state folder
    finally:
        server.stop()
    assert checksum(model) == before
