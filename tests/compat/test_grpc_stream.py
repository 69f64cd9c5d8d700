"""``compat.grpc_stream``: MLServer's ``ModelStreamInfer`` answers in Triton's stream message
(contract written for MLServer 1.7.1), checked in-process through MLServer's own servicer."""

from __future__ import annotations

import asyncio
import inspect

from mlserver.grpc import dataplane_pb2 as pb
from mlserver.grpc import servicers
from mlserver.types import InferenceResponse, ResponseOutput

from runtime_mlflow.compat import grpc_stream


class _DataPlane:
    """The two data-plane calls the servicer makes; answers a fixed response."""

    def __init__(self) -> None:
        self.response = InferenceResponse(model_name="m", outputs=[
            ResponseOutput(name="y", shape=[2], datatype="FP64", data=[1.5, 2.5])])

    async def infer_stream(self, payloads, name, version=None):
        async for _ in payloads:
            yield self.response

    async def infer(self, payload, name, version=None):
        return self.response


class _Context:
    def invocation_metadata(self):
        return ()

    def set_trailing_metadata(self, metadata):
        pass

    async def abort(self, code, details):  # pragma: no cover - fails the test with the reason
        raise AssertionError(f"{code}: {details}")


def _request() -> pb.ModelInferRequest:
    request = pb.ModelInferRequest(model_name="m")
    request.inputs.add(name="x", datatype="FP64", shape=[1]).contents.fp64_contents.append(1.0)
    return request


async def _stream(servicer: servicers.InferenceServicer) -> list:
    async def requests():
        yield _request()

    return [message async for message in servicer.ModelStreamInfer(requests(), _Context())]


def test_mlservers_stream_body_converts_each_response_through_the_name_install_wraps():
    code = grpc_stream._stream_code()
    assert code.co_name == "ModelStreamInfer", "the stream method's body is no longer inside one wrapper"
    assert "ModelInferResponseConverter" in code.co_names and "from_types" in code.co_names
    assert hasattr(servicers.ModelInferResponseConverter, "from_types")
    assert "ModelInferResponseConverter.from_types(result" in inspect.getsource(servicers.InferenceServicer)


def test_installed_the_stream_answers_tritons_message_and_unary_infer_is_left_alone():
    grpc_stream.install()
    assert grpc_stream.engaged()
    servicer = servicers.InferenceServicer(_DataPlane(), None)  # type: ignore[arg-type]
    [message] = asyncio.run(_stream(servicer))
    assert type(message).DESCRIPTOR.full_name == "runtime_mlflow.ModelStreamInferResponse"
    inner = pb.ModelInferResponse.FromString(message.infer_response)
    assert inner.model_name == "m" and list(inner.outputs[0].contents.fp64_contents) == [1.5, 2.5]
    assert message.error_message == ""
    unary = asyncio.run(servicer.ModelInfer(_request(), _Context()))
    assert isinstance(unary, pb.ModelInferResponse)


def test_tritons_field_numbers():
    message = grpc_stream._message_class()
    fields = {f.name: (f.number, f.type) for f in message.DESCRIPTOR.fields}
    assert fields == {"error_message": (1, 9), "infer_response": (2, 12)}  # string, bytes
