"""The KServe and Seldon Core 2 manifests under deploy/: they parse, and they agree with each
other and with what the runtime and MLServer actually read (names, formats, ports, variables).

The parts of each object that are core Kubernetes (a serving runtime's containers and
volumes, a Seldon Server's pod spec, an InferenceService's env) are validated with
kubernetes-validate against Kubernetes 1.30's schema, as a Pod. Not yet checked: the
engines' own fields against their published CRD schemas (the kserve SDK's pins clash with
MLServer's); no cluster runs here.
"""

from __future__ import annotations

import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from mlserver.settings import ModelParameters, ModelSettings, Settings

import runtime_mlflow

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def documents(engine: str) -> list[dict]:
    found = []
    for path in sorted((DEPLOY / engine).glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            assert {"apiVersion", "kind", "metadata"} <= set(document), path
            assert document["metadata"].get("name"), path
            found.append(document)
    return found


def by_kind(docs: list[dict], kind: str) -> list[dict]:
    return [d for d in docs if d["kind"] == kind]


def env_of(container: dict) -> dict[str, str]:
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def runtime_reads() -> set[str]:
    """The RUNTIME_MLFLOW_* variables the package and the entrypoint read."""
    sources = [p.read_text() for p in (ROOT / "runtime_mlflow").rglob("*.py")]
    sources.append((DEPLOY / "entrypoint.sh").read_text())
    return set(re.findall(r"RUNTIME_MLFLOW_[A-Z_]+", "\n".join(sources)))


def fields(*models: type) -> set[str]:
    """Field names and aliases (``implementation_`` is read as ``implementation``)."""
    return {n for m in models for name, f in m.model_fields.items() for n in (name.rstrip("_"), f.alias) if n}


def mlserver_reads(name: str) -> bool:
    if name.startswith("MLSERVER_MODEL_"):
        return name[len("MLSERVER_MODEL_"):].lower() in fields(ModelSettings, ModelParameters)
    return name[len("MLSERVER_"):].lower() in fields(Settings)


def check_variables(env: dict[str, str]) -> None:
    for name in env:
        if name.startswith("RUNTIME_MLFLOW_"):
            assert name in runtime_reads(), f"{name} is read by nothing"
        elif name.startswith("MLSERVER_"):
            assert mlserver_reads(name), f"MLServer reads no {name}"


def test_kserve_runtimes_claim_mlflow_v2_and_run_the_runtime():
    docs = documents("kserve")
    runtimes = by_kind(docs, "ClusterServingRuntime") + by_kind(docs, "ServingRuntime")
    assert {d["kind"] for d in runtimes} == {"ClusterServingRuntime", "ServingRuntime"}
    for runtime in runtimes:
        spec = runtime["spec"]
        assert {(f["name"], f["version"]) for f in spec["supportedModelFormats"]} == {("mlflow", v) for v in "123"}
        assert "v2" in spec["protocolVersions"]
        (container,) = spec["containers"]
        env = env_of(container)
        check_variables(env)
        implementation = env["MLSERVER_MODEL_IMPLEMENTATION"]
        module, _, cls = implementation.rpartition(".")
        assert module == "runtime_mlflow" and getattr(runtime_mlflow, cls) is runtime_mlflow.MLflowRuntime
        assert [p["containerPort"] for p in container["ports"]] == [int(env["MLSERVER_HTTP_PORT"])]
        assert container["readinessProbe"]["httpGet"]["path"] == "/v2/health/ready"
        assert container["securityContext"]["runAsNonRoot"] and container["securityContext"]["runAsUser"] == 1000
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert env["RUNTIME_MLFLOW_STATE"] in mounts
        assert {v["name"] for v in spec["volumes"] if "emptyDir" in v} == {m["name"] for m in container["volumeMounts"]}


def test_kserve_inference_services_name_the_runtime_and_a_format_it_claims():
    docs = documents("kserve")
    runtime = by_kind(docs, "ClusterServingRuntime")[0]
    formats = {(f["name"], f["version"]) for f in runtime["spec"]["supportedModelFormats"]}
    services = by_kind(docs, "InferenceService")
    assert len(services) >= 3
    for service in services:
        model = service["spec"]["predictor"]["model"]
        assert model["runtime"] == runtime["metadata"]["name"]
        assert (model["modelFormat"]["name"], model["modelFormat"]["version"]) in formats
        assert model["protocolVersion"] in runtime["spec"]["protocolVersions"]
        env = env_of(model)
        check_variables(env)
        assert "storageUri" in model or env.get("MLSERVER_MODEL_URI"), service["metadata"]["name"]
        if "MLSERVER_MODEL_EXTRA" in env:
            import json

            from runtime_mlflow.settings import RuntimeSettings

            extra = json.loads(env["MLSERVER_MODEL_EXTRA"])
            settings = ModelSettings(name="m", implementation="runtime_mlflow.MLflowRuntime",
                                     parameters=ModelParameters(extra=extra))
            assert RuntimeSettings.from_model_settings(settings).method == extra["method"]


def test_seldon_models_require_a_capability_the_server_offers():
    docs = documents("seldon-core-2")
    (server,) = by_kind(docs, "Server")
    capabilities = set(server["spec"].get("capabilities", [])) | set(server["spec"].get("extraCapabilities", []))
    (container,) = server["spec"]["podSpec"]["containers"]
    assert container["name"] == "mlserver"  # the container of Seldon's mlserver ServerConfig it replaces
    check_variables(env_of(container))
    models = by_kind(docs, "Model")
    assert len(models) >= 2
    for model in models:
        assert set(model["spec"]["requirements"]) <= capabilities
        assert model["spec"]["storageUri"]


KUBERNETES = "1.30"


def as_pod(containers: list[dict], volumes: list[dict] | None = None) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "check"},
            "spec": {"containers": containers, **({"volumes": volumes} if volumes else {})}}


def test_the_core_kubernetes_parts_are_valid_kubernetes():
    kserve, seldon = documents("kserve"), documents("seldon-core-2")
    pods = [as_pod(d["spec"]["containers"], d["spec"].get("volumes"))
            for d in by_kind(kserve, "ClusterServingRuntime") + by_kind(kserve, "ServingRuntime")]
    pods += [as_pod([{"name": "kserve-container", "image": "x", "env": d["spec"]["predictor"]["model"].get("env", []),
                      "envFrom": d["spec"]["predictor"]["model"].get("envFrom", [])}])
             for d in by_kind(kserve, "InferenceService")]
    pods += [as_pod(d["spec"]["podSpec"]["containers"]) for d in by_kind(seldon, "Server")]
    for pod in pods:
        kubernetes_validate.validate(pod, KUBERNETES, strict=True)


def test_the_validator_refuses_a_misspelt_field():
    """The check above can fail: a probe with a misspelt field is refused."""
    (runtime,) = by_kind(documents("kserve"), "ClusterServingRuntime")
    container = {**runtime["spec"]["containers"][0], "readinessProbe": {"httpGet": {"pathh": "/", "port": 8080}}}
    with pytest.raises(kubernetes_validate.ValidationError, match="pathh"):
        kubernetes_validate.validate(as_pod([container]), KUBERNETES, strict=True)


@pytest.mark.parametrize("path", sorted(DEPLOY.rglob("*.yaml")), ids=lambda p: p.name)
def test_no_registry_host_is_written(path):
    assert not re.search(r"image:\s*\S+\.\S+/", path.read_text()), "images are named without a registry host"
