"""``compat.grpc_requests``: what MLServer's gRPC converter cannot read is INVALID_ARGUMENT
naming the input (contract written for MLServer 1.7.1)."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from mlserver.grpc import dataplane_pb2 as pb
from mlserver.grpc import servicers
from mlserver.grpc.converters import ModelInferRequestConverter

from runtime_mlflow.compat import grpc_requests
from runtime_mlflow.errors import InvalidInput


def request(*inputs, raw=()):
    message = pb.ModelInferRequest(model_name="m")
    for name, datatype, shape in inputs:
        message.inputs.add(name=name, datatype=datatype, shape=shape)
    message.raw_input_contents.extend(raw)
    return message


def test_mlservers_converter_still_fails_on_a_wrong_raw_size():
    with pytest.raises(struct.error):
        ModelInferRequestConverter.to_types(request(("x", "FP64", [2]), raw=[bytes(12)]))


def test_mlservers_servicer_reads_requests_through_the_name_install_replaces():
    import inspect

    assert "ModelInferRequestConverter.to_types(request)" in inspect.getsource(servicers.InferenceServicer)
    grpc_requests.install()
    assert isinstance(servicers.ModelInferRequestConverter, grpc_requests._CheckedConverter)


@pytest.mark.parametrize(("message", "named"), [
    (request(("x", "FP64", [2]), raw=[bytes(12)]), ["'x'", "16 bytes", "12 arrived"]),
    (request(("x", "FP99", [2]), raw=[bytes(16)]), ["'x'", "'FP99'"]),
    (request(("x", "FP64", [2]), ("y", "INT32", [1]), raw=[bytes(16)]), ["1 raw_input_contents", "2 inputs"]),
    (request(("x", "FP64", [-1]), raw=[bytes(8)]), ["'x'", "[-1]"]),
    (request(("s", "BYTES", [2]), raw=[struct.pack("<I", 1) + b"a"]), ["'s'", "2 BYTES elements", "1 arrived"]),
    (request(("s", "BYTES", [1]), raw=[struct.pack("<I", 9) + b"a"]), ["'s'", "claims 9 bytes"]),
    (request(("s", "BYTES", [1]), raw=[b"\x01\x00"]), ["'s'", "4-byte length"]),
])
def test_what_cannot_be_read_is_named(message, named):
    with pytest.raises(InvalidInput) as caught:
        grpc_requests.check(message)
    for text in named:
        assert text in str(caught.value)


def test_good_requests_read_as_mlserver_reads_them():
    message = request(("x", "FP64", [2]), ("s", "BYTES", [1]),
                      raw=[np.array([1.5, 2.0]).tobytes(), struct.pack("<I", 2) + b"hi"])
    grpc_requests.check(message)
    converted = grpc_requests._CheckedConverter(ModelInferRequestConverter).to_types(message)
    assert converted == ModelInferRequestConverter.to_types(message)
    assert converted.inputs[0].data.root == [1.5, 2.0] and converted.inputs[1].data.root == [b"hi"]


def test_typed_contents_need_no_raw():
    message = pb.ModelInferRequest(model_name="m")
    message.inputs.add(name="x", datatype="FP64", shape=[1]).contents.fp64_contents.append(1.0)
    grpc_requests.check(message)
