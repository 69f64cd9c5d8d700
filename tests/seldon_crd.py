"""The fields of Seldon Core 2's ``Model`` and ``Server`` (``mlops.seldon.io/v1alpha1``), as
JSON Schemas written from the CRDs' documented fields (Seldon's ServerSpec and ModelSpec).

Seldon publishes no Python package or schema file these could be read from here, so this
is the record: every field the CRDs document for a spec, with its type; anything else is
refused, as the API server's structural schema would prune or refuse it. A ``Server``'s
``podSpec`` is a Kubernetes PodSpec (Seldon merges it into its ServerConfig's pod); its
content is validated with kubernetes-validate, not here.
"""

from __future__ import annotations

INT32 = {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
STRINGS = {"type": "array", "items": {"type": "string"}}
QUANTITY = {"anyOf": [{"type": "integer"}, {"type": "string",
                                            "pattern": r"^[0-9]+(\.[0-9]+)?([KMGTPE]i|[numkMGTPE]|[eE][0-9]+)?$"}]}
SCALING = {"replicas": INT32, "minReplicas": INT32, "maxReplicas": INT32}


def closed(properties: dict, required: tuple[str, ...] = ()) -> dict:
    return {"type": "object", "properties": properties, "required": list(required), "additionalProperties": False}


def resource(kind: str, spec: dict) -> dict:
    return closed({
        "apiVersion": {"const": "mlops.seldon.io/v1alpha1"},
        "kind": {"const": kind},
        "metadata": {"type": "object", "required": ["name"]},
        "spec": spec,
    }, ("apiVersion", "kind", "metadata", "spec"))


REFERENCE = closed({"modelRef": {"type": "string"}, "pipelineRef": {"type": "string"}})

MODEL = resource("Model", closed({
    "storageUri": {"type": "string", "minLength": 1},
    "modelType": {"type": "string"},
    "artifactVersion": INT32,
    "schemaUri": {"type": "string"},
    "secretName": {"type": "string"},
    "requirements": STRINGS,
    "memory": QUANTITY,
    **SCALING,
    "server": {"type": "string"},
    "preloaded": {"type": "boolean"},
    "dedicated": {"type": "boolean"},
    "logger": closed({"percent": {"type": "integer", "minimum": 0, "maximum": 100}}),
    "explainer": closed({"type": {"type": "string"}, **REFERENCE["properties"]}),
    "llm": REFERENCE,
    "parameters": {"type": "array", "items": closed({"name": {"type": "string"}, "value": {"type": "string"}},
                                                    ("name", "value"))},
    "dataflow": closed({"cleanTopicsOnDelete": {"type": "boolean"}}),
}, ("storageUri",)))

SERVER = resource("Server", closed({
    "serverConfig": {"type": "string", "minLength": 1},
    "extraCapabilities": STRINGS,
    "capabilities": STRINGS,
    "imageOverrides": closed({"agent": {"type": "object"}, "rclone": {"type": "object"}}),
    "podSpec": {"type": "object"},
    **SCALING,
    "disableAutoUpdate": {"type": "boolean"},
}, ("serverConfig",)))

SCHEMAS = {"Model": MODEL, "Server": SERVER}
