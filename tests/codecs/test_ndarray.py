from __future__ import annotations

import numpy as np
import pytest
from mlserver.types import RequestInput

from runtime_mlflow.codecs import registry
from runtime_mlflow.errors import InvalidInput


def decode(datatype, data):
    return registry.get("np").decode(RequestInput(name="x", shape=[len(data)], datatype=datatype, data=data))


def test_integers_beyond_int64_are_read_exactly():
    # numpy infers float64 for these; 2**64 - 1024 must not round to 2**64
    assert decode("UINT64", [0, 2**64 - 1024]).tolist() == [0, 2**64 - 1024]
    assert decode("UINT64", [1, 2**63 + 1]).tolist() == [1, 2**63 + 1]


def test_integers_beyond_uint64_are_a_client_error():
    with pytest.raises(InvalidInput, match="input 'x' expects UINT64"):
        decode("UINT64", [0, 2**64 + 5])


def decode_as(datatype, data, dtype, shape=None):
    tensor = RequestInput(name="x", shape=shape or [len(data)], datatype=datatype, data=data)
    return registry.get("np").decode(tensor, np.dtype(dtype))


@pytest.mark.parametrize(("datatype", "data", "named"), [
    ("UINT8", [300], "300 is out of range [0, 255]"),
    ("INT8", [-200], "-200 is out of range [-128, 127]"),
    ("INT64", [1.5], "1.5"),
    ("UINT64", [-1], "-1 is out of range"),
    ("BOOL", [2], "2"),
    ("FP32", [1e300], "1e+300 is out of its range"),
])
def test_values_must_fit_the_declared_datatype_whatever_the_model_wants(datatype, data, named):
    with pytest.raises(InvalidInput) as raised:
        decode_as(datatype, data, np.float64)
    assert "'x'" in str(raised.value) and datatype in str(raised.value) and named in str(raised.value)


def test_declared_values_that_fit_are_read_as_the_model_wants():
    assert decode_as("FP32", [7.4], np.float64).tolist() == [7.4]  # not float32(7.4) widened
    assert decode_as("UINT8", [255], np.float64).tolist() == [255.0]
    assert decode_as("INT64", [2.0], np.float64).tolist() == [2.0]  # JSON does not tell 2.0 from 2


@pytest.mark.parametrize("shape", [[-1], [1, -1], [-2]])
def test_a_request_shape_has_no_free_dimensions(shape):
    with pytest.raises(InvalidInput, match=r"0 or more"):
        decode_as("FP64", [1.0], np.float64, shape=shape)
