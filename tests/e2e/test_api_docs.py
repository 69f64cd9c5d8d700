"""Per-model OpenAPI documents and docs pages, served by a real ``mlserver start``.

Every example request a document shows is sent to the path it documents and must answer
200 with the documented outputs; schemathesis then sends requests generated from each
document (valid and invalid): none may answer 5xx.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from mlflow.models import Model
from mlserver_process import write_model_settings
from openapi_spec_validator import validate
from schemathesis import GenerationMode

MODELS = ["wine", "text", "tensor", "named", "scaler", "echo", "nosig"]


def example_of(doc: dict, path: str) -> dict | None:
    return doc["paths"][path]["post"]["requestBody"]["content"]["application/json"].get("example")


@pytest.mark.parametrize("name", MODELS)
def test_each_documented_example_answers_on_its_protocol(server, name):
    doc = server.client.get(f"/v2/models/{name}/openapi.json").json()
    validate(doc)
    base = f"/v2/models/{name}"
    example = example_of(doc, f"{base}/infer")
    if name in ("nosig", "echo"):
        assert example is None  # no signature, no saved example: the generic forms only
        return
    infer = server.client.post(f"{base}/infer", json=example)
    assert infer.status_code == 200, infer.text
    documented = doc["paths"][f"{base}/infer"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    names = {t["properties"]["name"]["const"] for t in documented["properties"]["outputs"]["items"].get("anyOf", [])}
    assert not names or {o["name"] for o in infer.json()["outputs"]} <= names
    for path in (f"{base}/invocations", f"{base}/api/v1.0/predictions"):
        response = server.client.post(path, json=example_of(doc, path))
        assert response.status_code == 200, (path, response.text)


def test_the_wine_document_names_its_columns_and_uses_its_saved_example(server, model_dirs):
    doc = server.client.get("/v2/models/wine/openapi.json").json()
    tensors = doc["paths"]["/v2/models/wine/infer"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    names = [t["title"] for t in tensors["properties"]["inputs"]["items"]["anyOf"]]
    assert names[:2] == ["fixed acidity", "volatile acidity"] and len(names) == 11
    saved = Model.load(str(model_dirs["wine"])).load_input_example(str(model_dirs["wine"]))
    example = example_of(doc, "/v2/models/wine/infer")
    assert example["inputs"][0]["data"] == saved["fixed acidity"].head(2).tolist()  # the model's saved input example


def test_mlservers_own_document_path_answers_the_same_document(server):
    plain = server.client.get("/v2/models/wine/openapi.json").json()
    dataplane = server.client.get("/v2/models/wine/docs/dataplane.json").json()
    assert dataplane["paths"] == plain["paths"] and dataplane["servers"] == [{"url": "../../../../"}]


def test_a_versioned_model_documents_its_versioned_paths(server, model_dirs):
    write_model_settings(server.repo, "wine_versioned", str(model_dirs["wine"]), version="v1")
    assert server.load("wine_versioned").status_code == 200
    try:
        base = "/v2/models/wine_versioned/versions/v1"
        doc = server.client.get(f"{base}/openapi.json").json()
        validate(doc)
        assert doc["info"]["version"] == "v1" and doc["servers"] == [{"url": "../../../../../"}]
        infer = server.client.post(f"{base}/infer", json=example_of(doc, f"{base}/infer"))
        assert infer.status_code == 200, infer.text
        page = server.client.get(f"{base}/docs")
        assert page.status_code == 200 and "../../../../../v2/docs/runtime-mlflow/swagger-ui.css" in page.text
        assert server.client.get("/v2/models/wine_versioned/versions/v9/openapi.json").status_code == 404
    finally:
        server.client.post("/v2/repository/models/wine_versioned/unload")


def test_the_docs_page_and_its_assets_are_served_by_the_server(server):
    page = server.client.get("/v2/models/wine/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "cdn" not in page.text.lower() and "http" not in page.text.replace("http-equiv", "")
    assert '"openapi.json"' in page.text
    for asset, kind in (("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "css")):
        assert f"../../../v2/docs/runtime-mlflow/{asset}" in page.text
        response = server.client.get(f"/v2/docs/runtime-mlflow/{asset}")
        assert response.status_code == 200 and kind in response.headers["content-type"] and len(response.content) > 1000
    assert server.client.get("/v2/docs/runtime-mlflow/../../etc/passwd").status_code == 404


def test_an_unknown_model_has_no_docs(server):
    for path in ("/v2/models/nope/docs", "/v2/models/nope/openapi.json"):
        response = server.client.get(path)
        assert response.status_code == 404 and "nope" in response.json()["error"]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize("name", ["wine", "text", "tensor"])
def test_requests_generated_from_a_models_document_never_answer_5xx(server, name, mode):
    doc = server.client.get(f"/v2/models/{name}/openapi.json").json()
    doc["servers"] = [{"url": server.url}]
    failures: list[str] = []
    for result in schemathesis.openapi.from_dict(doc).get_all_operations():
        operation = result.ok()
        if operation.method.upper() != "POST":
            continue

        @settings(max_examples=15, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def call(case) -> None:
            response = case.call(base_url=server.url)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.path}: {response.status_code} {response.text[:200]}")

        call()
    assert failures == []
    assert server.client.get("/v2/health/ready").status_code == 200


PLAIN = '''
from mlserver import MLModel
from mlserver.types import InferenceRequest, InferenceResponse


class Plain(MLModel):
    async def load(self):
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        return InferenceResponse(model_name=self.name, outputs=[])
'''


def test_another_runtimes_model_keeps_mlservers_own_docs(server):
    """The docs paths this runtime takes over hand other runtimes' models to MLServer."""
    folder = server.repo / "plain"
    folder.mkdir(exist_ok=True)
    (folder / "plain_model.py").write_text(PLAIN)
    (folder / "model-settings.json").write_text('{"name": "plain", "implementation": "plain_model.Plain"}')
    assert server.load("plain").status_code == 200, server.log.read_text()[-2000:]
    try:
        page = server.client.get("/v2/models/plain/docs")
        assert page.status_code == 200 and "MLServer API Docs - plain" in page.text  # MLServer's page
        dataplane = server.client.get("/v2/models/plain/docs/dataplane.json")
        assert dataplane.status_code == 200 and dataplane.json()["openapi"].startswith("3.")
        ours = server.client.get("/v2/models/plain/openapi.json")
        assert ours.status_code == 404 and "not an MLflow model" in ours.json()["error"]
        assert "runtime_mlflow" in server.client.get("/v2/models/wine/docs").text  # ours still ours
    finally:
        server.client.post("/v2/repository/models/plain/unload")
