"""``compat.lifecycle``: MLServer's stop, start and readiness, and its uvicorn servers'
``should_exit`` (contract written for MLServer 1.7.1 and the uvicorn it resolves). The drain
itself is tested end to end in ``tests/e2e/test_drain.py``."""

from __future__ import annotations

import asyncio
import inspect

import pytest
import uvicorn
from mlserver.handlers.dataplane import DataPlane
from mlserver.metrics import server as metrics_server
from mlserver.rest import server as rest_server
from mlserver.server import MLServer
from starlette.applications import Starlette

from runtime_mlflow import lifecycle
from runtime_mlflow.compat import lifecycle as seam


def test_mlserver_signals_call_stop_by_name_and_stop_closes_what_parts_closes():
    handlers = inspect.getsource(MLServer._add_signal_handlers)
    assert "self.stop(sig=s)" in handlers  # looked up when the signal comes: the class's stop
    source = inspect.getsource(MLServer)  # the file's text: the methods as MLServer wrote them
    stop = source[source.index("async def stop("):]
    for private in ("_inference_pool_registry", "_kafka_server", "_grpc_server", "_rest_server", "_metrics_server"):
        assert private in stop, private
    assert "async def start(self, models_settings: List[ModelSettings] = [])" in source
    assert "self._model_registry.get_models()" in inspect.getsource(inspect.getmodule(DataPlane))


def test_mlservers_servers_keep_the_attributes_the_drain_closes():
    assert "self._server = _NoSignalServer(cfg)" in inspect.getsource(rest_server.RESTServer.start)
    assert "self._server = _NoSignalServer(cfg)" in inspect.getsource(metrics_server.MetricsServer.start)
    assert "self._server = aio.server(" in inspect.getsource(__import__("mlserver.grpc.server",
                                                                        fromlist=["GRPCServer"]).GRPCServer)


def test_uvicorn_still_captures_signals_and_reads_what_the_drain_sets():
    """If uvicorn stops taking signals itself, the ``should_exit`` patch can go."""
    serve = inspect.getsource(uvicorn.Server.serve)
    assert "capture_signals" in serve
    server = uvicorn.Server(uvicorn.Config(Starlette()))
    assert server.should_exit is False and server._captured_signals == []
    assert server.config.timeout_graceful_shutdown is None
    shutdown = inspect.getsource(uvicorn.Server.shutdown)
    assert "timeout_graceful_shutdown" in shutdown and "server_state.connections" in inspect.getsource(
        uvicorn.Server._wait_tasks_to_complete)


def test_installed_a_signal_alone_does_not_stop_uvicorn_but_the_drain_does():
    seam.install()
    seam.install()
    assert seam.engaged()
    server = rest_server._NoSignalServer(uvicorn.Config(Starlette()))
    server.handle_exit(sig=15, frame=None)  # what uvicorn's own signal handler does
    assert server.should_exit is False
    seam._close(server)
    assert server.should_exit is True and server._captured_signals == []


def test_the_request_counter_wraps_starlettes_stack_even_after_the_app_has_started():
    app = Starlette()
    assert app.middleware_stack is None
    app.build_middleware_stack()
    seam.count_requests(app)
    seam.count_requests(app)
    assert isinstance(app.middleware_stack, lifecycle.Counted)
    assert not isinstance(app.middleware_stack.app, lifecycle.Counted)


@pytest.mark.parametrize("draining", [False, True])
def test_readiness_says_what_the_lifecycle_says(draining, monkeypatch):
    seam.install()

    class Model:
        name, version, ready = "m", None, True

    class Registry:
        async def get_models(self, name=None):
            return [Model()]

        async def get_model(self, name, version=None):
            return Model()

    plane = DataPlane.__new__(DataPlane)
    plane._model_registry = Registry()
    monkeypatch.setattr(lifecycle._state, "draining_since", 1.0 if draining else None)
    monkeypatch.setattr(lifecycle._state, "started", True)
    assert asyncio.run(plane.ready()) is not draining
    assert asyncio.run(plane.model_ready("m")) is not draining
