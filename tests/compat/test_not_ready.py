"""``compat.not_ready``: a model that is not ready is 503 with its reason, per version
(contract written for MLServer 1.7.1)."""

from __future__ import annotations

import inspect

import grpc
from mlserver.errors import ModelNotReady
from mlserver.grpc import utils as grpc_utils
from mlserver.handlers import DataPlane, dataplane

from runtime_mlflow import unavailable
from runtime_mlflow.compat import grpc_status, not_ready


def test_mlserver_raises_the_name_it_imported_when_a_model_is_not_ready():
    assert "raise ModelNotReady(name, version)" in inspect.getsource(DataPlane)
    assert isinstance(grpc_utils.STATUS_CODE_MAPPING, dict)


def test_installed_it_is_a_503_that_mlserver_raises_and_grpc_calls_unavailable():
    not_ready.install()
    grpc_status.install()
    assert dataplane.ModelNotReady is not_ready.ModelDown and issubclass(not_ready.ModelDown, ModelNotReady)
    assert not_ready.ModelDown("m").status_code == 503
    assert grpc_utils._grpc_status_code(not_ready.ModelDown("m")) == grpc.StatusCode.UNAVAILABLE


def test_the_reason_is_kept_per_version():
    unavailable.mark_down("m", "1", "version 1's process died")
    try:
        assert "version 1's process died" in str(not_ready.ModelDown("m", "1"))
        assert "is being loaded" in str(not_ready.ModelDown("m", "2"))  # the other version is only loading
        assert unavailable.reason("m", None) is None
    finally:
        unavailable.mark_up("m", "1")
    assert unavailable.reason("m", "1") is None
