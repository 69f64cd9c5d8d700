"""A model's own OpenAPI 3.1 document, made from its signature and settings.

``GET /v2/models/<name>[/versions/<version>]/openapi.json`` answers it, and
``/v2/models/<name>/docs`` shows it (:mod:`.docs`). It describes, for this model:

* V2 ``infer``: its input names, datatypes and shapes, its params, its outputs (those of
  its ``method`` when that is set);
* ``/invocations`` (MLflow's scoring protocol): ``dataframe_split``, ``dataframe_records``,
  ``instances`` and ``inputs``, with the columns;
* Seldon's ``/api/v1.0/predictions``;
* the metadata and readiness paths;

each with an example request (:mod:`.example`). A model without a signature gets the
generic forms. Paths are absolute, and the document's ``servers`` entry is relative to
where it was fetched, so it stays right behind a path-rewriting ingress.
"""

from __future__ import annotations

from typing import Any

from mlflow.types.schema import DataType, ParamSchema

from . import example as examples
from .example import Example
from .reply import Reply
from .served import ProtocolRequest, Served

JSON = dict[str, Any]
"""A JSON object of the document."""

JSON_TYPES = {
    DataType.boolean: "boolean", DataType.integer: "integer", DataType.long: "integer", DataType.float: "number",
    DataType.double: "number", DataType.string: "string", DataType.binary: "string", DataType.datetime: "string",
}
V2_TYPES = {"BOOL": "boolean", "BYTES": "string", "FP16": "number", "FP32": "number", "FP64": "number"}
ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
SCORING_ERROR = {"type": "object", "properties": {"error_code": {"type": "string"}, "message": {"type": "string"}}}


def reply(served: Served, request: ProtocolRequest) -> Reply:
    """``GET .../openapi.json``: the document, its server relative to where it was fetched."""
    return Reply.json(200, for_model(served, request.root))


def for_model(served: Served, server: str) -> dict[str, Any]:
    """The document for a loaded model; ``server``: the server's root relative to the document."""
    return document(served.name, served.version, served.inputs, served.outputs, served.content_type,
                    served.model.metadata.get_params_schema(), served.method,
                    examples.find(served.path, served.input_schema), server)


def document(name: str, version: str | None, inputs: list[dict[str, Any]], outputs: list[dict[str, Any]],
             content_type: str | None, params: ParamSchema | None, method: str,
             example: Example | None, server: str) -> dict[str, Any]:
    """The OpenAPI document; ``inputs``/``outputs`` are the model's V2 metadata tensors."""
    base = f"/v2/models/{name}" + (f"/versions/{version}" if version else "")
    described = f"`{method}`" if method != "predict" else "`predict`"
    info = {
        "title": f"{name}" + (f" (version {version})" if version else ""),
        "version": version or "default",
        "description": (f"The MLflow model {name!r} served by runtime_mlflow; requests answer its {described}. "
                        + ("Its inputs come from its signature." if inputs else "It has no signature: any input.")),
    }
    v2_example = example.v2(inputs, content_type) if example is not None else None
    paths = {
        f"{base}/infer": _post("V2 inference (Open Inference Protocol)", _v2_request(inputs, content_type, params),
                               _v2_response(name, outputs), v2_example, ERROR),
        f"{base}/invocations": _post("MLflow's scoring protocol", _scoring_request(inputs, params),
                                     {"type": "object", "properties": {"predictions": {}}},
                                     example.invocations() if example is not None else None, SCORING_ERROR),
        f"{base}/api/v1.0/predictions": _post("Seldon's protocol", _seldon_request(inputs), _seldon_response(),
                                              example.seldon() if example is not None else None, _seldon_response()),
        base: {"get": {"summary": "V2 model metadata", "responses": {"200": _json({"type": "object"}, "metadata")}}},
        f"{base}/ready": {"get": {"summary": "V2 model readiness", "responses": {"200": {"description": "ready"},
                                                                               "503": {"description": "not ready"}}}},
    }
    return {
        "openapi": "3.1.0",
        "info": info,
        "servers": [{"url": server}],
        "paths": paths,
    }


def _post(summary: str, request: JSON, response: JSON, example: JSON | None, error: JSON) -> JSON:
    content: dict[str, Any] = {"schema": request}
    if example is not None:
        content["example"] = example
    return {"post": {
        "summary": summary,
        "requestBody": {"required": True, "content": {"application/json": content}},
        "responses": {"200": _json(response, "the prediction"), "400": _json(error, "a bad request"),
                      "422": _json(error, "a request that does not fit the model"),
                      "503": _json(error, "the model is not ready")},
    }}


def _json(schema: JSON, description: str) -> JSON:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _tensor(tensor: dict[str, Any]) -> dict[str, Any]:
    datatype = tensor.get("datatype")
    item = {"type": V2_TYPES.get(datatype, "integer")} if datatype else {}  # INT*, UINT*: integers
    return {
        "title": tensor["name"],
        "type": "object",
        "required": ["name", "shape", "datatype", "data"],
        "properties": {
            "name": {"const": tensor["name"]},
            "datatype": {"const": datatype} if datatype else {"type": "string"},
            "shape": {"type": "array", "items": {"type": "integer"},
                      "description": f"the model's shape: {tensor.get('shape')} (-1: any length)"},
            "data": {"type": "array", "items": {"anyOf": [item, {"type": "array"}]} if item else {}},
            "parameters": {"type": "object"},
        },
    }


GENERIC_TENSOR = {"type": "object", "required": ["name", "shape", "datatype", "data"], "properties": {
    "name": {"type": "string"}, "shape": {"type": "array", "items": {"type": "integer"}},
    "datatype": {"type": "string"}, "data": {"type": "array"}, "parameters": {"type": "object"}}}


def _params(params: ParamSchema | None) -> dict[str, Any]:
    if params is None:
        return {}
    found = {}
    for spec in params.params:
        # an Object param (a JSON object) is not a DataType, and not hashable
        value: JSON = {"type": JSON_TYPES.get(spec.dtype, "string") if isinstance(spec.dtype, DataType) else "object"}
        if spec.shape is not None:
            value = {"type": "array", "items": value}
        found[spec.name] = {**value, "default": _plain(spec.default)}
    return found


def _plain(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _v2_request(inputs: list[JSON], content_type: str | None, params: ParamSchema | None) -> JSON:
    parameters: dict[str, Any] = {"content_type": {"type": "string", **({"default": content_type} if content_type else {})},
                                  **_params(params)}
    items = {"anyOf": [_tensor(t) for t in inputs]} if inputs else GENERIC_TENSOR
    return {
        "type": "object",
        "required": ["inputs"],
        "properties": {
            "id": {"type": "string"},
            "parameters": {"type": "object", "properties": parameters,
                           "description": "the model's params go here, beside content_type"},
            "inputs": {"type": "array", "items": items, "minItems": max(len(inputs), 1),
                       "description": "inputs: " + (", ".join(t["name"] for t in inputs) or "any")},
            "outputs": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
        },
    }


def _v2_response(name: str, outputs: list[JSON]) -> JSON:
    items = {"anyOf": [_tensor(t) for t in outputs]} if outputs else GENERIC_TENSOR
    return {"type": "object", "properties": {
        "model_name": {"const": name}, "model_version": {"type": ["string", "null"]}, "id": {"type": "string"},
        "parameters": {"type": "object"}, "outputs": {"type": "array", "items": items}}}


def _scoring_request(inputs: list[JSON], params: ParamSchema | None) -> JSON:
    columns = [t["name"] for t in inputs]
    column = {"enum": columns} if columns else {"type": "string"}
    record = {"type": "object", "properties": {c: {} for c in columns}} if columns else {"type": "object"}
    forms = {
        "dataframe_split": {"type": "object", "required": ["data"], "properties": {
            "columns": {"type": "array", "items": column}, "data": {"type": "array", "items": {"type": "array"}}}},
        "dataframe_records": {"type": "array", "items": record},
        "instances": {"type": "array"},
        "inputs": {},
    }
    params_schema = {"type": "object", "properties": _params(params)}
    return {"oneOf": [{"type": "object", "required": [form], "title": form,
                       "properties": {form: schema, "params": params_schema}} for form, schema in forms.items()]}


def _seldon_request(inputs: list[JSON]) -> JSON:
    names = [t["name"] for t in inputs]
    data = {"type": "object", "properties": {
        "names": {"type": "array", "items": {"enum": names} if names else {"type": "string"}},
        "ndarray": {"type": "array"},
        "tensor": {"type": "object", "properties": {"shape": {"type": "array"}, "values": {"type": "array"}}}}}
    return {"type": "object", "properties": {"data": data, "jsonData": {}, "strData": {"type": "string"},
                                             "binData": {"type": "string"}, "meta": {"type": "object"}}}


def _seldon_response() -> JSON:
    return {"type": "object", "properties": {"data": {"type": "object"}, "jsonData": {}, "strData": {"type": "string"},
                                             "meta": {"type": "object"}, "status": {"type": "object"}}}
