"""The KServe and Seldon Core 2 manifests under deploy/: they parse, and they agree with each
other and with what the runtime and MLServer actually read (names, formats, ports, variables).

Each object is validated against its engine's schema, offline (no cluster runs here):
- KServe's by the kserve SDK's generated models (``kserve_sdk_check.py``, run in a
  virtualenv of its own: the SDK's pins clash with MLServer's);
- Seldon Core 2's by the fields its CRDs document (``seldon_crd.py``: Seldon publishes no
  package to read them from);
- their core Kubernetes parts (containers, volumes, env, metadata, a Server's podSpec) by
  Kubernetes 1.30's strict schema, as kubernetes-validate ships it.
Each check is shown to refuse a broken copy.
"""

from __future__ import annotations

import copy
import importlib.resources
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import seldon_crd
import yaml
from jsonschema import Draft202012Validator
from mlserver.settings import ModelParameters, ModelSettings, Settings
from referencing import Registry, Resource

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
            from runtime_mlflow.settings import RuntimeSettings

            extra = json.loads(env["MLSERVER_MODEL_EXTRA"])
            settings = ModelSettings(name="m", implementation="runtime_mlflow.MLflowRuntime",
                                     parameters=ModelParameters(extra=extra))
            assert RuntimeSettings.from_model_settings(settings).method == extra["method"]


def exported_metrics() -> set[str]:
    """The sample names of the runtime's metrics (a counter's ``_total``, a histogram's parts)."""
    source = (ROOT / "runtime_mlflow" / "metrics.py").read_text()
    counters = re.findall(r'Counter\("(\w+)"', source)
    histograms = re.findall(r'Histogram\("(\w+)"', source)
    return {f"{c}_total" for c in counters} | {f"{h}_{part}" for h in histograms for part in ("bucket", "sum", "count")}


def test_kserve_autoscaling_queries_count_this_services_requests():
    services = [s for s in by_kind(documents("kserve"), "InferenceService") if "autoScaling" in s["spec"]["predictor"]]
    assert services, "no InferenceService shows autoscaling on the request metrics"
    for service in services:
        for metric in service["spec"]["predictor"]["autoScaling"]["metrics"]:
            query = metric["external"]["metric"]["query"]
            names = set(re.findall(r"runtime_mlflow_\w+", query))
            assert names and names <= exported_metrics(), query
            # KServe names the model after the service (MLSERVER_MODEL_NAME: {{.Name}})
            assert re.findall(r'model="([^"]+)"', query) == [service["metadata"]["name"]], query


def test_seldon_models_require_a_capability_the_server_offers():
    docs = documents("seldon-core-2")
    (server,) = by_kind(docs, "Server")
    capabilities = set(server["spec"].get("capabilities", [])) | set(server["spec"].get("extraCapabilities", []))
    (container,) = server["spec"]["podSpec"]["containers"]
    assert container["name"] == "mlserver"  # the container of Seldon's mlserver ServerConfig it replaces
    env = env_of(container)
    check_variables(env)
    # the ServerConfig mounts /mnt/agent read-only there: the runtime's state needs a volume of its own
    state = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}[env["RUNTIME_MLFLOW_STATE"]]
    assert any(v["name"] == state and "emptyDir" in v for v in server["spec"]["podSpec"]["volumes"])
    assert not env["RUNTIME_MLFLOW_STATE"].startswith("/mnt/agent")
    models = by_kind(docs, "Model")
    assert len(models) >= 2
    for model in models:
        assert set(model["spec"]["requirements"]) <= capabilities
        assert model["spec"]["storageUri"]


KUBERNETES = "1.30"
CORE = json.loads((importlib.resources.files("kubernetes_validate") / "kubernetes-json-schema"
                   / f"v{KUBERNETES}.0-local-strict" / "_definitions.json").read_text())
CORE_REGISTRY = Resource.from_contents(CORE) @ Registry()


def core_errors(type_name: str, value: object) -> list[str]:
    """Problems of ``value`` as the Kubernetes type the kubernetes client calls ``type_name``
    (``V1Container``: ``io.k8s.api.core.v1.Container``), by Kubernetes' own strict schema."""
    version, kind = re.fullmatch(r"(V\d+(?:alpha\d+|beta\d+)?)(\w+)", type_name).groups()
    (name,) = [n for n in CORE["$defs"] if n.endswith(f".{version.lower()}.{kind}")]
    validator = Draft202012Validator({"$ref": f"{CORE['$id']}#/$defs/{name}"}, registry=CORE_REGISTRY)
    return [f"{error.json_path}: {error.message}" for error in validator.iter_errors(value)]


KSERVE_PYTHON = Path(os.environ.get("KSERVE_PYTHON", ROOT / ".venv-kserve" / "bin" / "python"))


def kserve_errors(docs: list[dict]) -> list[str]:
    """Problems by the kserve SDK's models (in its own virtualenv, made by ``make test``),
    then the core parts it hands back by Kubernetes' schema."""
    if not KSERVE_PYTHON.exists():
        pytest.fail(f"no kserve SDK at {KSERVE_PYTHON}: `make test` makes .venv-kserve (or set KSERVE_PYTHON)")
    done = subprocess.run([str(KSERVE_PYTHON), str(ROOT / "tests" / "kserve_sdk_check.py")], input=json.dumps(docs),
                          capture_output=True, text=True, timeout=120, check=True)
    found = json.loads(done.stdout)
    assert found["core"], "the SDK handed back no core parts: the containers went unchecked"
    return found["errors"] + [f"{part['where']}: {error}" for part in found["core"]
                              for error in core_errors(part["type"], part["value"])]


def seldon_errors(docs: list[dict]) -> list[str]:
    """Problems by the fields Seldon Core 2's CRDs document; a Server's podSpec by Kubernetes'."""
    errors = []
    for doc in docs:
        where = f"{doc['kind']}/{doc['metadata'].get('name')}"
        schema = seldon_crd.SCHEMAS.get(doc["kind"])
        if schema is None:
            errors.append(f"{where}: not a kind this checks")
            continue
        errors += [f"{where}: {e.json_path}: {e.message}" for e in Draft202012Validator(schema).iter_errors(doc)]
        spec = doc.get("spec", {})
        if "podSpec" in spec:
            errors += [f"{where}: podSpec: {e}" for e in core_errors("V1PodSpec", spec["podSpec"])]
        for name, container in spec.get("imageOverrides", {}).items():
            errors += [f"{where}: imageOverrides.{name}: {e}" for e in core_errors("V1Container", container)]
    return errors


def test_the_kserve_objects_are_valid_by_the_kserve_sdk_and_kubernetes():
    assert kserve_errors(documents("kserve")) == []


def test_the_seldon_objects_have_only_the_fields_their_crds_document():
    assert seldon_errors(documents("seldon-core-2")) == []


def changed(doc: dict, path: str, value: object = None) -> dict:
    """A copy of ``doc`` with the dotted ``path`` set to ``value`` (None: removed)."""
    doc = copy.deepcopy(doc)
    *parents, last = path.split(".")
    node = doc
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return doc


BROKEN = [
    ("kserve", "ClusterServingRuntime", "spec.supportedModelFormat", [], "has no field 'supportedModelFormat'"),
    ("kserve", "ClusterServingRuntime", "spec.supportedModelFormats.0.autoSelect", "yes", "expected bool"),
    ("kserve", "ClusterServingRuntime", "spec.containers", None, "`containers`, must not be `None`"),
    ("kserve", "ClusterServingRuntime", "spec.containers.0.readinessProbe.httpGet.pathh", "/", "'pathh'"),
    ("kserve", "ServingRuntime", "spec.volumes.0.emptyDir", "yes", "'yes' is not of type"),
    ("kserve", "InferenceService", "spec.predictor.model.storageURI", "gs://x", "has no field 'storageURI'"),
    ("kserve", "InferenceService", "spec.predictor.model.modelFormat", None, "`model_format`, must not be `None`"),
    ("seldon-core-2", "Server", "spec.extraCapability", ["x"], "'extraCapability' was unexpected"),
    ("seldon-core-2", "Server", "spec.podSpec.containers.0.volumeMount", [], "'volumeMount' was unexpected"),
    ("seldon-core-2", "Model", "spec.storageUri", None, "'storageUri' is a required property"),
    ("seldon-core-2", "Model", "spec.replicas", "2", "'2' is not of type 'integer'"),
]


@pytest.mark.parametrize(("engine", "kind", "path", "value", "named"), BROKEN, ids=[f"{c[1]}-{c[2]}" for c in BROKEN])
def test_the_checks_refuse_a_broken_object(engine, kind, path, value, named):
    """The checks above can fail: each broken copy of a manifest is refused, naming the problem."""
    doc = by_kind(documents(engine), kind)[0]
    errors = (kserve_errors if engine == "kserve" else seldon_errors)([changed(doc, path, value)])
    assert any(named in error for error in errors), errors


@pytest.mark.parametrize("path", sorted(DEPLOY.rglob("*.yaml")), ids=lambda p: p.name)
def test_no_registry_host_is_written(path):
    assert not re.search(r"image:\s*\S+\.\S+/", path.read_text()), "images are named without a registry host"


def test_the_grace_periods_fit_the_preStop_and_the_drain():
    """Kubernetes sends SIGKILL ``terminationGracePeriodSeconds`` after it began stopping the pod
    (the preStop counts): it must cover a preStop sleep, the drain, and a margin."""
    pods = [(d["spec"]["predictor"], d["spec"]["predictor"]["model"]) for d in by_kind(documents("kserve"),
                                                                                      "InferenceService")
            if "terminationGracePeriodSeconds" in d["spec"]["predictor"]]
    pods += [(d["spec"]["podSpec"], d["spec"]["podSpec"]["containers"][0]) for d in by_kind(documents("seldon-core-2"),
                                                                                           "Server")]
    runtimes = by_kind(documents("kserve"), "ServingRuntime") + by_kind(documents("kserve"), "ClusterServingRuntime")
    assert pods and runtimes
    for runtime in runtimes:
        assert env_of(runtime["spec"]["containers"][0])["RUNTIME_MLFLOW_SHUTDOWN_TIMEOUT"] == "25"
    for pod, container in pods:
        shutdown = float(env_of(container).get("RUNTIME_MLFLOW_SHUTDOWN_TIMEOUT", "25"))
        pre_stop = container["lifecycle"]["preStop"]
        sleep = float(pre_stop["exec"]["command"][-1]) if "exec" in pre_stop else 60  # the agent's drain: allow 60 s
        assert pod["terminationGracePeriodSeconds"] >= sleep + shutdown + 5, (pod, container["lifecycle"])
