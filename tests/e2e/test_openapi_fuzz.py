"""schemathesis against MLServer's V2 OpenAPI document, run against the real server: no 5xx.

The document is MLServer's own (``/v2/docs/dataplane.json``, as the server serves it),
with ``model_name`` narrowed to the models the session server has loaded, so that the
generated requests reach real models rather than stopping at 404. Two things in it are not
OpenAPI, and are fixed before schemathesis reads it: ``TensorData`` may be of ``"type":
"bytes"`` (no JSON type; it is an array here), and ``Datatype`` lives under
``components/enums``, where references cannot point (it is moved to ``schemas``). Each operation gets
valid requests (by the document) and invalid ones (schemathesis' negative mode); every
answer must be below 500, and the server must answer a good request afterwards.
"""

from __future__ import annotations

import copy
import json

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

MODELS = ["picky", "wine", "text", "tensor", "scaler", "echo", "named", "shapes"]
EXAMPLES = 30


def narrowed(document: dict) -> dict:
    document = copy.deepcopy(document)
    schemas = document["components"]["schemas"]
    schemas["TensorData"] = {"title": "TensorData", "type": "array"}
    schemas.update(document["components"].pop("enums"))
    document = json.loads(json.dumps(document).replace("#/components/enums/", "#/components/schemas/"))
    for item in document["paths"].values():
        for parameter in item.get("parameters", []):
            if parameter.get("name") == "model_name":
                parameter["schema"] = {"type": "string", "enum": MODELS}
    return document


@pytest.fixture(scope="module")
def operations(server):
    document = server.client.get("/v2/docs/dataplane.json").json()
    schema = schemathesis.openapi.from_dict(narrowed(document))
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) >= 15
    return found


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_no_request_the_document_allows_or_forbids_answers_5xx(server, operations, mode):
    failures: list[str] = []
    statuses: dict[int, int] = {}
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and not (operation.body or operation.path_parameters):
            continue  # nothing to make invalid (health checks, server metadata)

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def call(case) -> None:
            response = case.call(base_url=server.url, timeout=60)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.body!r:.300} -> "
                                f"{response.status_code} {response.text[:300]}")

        call()
    assert failures == [], "\n".join(failures[:20])
    assert sum(statuses.values()) >= 100, statuses
    if mode is GenerationMode.POSITIVE:  # health, metadata and some inferences answer
        assert any(200 <= s < 300 for s in statuses) and any(400 <= s < 500 for s in statuses), statuses
    else:
        assert all(400 <= s < 500 for s in statuses), statuses
    good = server.infer("picky", {"inputs": [{"name": "x", "shape": [2], "datatype": "FP64", "data": [1, 2]}]})
    assert good.status_code == 200 and good.json()["outputs"][0]["data"] == [1.0, 2.0]
