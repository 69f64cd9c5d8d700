"""gRPC ``ModelStreamInfer`` answered in the message Triton's clients read.

MLServer 1.7.1 declares ``ModelStreamInfer`` as a stream of ``ModelInferResponse``.
Triton's protocol, and so tritonclient, declares it as a stream of
``ModelStreamInferResponse {string error_message = 1; ModelInferResponse infer_response = 2;}``
and reads MLServer's messages as that: the model name arrives as an error message and
no response is readable. :func:`install` wraps each response of MLServer's stream in a
``ModelStreamInferResponse`` (a message with Triton's field numbers, defined here under
this package's own protobuf name). Unary ``ModelInfer`` is left as it is.

MLServer's stream method looks its response converter up at every call, so wrapping the
converter works whenever this is installed; the wrapper acts only when called from that
method. Clients generated from MLServer's own proto cannot read the wrapped stream.
"""

from __future__ import annotations

import sys
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from mlserver.grpc import servicers

from .converters import Wrapper

WRITTEN_FOR = "mlserver 1.7.1"

_NAME = "runtime_mlflow.ModelStreamInferResponse"


def _message_class() -> Any:
    pool = descriptor_pool.Default()
    try:
        return message_factory.GetMessageClass(pool.FindMessageTypeByName(_NAME))
    except KeyError:
        pass
    proto = descriptor_pb2.FileDescriptorProto(
        name="runtime_mlflow/model_stream_infer.proto", package="runtime_mlflow", syntax="proto3"
    )
    message = proto.message_type.add(name="ModelStreamInferResponse")
    message.field.add(name="error_message", number=1, type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
                      label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
    # bytes holding a serialised ModelInferResponse: the same wire format as the embedded message
    message.field.add(name="infer_response", number=2, type=descriptor_pb2.FieldDescriptorProto.TYPE_BYTES,
                      label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
    pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(_NAME))


def _stream_code() -> Any:
    """The code object of MLServer's ModelStreamInfer body (inside its error-handling wrapper)."""
    method = servicers.InferenceServicer.ModelStreamInfer
    for cell in method.__closure__ or ():
        if getattr(cell.cell_contents, "__name__", "") == "ModelStreamInfer":
            return cell.cell_contents.__code__
    return method.__code__


class _StreamAwareConverter(Wrapper):
    NAME = "ModelInferResponseConverter"

    def __init__(self, converter: Any) -> None:
        super().__init__(converter)
        self._message = _message_class()
        self._stream_code = _stream_code()

    def from_types(self, *args: Any, **kwargs: Any) -> Any:
        response = self._converter.from_types(*args, **kwargs)
        if sys._getframe(1).f_code is self._stream_code:
            return self._message(infer_response=response.SerializeToString())
        return response


install = _StreamAwareConverter.install
"""Wrap MLServer's stream responses (once)."""
engaged = _StreamAwareConverter.engaged
