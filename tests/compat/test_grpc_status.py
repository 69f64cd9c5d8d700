"""``compat.grpc_status``: each error of the runtime gets its gRPC code (contract written for MLServer 1.7.1)."""

from __future__ import annotations

import inspect

import grpc
from mlserver.errors import MLServerError
from mlserver.grpc import utils as grpc_utils

from runtime_mlflow.compat import grpc_status
from runtime_mlflow.errors import ClientError, ModelUnavailable, Overloaded, ShuttingDown, TimedOut


def test_mlservers_error_wrappers_look_the_code_up_by_name_at_every_call():
    for wrapper in (grpc_utils.handle_mlserver_error, grpc_utils.handle_mlserver_stream_error):
        assert "_grpc_status_code(err)" in inspect.getsource(wrapper)
    assert isinstance(grpc_utils.STATUS_CODE_MAPPING, dict)


def test_each_error_gets_its_code():
    grpc_status.install()
    grpc_status.install()  # once
    assert grpc_status.engaged()
    code = grpc_utils._grpc_status_code
    assert code(Overloaded("full")) == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert code(TimedOut("late")) == grpc.StatusCode.DEADLINE_EXCEEDED
    assert code(ShuttingDown("bye")) == code(ModelUnavailable("down")) == grpc.StatusCode.UNAVAILABLE
    assert code(ClientError("bad")) == grpc.StatusCode.INVALID_ARGUMENT
    assert code(MLServerError("other", status_code=500)) == grpc.StatusCode.INTERNAL
