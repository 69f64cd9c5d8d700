"""``protocols.v2_body``: a large body's numbers arrive as arrays holding exactly what the
lists would have held, and every body the array path cannot prove is parsed as before."""

from __future__ import annotations

import math

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime_mlflow.protocols.v2_body import SIMDJSON_FROM_BYTES, NotARequest, parse_request

_PAD = "x" * SIMDJSON_FROM_BYTES  # a parameter that makes any body large enough


def _body(inputs: list[dict], **extra) -> bytes:
    return orjson.dumps({"id": "r", "parameters": {"content_type": "pd", "pad": _PAD}, "inputs": inputs, **extra})


def _as_lists(body: bytes):
    try:
        return parse_request(body, arrays=False)
    except NotARequest as exc:
        return f"NotARequest: {exc}"


def _as_arrays(body: bytes):
    try:
        return parse_request(body)
    except NotARequest as exc:
        return f"NotARequest: {exc}"


_DTYPES = {"FP64": np.float64, "FP32": np.float64, "INT64": np.int64}

_floats = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**63), 2**63 - 1)
_ints = st.integers(-(2**63), 2**63 - 1)


@st.composite
def _numeric_inputs(draw):
    inputs = []
    for index in range(draw(st.integers(1, 4))):
        datatype = draw(st.sampled_from(sorted(_DTYPES)))
        data = draw(st.lists(_ints if datatype == "INT64" else _floats, max_size=30))
        inputs.append({"name": f"c{index}", "shape": [len(data)], "datatype": datatype, "data": data})
    return inputs


@settings(max_examples=150, deadline=None)
@given(_numeric_inputs())
def test_arrays_hold_exactly_the_values_the_lists_held(inputs):
    body = _body(inputs)
    fast, slow = parse_request(body), parse_request(body, arrays=False)
    assert fast.model_dump(exclude={"inputs"}) == slow.model_dump(exclude={"inputs"})
    for got, expected in zip(fast.inputs, slow.inputs):
        array = got.data.root
        assert isinstance(array, np.ndarray) and array.flags.writeable
        assert got.model_dump(exclude={"data"}) == expected.model_dump(exclude={"data"})
        reference = np.asarray(expected.data.root, dtype=_DTYPES[got.datatype])
        assert array.dtype == reference.dtype
        assert array.tobytes() == reference.tobytes()  # bit for bit, -0.0 and subnormals included


def test_a_decimal_reads_as_the_same_double_both_ways():
    values = [0.1, 1e-320, 5e-324, 1.7976931348623157e308, 2.2250738585072014e-308, -0.0, 9007199254740993, 2**63 - 1]
    body = _body([{"name": "x", "shape": [len(values)], "datatype": "FP64", "data": values}])
    array = parse_request(body).inputs[0].data.root
    assert array.tobytes() == np.asarray(values, dtype=np.float64).tobytes()
    assert math.copysign(1, array[5]) == -1


def test_small_bodies_and_a_cache_keep_lists():
    small = orjson.dumps({"inputs": [{"name": "x", "shape": [2], "datatype": "FP64", "data": [1, 2]}]})
    assert parse_request(small).inputs[0].data.root == [1, 2]
    large = _body([{"name": "x", "shape": [2], "datatype": "FP64", "data": [1, 2]}])
    assert parse_request(large, arrays=False).inputs[0].data.root == [1, 2]


X = {"name": "x", "shape": [2], "datatype": "FP64", "data": [1.5, 2]}


@pytest.mark.parametrize("body", [
    pytest.param(_body([{**X, "data": [[1.5], [2]]}]), id="nested"),
    pytest.param(_body([{**X, "data": [[1.5, 2], []]}]), id="ragged-same-count"),
    pytest.param(_body([{**X, "data": [1.5, [2]]}]), id="ragged"),
    pytest.param(_body([{**X, "data": [True, 2]}]), id="boolean"),
    pytest.param(_body([{**X, "data": [None, 2]}]), id="null"),
    pytest.param(_body([{**X, "data": ["1.5", 2]}]), id="string"),
    pytest.param(_body([{**X, "datatype": "INT64", "data": [1.5, 2]}]), id="fraction-for-int64"),
    pytest.param(_body([{**X, "datatype": "INT64", "data": [2**63, 2]}]), id="beyond-int64"),
    pytest.param(_body([{**X, "datatype": "INT8", "data": [300, 2]}]), id="int8"),
    pytest.param(_body([{**X, "datatype": "UINT8", "data": [-1, 2]}]), id="uint8"),
    pytest.param(_body([{**X, "datatype": "BOOL", "data": [1, 0]}]), id="bool-datatype"),
    pytest.param(_body([{**X, "datatype": "BYTES", "data": ["a", "b"]}]), id="bytes"),
    pytest.param(_body([{**X, "datatype": ["FP64"]}]), id="datatype-a-list"),
    pytest.param(_body([{**X, "name": "x[0]"}]), id="bracket-in-a-string"),
    pytest.param(_body([X], outputs=[{"name": "y", "parameters": {"a": [1]}}]), id="array-in-outputs"),
    pytest.param(_body([X], outputs={"name": "y"}), id="outputs-not-a-list"),
    pytest.param(_body([{k: v for k, v in X.items() if k != "shape"}]), id="no-shape"),
    pytest.param(_body([{**X, "shape": [[2]]}]), id="nested-shape"),
    pytest.param(_body([{**X, "shape": "2"}]), id="shape-a-string"),
    pytest.param(_body([{**X, "data": 1.5}]), id="data-a-number"),
    pytest.param(_body([X, "x"]), id="input-a-string"),
    pytest.param(_body([]), id="no-inputs"),
    pytest.param(orjson.dumps({"parameters": {"pad": _PAD}, "inputs": {"x": [1]}}), id="inputs-an-object"),
    pytest.param(orjson.dumps({"parameters": {"pad": _PAD}}), id="missing-inputs"),
    pytest.param(orjson.dumps([X, _PAD]), id="array-body"),
    pytest.param(_body([X])[:-1], id="truncated"),
    pytest.param(_body([X]).replace(b'"datatype":"FP64"', b'"datatype":"FP64","datatype":"BYTES"'), id="duplicate-key"),
    pytest.param(_body([X]).replace(b'"id":"r"', b'"id":"r","id":"s"'), id="duplicate-top-level-key"),
    pytest.param(_body([X]).replace(b'"pad":"', b'"pad":"\xff'), id="invalid-utf8"),
    pytest.param(_body([X]).replace(b"[1.5,2]", b"[1.5,2e999]"), id="overflowing-number"),
    pytest.param(_body([X]).replace(b"[1.5,2]", b"[1.5,NaN]"), id="nan-literal"),
])
def test_what_the_array_path_cannot_prove_is_parsed_as_before(body):
    slow = _as_lists(body)
    fast = _as_arrays(body)
    if isinstance(slow, str):
        assert fast == slow
    else:
        assert not any(isinstance(t.data.root, np.ndarray) for t in fast.inputs)
        assert fast == slow


def test_shapes_of_any_rank_take_the_array_path():
    body = _body([{"name": "m", "shape": [2, 3], "datatype": "FP32", "data": [1, 2, 3, 4, 5, 6.5]}],
                 outputs=[{"name": "y"}])
    request = parse_request(body)
    assert request.inputs[0].data.root.tolist() == [1, 2, 3, 4, 5, 6.5] and request.inputs[0].shape == [2, 3]
    assert request.outputs[0].name == "y"
