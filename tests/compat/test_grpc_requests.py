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
    _refused_naming(message, named)


def _refused_naming(message, named):
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


def typed(name, datatype, shape, field, values):
    message = request((name, datatype, shape))
    getattr(message.inputs[0].contents, field).extend(values)
    return message


def test_mlservers_converter_still_reads_any_contents_field_as_the_declared_datatype():
    """What the field check guards against: bool_contents read as FP64 values."""
    converted = ModelInferRequestConverter.to_types(typed("x", "FP64", [2], "bool_contents", [True, False]))
    assert converted.inputs[0].data.root == [True, False]


@pytest.mark.parametrize(("message", "named"), [
    (typed("x", "FP64", [2], "bool_contents", [True, False]), ["'x'", "FP64", "fp64_contents", "bool_contents"]),
    (typed("x", "INT8", [1], "int64_contents", [1]), ["'x'", "int_contents", "int64_contents"]),
    (typed("x", "FP16", [1], "fp32_contents", [1.0]), ["'x'", "FP16", "raw_input_contents"]),
])
def test_typed_contents_in_another_datatypes_field_are_refused(message, named):
    _refused_naming(message, named)


def test_typed_contents_in_their_own_field_pass():
    for datatype, field in grpc_requests.CONTENTS_FIELDS.items():
        value = b"a" if field == "bytes_contents" else (True if field == "bool_contents" else 1)
        grpc_requests.check(typed("x", datatype, [1], field, [value]))
