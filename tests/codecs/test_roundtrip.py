"""Property tests: what a codec encodes, it decodes back, for every V2 datatype and shape."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from mlserver.types import RequestInput

from runtime_mlflow.codecs import DATATYPES, registry, to_dtype

NUMERIC = [d for d in DATATYPES if d != "BYTES"]
shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4)


def round_trip(array: np.ndarray) -> tuple[np.ndarray, str]:
    """Encode like a response, send it back like a request (through JSON-able data)."""
    output = registry.output_encoder(array).encode("t", array)
    content_type = output.parameters.content_type if output.parameters else "np"
    tensor = RequestInput(name="t", shape=output.shape, datatype=output.datatype, data=output.data.root)
    return registry.get(content_type).decode(tensor), output.datatype


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(NUMERIC).flatmap(lambda d: hnp.arrays(to_dtype(d), shapes, elements={"allow_nan": False})))
def test_numeric_arrays(array):
    decoded, datatype = round_trip(array)
    assert datatype == next(d for d in NUMERIC if to_dtype(d) == array.dtype)
    assert decoded.dtype == array.dtype and decoded.shape == array.shape
    np.testing.assert_array_equal(decoded, array)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(object, shapes, elements=st.text()))
def test_strings(array):
    decoded, datatype = round_trip(array)
    assert datatype == "BYTES"
    assert decoded.shape == array.shape and decoded.tolist() == array.tolist()


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(object, shapes, elements=st.binary(min_size=1)))
def test_bytes(array):
    decoded, _ = round_trip(array)
    assert decoded.tolist() == array.tolist()


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.dtype("datetime64[us]"), hnp.array_shapes(max_dims=2, max_side=4),
                  elements=st.datetimes().map(np.datetime64)))
def test_datetimes(array):
    decoded, _ = round_trip(array)
    np.testing.assert_array_equal(decoded.astype("datetime64[us]"), array)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
).filter(lambda v: isinstance(v, (list, dict)))


@settings(max_examples=40, deadline=None)
@given(st.lists(json_values, min_size=1, max_size=5))
def test_json_elements(values):
    array = np.fromiter(values, dtype=object, count=len(values))
    decoded, _ = round_trip(array)
    assert decoded.tolist() == values
