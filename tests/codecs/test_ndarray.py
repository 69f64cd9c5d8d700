from __future__ import annotations

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
