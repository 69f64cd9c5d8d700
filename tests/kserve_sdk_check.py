"""Validate KServe objects against the kserve SDK's generated models; run by the kserve
virtualenv's Python (its pins clash with MLServer's, so it is not importable in the tests').

    .venv-kserve/bin/python tests/kserve_sdk_check.py < documents.json   # a JSON list

Each object is walked down the SDK's types (``openapi_types``/``attribute_map``): a key no
type declares, or a value of the wrong JSON type, is an error, and each object is built
bottom-up with the SDK's own constructors, which refuse a missing required field. The core
Kubernetes parts (a container, a volume, metadata: the kubernetes client's types) are not
walked here but handed back, with their type, for the tests to validate against
Kubernetes' own schema. Prints ``{"errors": [...], "core": [{"where", "type", "value"}]}``;
an error reads ``"<kind>/<name>: <path>: <problem>"``.
"""

from __future__ import annotations

import json
import re
import sys

import kserve.models as kserve_models

KINDS = {
    ("serving.kserve.io/v1beta1", "InferenceService"): "V1beta1InferenceService",
    ("serving.kserve.io/v1alpha1", "ServingRuntime"): "V1alpha1ServingRuntime",
    ("serving.kserve.io/v1alpha1", "ClusterServingRuntime"): "V1alpha1ClusterServingRuntime",
}
PRIMITIVES = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,)}


class Invalid(Exception):
    pass


class Walk:
    def __init__(self, where: str) -> None:
        self.where = where
        self.errors: list[str] = []
        self.core: list[dict] = []

    def error(self, path: str, problem: str) -> None:
        self.errors.append(f"{self.where}: {path.lstrip('.')}: {problem}")


def build(value, kind: str, path: str, walk: Walk):
    """The SDK object for ``value`` as type ``kind`` (None for a core part or an error)."""
    if value is None:
        return None
    if kind.startswith("list["):
        if not isinstance(value, list):
            walk.error(path, f"expected a list, got {type(value).__name__}")
            return None
        return [build(item, kind[5:-1], f"{path}[{i}]", walk) for i, item in enumerate(value)]
    if kind.startswith("dict("):
        inner = re.match(r"dict\(([^,]*), (.*)\)", kind).group(2)
        if not isinstance(value, dict):
            walk.error(path, f"expected a mapping, got {type(value).__name__}")
            return None
        return {k: build(v, inner, f"{path}.{k}", walk) for k, v in value.items()}
    if kind == "object":
        return value
    if kind in ("datetime", "date"):
        kind = "str"
    if kind in PRIMITIVES:
        ok = isinstance(value, PRIMITIVES[kind]) and not (kind != "bool" and isinstance(value, bool))
        if not ok:
            walk.error(path, f"expected {kind}, got {type(value).__name__} {value!r}")
        return value
    if kind.endswith("Quantity"):  # a Kubernetes quantity ("50", "1Gi" or a number), a type of no module
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            walk.error(path, f"expected a quantity, got {type(value).__name__} {value!r}")
        return value
    cls = getattr(kserve_models, kind, None)
    if cls is None:  # a kubernetes client type
        walk.core.append({"where": f"{walk.where}: {path.lstrip('.')}", "type": kind, "value": value})
        return None
    if not isinstance(value, dict):
        walk.error(path, f"expected a {kind} object, got {type(value).__name__}")
        return None
    attributes = {json_name: attr for attr, json_name in cls.attribute_map.items()}
    for key in value:
        if key not in attributes:
            walk.error(f"{path}.{key}", f"{kind} has no field {key!r}")
    kwargs = {attributes[k]: build(v, cls.openapi_types[attributes[k]], f"{path}.{k}", walk)
              for k, v in value.items() if k in attributes}
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as error:
        walk.error(path or kind, str(error))
        return None


def check(document: dict, walk: Walk) -> None:
    kind = KINDS.get((document.get("apiVersion"), document.get("kind")))
    if kind is None:
        walk.error("", f"{document.get('apiVersion')} {document.get('kind')} is not a KServe kind this checks")
    else:
        build(document, kind, "", walk)


def main() -> None:
    errors, core = [], []
    for document in json.load(sys.stdin):
        walk = Walk(f"{document.get('kind')}/{document.get('metadata', {}).get('name')}")
        check(document, walk)
        errors += walk.errors
        core += walk.core
    print(json.dumps({"errors": errors, "core": core}))


if __name__ == "__main__":
    main()
