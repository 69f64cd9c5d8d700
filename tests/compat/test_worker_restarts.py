"""``compat.worker_restarts``: a pool without a ready worker, or a worker that died while
answering, is 503 naming the model (contract written for MLServer 1.7.1)."""

from __future__ import annotations

import asyncio
import inspect
from multiprocessing import Queue

import pytest
from mlserver.parallel import dispatcher
from mlserver.parallel.messages import ModelRequestMessage

from runtime_mlflow.compat import worker_restarts
from runtime_mlflow.errors import ModelUnavailable


def test_mlserver_still_round_robins_over_ready_workers_and_cancels_with_worker_stop():
    assert "next(self._workers_round_robin)" in inspect.getsource(
        getattr(dispatcher.Dispatcher._get_worker, "__wrapped__", dispatcher.Dispatcher._get_worker))
    assert "err = WorkerStop(exit_code)" in inspect.getsource(dispatcher.AsyncResponses.cancel)


def test_a_pool_without_a_ready_worker_is_503_naming_the_model():
    worker_restarts.install()
    pool = dispatcher.Dispatcher({}, Queue())
    message = ModelRequestMessage(model_name="wine", method_name="predict")
    with pytest.raises(ModelUnavailable, match="'wine' is being restarted"):
        asyncio.run(pool.dispatch_request(message))


def test_installed_once():
    worker_restarts.install()
    hooked = dispatcher.Dispatcher.dispatch_request
    worker_restarts.install()
    assert dispatcher.Dispatcher.dispatch_request is hooked


def test_503_is_unavailable_over_grpc():
    import grpc
    from mlserver.grpc import utils as grpc_utils

    worker_restarts.install()
    assert grpc_utils.STATUS_CODE_MAPPING[503] == grpc.StatusCode.UNAVAILABLE


def test_mlservers_pool_restarts_the_worker_within_on_worker_stop():
    """The readiness wrapper marks models down before and up after that one call."""
    from mlserver.parallel.pool import InferencePool

    source = inspect.getsource(getattr(InferencePool.on_worker_stop, "__wrapped__", InferencePool.on_worker_stop))
    assert "if pid not in self._workers:" in source and "await self._start_worker()" in source


def test_a_put_on_a_closing_pools_queue_is_recognised():
    from multiprocessing import Queue as MPQueue

    queue = MPQueue()
    queue.close()
    with pytest.raises(ValueError) as raised:
        queue.put(1)
    assert worker_restarts._queue_closed(raised.value)
    assert not worker_restarts._queue_closed(ValueError("x must not be negative"))


def test_mlservers_sigchld_handler_still_reaps_any_child_through_a_late_bound_method():
    """What ``_reap_own_workers_only`` replaces, and why replacing the method is enough."""
    from mlserver.parallel import registry

    worker_restarts.install()
    original = inspect.getsource(registry.InferencePoolRegistry.__init__)
    assert "asyncio.create_task(self._handle_worker_stop(*args))" in original
    assert getattr(registry.InferencePoolRegistry._handle_worker_stop, "_runtime_mlflow_restarts", False)


def test_the_sigchld_handler_leaves_other_children_to_their_own_wait():
    import subprocess
    import sys
    import time as clock
    from types import SimpleNamespace

    from mlserver.parallel import registry

    worker_restarts.install()
    other = subprocess.Popen([sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"])
    clock.sleep(1)  # it has died, unreaped
    stopped = []

    class Pool:
        _workers: dict = {}

        async def on_worker_stop(self, pid, status):
            stopped.append(pid)

    fake = SimpleNamespace(_default_pool=Pool(), _pools={})
    asyncio.run(registry.InferencePoolRegistry._handle_worker_stop(fake, 17, None))
    assert stopped == [] and other.wait(5) == -9  # its status was left for its own wait
