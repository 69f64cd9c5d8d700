"""A corpus of bad requests on every protocol: each is a 4xx in its protocol's error shape
(never a 5xx), and afterwards the server answers a good request exactly.

V2 REST answers ``{"error": "..."}``; gRPC ``INVALID_ARGUMENT`` or ``NOT_FOUND`` with the
same words; MLflow's ``/invocations`` ``{"error_code": "BAD_REQUEST", "message": ...}``;
Seldon's protocol ``{"status": {"code": -1, "status": 1, ...}}``. The V2 cases here are those
a hostile or broken client sends; ``test_errors.py`` and ``test_v2_infer.py`` check the
exact wording of the common ones.
"""

from __future__ import annotations

import json

import pytest

X2 = {"name": "x", "shape": [2], "datatype": "FP64", "data": [1, 2]}
GOOD = {"inputs": [X2]}


def v2(**changes: object) -> bytes:
    return json.dumps({"inputs": [{**X2, **changes}]}).encode()


def nested(depth: int) -> bytes:
    return b'{"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": ' + b"[" * depth + b"1" + \
        b"]" * depth + b"}]}"


# (id, model, raw body, expected status, words the error must contain)
V2_REST = [
    ("malformed-json", "picky", b"{not json", 422, ["JSON"]),
    ("empty-body", "picky", b"", 422, ["JSON"]),
    ("json-array", "picky", b"[1, 2]", 422, ["JSON object"]),
    ("json-string", "picky", b'"inputs"', 422, ["JSON object"]),
    ("json-number", "picky", b"42", 422, ["JSON object"]),
    ("json-null", "picky", b"null", 422, ["JSON object"]),
    ("truncated-json", "picky", v2()[:-7], 422, ["JSON"]),
    ("missing-inputs", "picky", b'{"outputs": []}', 422, ["inputs"]),
    ("inputs-an-object", "picky", b'{"inputs": {"name": "x"}}', 422, ["inputs"]),
    ("inputs-null", "picky", b'{"inputs": null}', 422, ["inputs"]),
    ("input-a-string", "picky", b'{"inputs": ["x"]}', 422, ["inputs.0"]),
    ("no-name", "picky", b'{"inputs": [{"shape": [1], "datatype": "FP64", "data": [1]}]}', 422, ["inputs.0.name"]),
    ("no-datatype", "picky", b'{"inputs": [{"name": "x", "shape": [1], "data": [1]}]}', 422, ["inputs.0.datatype"]),
    ("no-shape", "picky", b'{"inputs": [{"name": "x", "datatype": "FP64", "data": [1]}]}', 422, ["inputs.0.shape"]),
    ("no-data", "picky", b'{"inputs": [{"name": "x", "shape": [1], "datatype": "FP64"}]}', 422, ["inputs.0.data"]),
    ("unknown-datatype", "picky", v2(datatype="FP128"), 422, ["inputs.0.datatype", "FP128"]),
    ("datatype-a-number", "picky", v2(datatype=64), 422, ["inputs.0.datatype"]),
    ("shape-a-string", "picky", v2(shape="2"), 422, ["inputs.0.shape"]),
    ("shape-fraction", "picky", v2(shape=[1.5]), 422, ["inputs.0.shape"]),
    ("shape-overflow", "picky", v2(shape=[2**70]), 422, ["inputs.0.shape"]),
    ("shape-huge-product", "picky", v2(shape=[2**31, 2**31]), 400, ["'x'", "2 data elements"]),
    ("shape-negative", "picky", v2(shape=[-2]), 400, ["'x'", "[-2]"]),
    ("shape-minus-one", "picky", v2(shape=[-1]), 400, ["'x'", "[-1]"]),
    ("data-shorter-than-shape", "picky", v2(shape=[3]), 400, ["'x'", "[3]", "2 data elements"]),
    ("data-longer-than-shape", "picky", v2(data=[1, 2, 3]), 400, ["'x'", "3 data elements"]),
    ("uint8-300", "picky", v2(datatype="UINT8", data=[300, 1]), 400, ["'x'", "UINT8", "300"]),
    ("int8-minus-200", "picky", v2(datatype="INT8", data=[-200, 1]), 400, ["'x'", "INT8", "-200"]),
    ("int16-40000", "picky", v2(datatype="INT16", data=[40000, 1]), 400, ["'x'", "INT16", "40000"]),
    ("uint32-minus-one", "picky", v2(datatype="UINT32", data=[-1, 1]), 400, ["'x'", "UINT32", "-1"]),
    ("int64-2-pow-63", "picky", v2(datatype="INT64", data=[2**63, 1]), 400, ["'x'", "INT64"]),
    ("uint64-2-pow-64", "picky", v2(datatype="UINT64", data=[2**64, 1]), 400, ["'x'", "UINT64"]),
    ("int32-fraction", "picky", v2(datatype="INT32", data=[1.5, 1]), 400, ["'x'", "INT32", "1.5"]),
    ("bool-2", "picky", v2(datatype="BOOL", data=[2, 1]), 400, ["'x'", "BOOL"]),
    ("fp32-overflow", "picky", v2(datatype="FP32", data=[1e300, 1]), 400, ["'x'", "FP32"]),
    ("fp64-infinite-literal", "picky", v2()[:-9] + b"[1e999, 1]}]}", 4, []),
    ("string-for-fp64", "picky", v2(data=["abc", 1]), 400, ["'x'", "'abc'"]),
    ("null-for-long-column", "text",
     json.dumps({"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["a"]},
                            {"name": "n", "shape": [1], "datatype": "INT64", "data": [None]}]}).encode(), 400, ["'n'"]),
    ("object-in-data", "picky", v2(data=[{"a": 1}, 1]), 4, ["'x'"]),
    ("fraction-for-long-column", "text",
     json.dumps({"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["a"]},
                            {"name": "n", "shape": [1], "datatype": "FP64", "data": [1.5]}]}).encode(), 400, ["'n'"]),
    ("deep-nesting", "picky", nested(100_000), 4, []),
    ("invalid-utf8-name", "picky", b'{"inputs": [{"name": "\xff\xfe", "shape": [1], "datatype": "FP64", "data": [1]}]}',
     4, []),
    ("invalid-utf8-bytes-data", "text",
     b'{"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["\xc3\x28"]},'
     b' {"name": "n", "shape": [1], "datatype": "INT64", "data": [1]}]}', 4, []),
    ("duplicate-input", "picky", json.dumps({"inputs": [X2, X2]}).encode(), 400, ["'x'"]),
    ("unknown-input", "picky", v2(name="y"), 400, ["'x'", "'y'"]),
    ("no-inputs", "picky", b'{"inputs": []}', 400, ["no inputs"]),
    ("parameters-a-number", "picky", json.dumps({**GOOD, "parameters": 5}).encode(), 422, ["parameters"]),
    ("id-a-list", "picky", json.dumps({**GOOD, "id": [1]}).encode(), 422, ["id"]),
    ("outputs-a-string", "picky", json.dumps({**GOOD, "outputs": "x"}).encode(), 422, ["outputs"]),
    ("unknown-requested-output", "picky", json.dumps({**GOOD, "outputs": [{"name": "nope"}]}).encode(), 400,
     ["'nope'"]),
    ("unknown-content-type", "picky", json.dumps({**GOOD, "parameters": {"content_type": "nope"}}).encode(), 400,
     ["'nope'"]),
    ("bad-param", "scaler", json.dumps({**GOOD, "parameters": {"alpha": "abc"}}).encode(), 400, ["'alpha'"]),
    ("tensor-wrong-width", "tensor",
     json.dumps({"inputs": [{"name": "t", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}).encode(),
     400, ["[-1, 3]"]),
    ("unknown-model", "no-such-model", v2(), 404, ["no-such-model"]),
]


def _check_good(server) -> None:
    again = server.infer("picky", GOOD)
    assert again.status_code == 200 and again.json()["outputs"][0]["data"] == [1.0, 2.0], again.text


@pytest.mark.parametrize(("model", "body", "status", "named"),
                         [pytest.param(*case[1:], id=case[0]) for case in V2_REST])
def test_v2_rest(server, model, body, status, named):
    response = server.client.post(f"/v2/models/{model}/infer", content=body,
                                  headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    if status >= 100:
        assert response.status_code == status, response.text[:300]
    error = response.json()["error"]
    assert isinstance(error, str) and not error.startswith("runtime_mlflow.")
    for word in named:
        assert word in error, error
    _check_good(server)


def test_v2_rest_unknown_version_is_404(server):
    response = server.client.post("/v2/models/picky/versions/7/infer", json=GOOD)
    assert response.status_code == 404 and "picky" in response.json()["error"]
    _check_good(server)


FP64_2 = bytes(16).hex()

# (id, model, inputs (typed calls carry "data"), raw contents or None for typed, expected code, words)
GRPC = [
    ("raw-size", "picky", [{"name": "x", "datatype": "FP64", "shape": [2]}], [bytes(12).hex()], "INVALID_ARGUMENT",
     ["'x'", "16 bytes"]),
    ("raw-unknown-datatype", "picky", [{"name": "x", "datatype": "FP128", "shape": [2]}], [FP64_2],
     "INVALID_ARGUMENT", ["'FP128'"]),
    ("raw-too-few", "picky", [{"name": "x", "datatype": "FP64", "shape": [2]},
                              {"name": "y", "datatype": "FP64", "shape": [2]}], [FP64_2], "INVALID_ARGUMENT", []),
    ("raw-too-many", "picky", [{"name": "x", "datatype": "FP64", "shape": [2]}], [FP64_2, FP64_2],
     "INVALID_ARGUMENT", []),
    ("raw-truncated-bytes", "picky", [{"name": "x", "datatype": "BYTES", "shape": [2]}], ["05000000616263"],
     "INVALID_ARGUMENT", ["'x'"]),
    ("raw-negative-shape", "picky", [{"name": "x", "datatype": "FP64", "shape": [-1]}], [FP64_2],
     "INVALID_ARGUMENT", ["'x'"]),
    ("raw-unknown-input", "picky", [{"name": "y", "datatype": "FP64", "shape": [2]}], [FP64_2],
     "INVALID_ARGUMENT", ["'y'"]),
    ("raw-unknown-model", "no-such-model", [{"name": "x", "datatype": "FP64", "shape": [2]}], [FP64_2],
     "NOT_FOUND", ["no-such-model"]),
    ("typed-count-vs-shape", "picky", [{"name": "x", "datatype": "FP64", "shape": [3], "data": [1.0, 2.0]}], None,
     "INVALID_ARGUMENT", ["'x'"]),
    ("typed-uint8-300", "picky", [{"name": "x", "datatype": "UINT8", "shape": [2], "data": [300, 1]}], None,
     "INVALID_ARGUMENT", ["'x'", "UINT8", "300"]),
    ("typed-int8-minus-200", "picky", [{"name": "x", "datatype": "INT8", "shape": [2], "data": [-200, 1]}], None,
     "INVALID_ARGUMENT", ["'x'", "INT8", "-200"]),
    ("typed-bool-for-fp64", "picky", [{"name": "x", "datatype": "FP64", "shape": [2], "data": [True, False],
                                       "contents": "bool_contents"}], None, "INVALID_ARGUMENT", ["'x'"]),
    ("typed-string-for-double", "picky", [{"name": "x", "datatype": "BYTES", "shape": [2], "data": ["1", "zz"]}],
     None, "INVALID_ARGUMENT", ["'x'", "'zz'"]),
    ("typed-no-contents", "picky", [{"name": "x", "datatype": "FP64", "shape": [2]}], None, "INVALID_ARGUMENT",
     ["'x'"]),
    ("typed-negative-shape", "picky", [{"name": "x", "datatype": "FP64", "shape": [-2], "data": [1.0, 2.0]}], None,
     "INVALID_ARGUMENT", ["'x'"]),
    ("typed-model-rejects", "picky", [{"name": "x", "datatype": "FP64", "shape": [2], "data": [-1.0, 2.0]}], None,
     "INVALID_ARGUMENT", ["x must not be negative"]),
    ("typed-unknown-model", "no-such-model", [{"name": "x", "datatype": "FP64", "shape": [2], "data": [1.0, 2.0]}],
     None, "NOT_FOUND", ["no-such-model"]),
]


def test_grpc(server):
    """All gRPC cases in one client process, each followed by a good typed request."""
    good = {"model": "picky", "typed": True,
            "inputs": [{"name": "x", "datatype": "FP64", "shape": [2], "data": [1.0, 2.0]}]}
    calls = []
    for _, model, inputs, raw, _, _ in GRPC:
        call = {"model": model, "inputs": inputs, **({"raw": raw} if raw is not None else {"typed": True})}
        calls += [call, good]
    answers = server.grpc_calls(calls)
    problems = []
    for (case, _, _, _, code, named), answer, after in zip(GRPC, answers[::2], answers[1::2]):
        error = answer.get("error") or {}
        if error.get("code") != code or not all(w in error.get("message", "") for w in named):
            problems.append(f"{case}: {answer}")
        if after != {"outputs": {"output-0": [1.0, 2.0]}}:
            problems.append(f"{case}, the good request after it: {after}")
    assert problems == []


# (id, model, body, content type, expected status, words); MLflow's error codes are
# BAD_REQUEST for bodies it cannot read, INVALID_PARAMETER_VALUE for schema errors
INVOCATIONS = [
    ("malformed-json", "picky", b"{not json", "application/json", 400, []),
    ("empty-body", "picky", b"", "application/json", 400, []),
    ("json-array", "picky", b"[1, 2]", "application/json", 400, []),
    ("no-known-key", "picky", b'{"foo": 1}', "application/json", 400, ["dataframe_split"]),
    ("two-keys", "picky", b'{"inputs": [1], "instances": [1]}', "application/json", 400, []),
    ("split-unknown-column", "picky", b'{"dataframe_split": {"columns": ["y"], "data": [[1.0]]}}',
     "application/json", 400, ["x"]),
    ("split-ragged", "picky", b'{"dataframe_split": {"columns": ["x"], "data": [[1.0, 2.0]]}}', "application/json",
     400, []),
    ("records-string", "picky", b'{"dataframe_records": [{"x": "abc"}]}', "application/json", 400, []),
    ("inputs-nested-wrong", "picky", b'{"inputs": {"x": [[1, [2]]]}}', "application/json", 400, []),
    ("bad-csv", "picky", b'x\n"unterminated', "text/csv", 400, []),
    ("invalid-utf8", "picky", b'{"dataframe_split": {"columns": ["\xff"], "data": [[1.0]]}}', "application/json",
     400, []),
    ("params-not-an-object", "scaler", b'{"dataframe_split": {"columns": ["x"], "data": [[1.0]]}, "params": 5}',
     "application/json", 400, []),
    ("params-wrong-type", "scaler",
     b'{"dataframe_split": {"columns": ["x"], "data": [[1.0]]}, "params": {"alpha": "abc"}}', "application/json",
     400, ["alpha"]),
    ("deep-nesting", "picky", b'{"inputs": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "application/json", 400,
     ["too deeply"]),
]


@pytest.mark.parametrize(("model", "body", "content_type", "status", "named"),
                         [pytest.param(*case[1:], id=case[0]) for case in INVOCATIONS])
def test_invocations(server, model, body, content_type, status, named):
    response = server.client.post(f"/v2/models/{model}/invocations", content=body,
                                  headers={"content-type": content_type})
    assert response.status_code == status, response.text[:300]
    answer = response.json()
    assert answer["error_code"] in ("BAD_REQUEST", "INVALID_PARAMETER_VALUE"), answer
    assert isinstance(answer["message"], str), answer
    for word in named:
        assert word in answer["message"]
    good = server.client.post("/v2/models/picky/invocations", json={"inputs": {"x": [1.0, 2.0]}})
    assert good.status_code == 200 and good.json() == {"predictions": [1.0, 2.0]}, good.text
    _check_good(server)


# (id, model, raw body, expected status)
SELDON = [
    ("malformed-json", "wine", b"{nope", 400),
    ("json-list", "wine", b"[1, 2]", 400),
    ("empty", "wine", b"", 400),
    ("no-payload", "wine", b'{"meta": {}}', 400),
    ("two-payloads", "wine", b'{"strData": "x", "jsonData": {}}', 400),
    ("too-few-columns", "wine", b'{"data": {"ndarray": [[7.4, 0.7]]}}', 400),
    ("ragged-ndarray", "wine", b'{"data": {"ndarray": [[1, 2], [3]]}}', 400),
    ("tensor-values-short", "wine", json.dumps({"data": {"tensor": {"shape": [2, 11], "values": [1.0] * 21}}})
     .encode(), 400),
    ("tftensor", "wine", b'{"data": {"tftensor": {}}}', 400),
    ("bad-base64", "wine", b'{"binData": "%%%"}', 400),
    ("strings-for-doubles", "wine", json.dumps({"data": {"ndarray": [["a"] * 11]}}).encode(), 400),
    ("invalid-utf8", "wine", b'{"strData": "\xff\xfe"}', 400),
    ("deep-nesting", "wine", b'{"data": {"ndarray": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}", 400),
    ("unknown-model", "nope", b'{"data": {"ndarray": [[1]]}}', 404),
]


@pytest.mark.parametrize(("model", "body", "status"), [pytest.param(*case[1:], id=case[0]) for case in SELDON])
def test_seldon(server, model, body, status):
    response = server.client.post(f"/v2/models/{model}/api/v1.0/predictions", content=body,
                                  headers={"content-type": "application/json"})
    assert response.status_code == status, response.text[:300]
    answer = response.json()["status"]
    assert (answer["status"], answer["code"]) == (1, -1) and isinstance(answer["info"], str), answer
    good = server.client.post("/v2/models/picky/api/v1.0/predictions", json={"data": {"ndarray": [[1.0], [2.0]]}})
    assert good.status_code == 200 and good.json()["data"]["ndarray"] == [1.0, 2.0], good.text
    _check_good(server)


def test_invocations_unsupported_content_type_is_415_as_mlflow_answers_it(server):
    """MLflow's scoring server answers this one in plain text, naming the types it takes."""
    response = server.client.post("/v2/models/picky/invocations", content=b"x=1",
                                  headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415 and "application/json" in response.text
    _check_good(server)


def test_the_corpus_is_large_enough():
    assert len(V2_REST) + len(GRPC) + len(INVOCATIONS) + len(SELDON) + 2 >= 60
