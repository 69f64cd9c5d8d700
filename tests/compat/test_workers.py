"""``compat.workers``: a method of a model in an MLServer worker is called through
``ParallelModel._send`` (contract written for MLServer 1.7.1)."""

from __future__ import annotations

import asyncio
import inspect

from mlserver import MLModel
from mlserver.parallel import worker
from mlserver.parallel.model import ParallelModel
from mlserver.settings import ModelSettings

from runtime_mlflow.compat import workers


class _Plain(MLModel):
    async def echo(self, *args):
        return args


def test_parallel_model_sends_a_method_by_name_and_the_worker_calls_it_by_name():
    assert list(inspect.signature(ParallelModel._send).parameters)[:2] == ["self", "method_name"]
    assert "getattr(model, request.method_name)" in inspect.getsource(worker.Worker)


def test_a_model_in_a_worker_is_asked_through_the_dispatcher():
    sent = []

    class _Dispatcher:
        async def dispatch_request(self, message):
            sent.append((message.method_name, list(message.method_args)))
            return type("Reply", (), {"return_value": "answered"})()

    model = ParallelModel(_Plain(ModelSettings(name="m", implementation=_Plain)), _Dispatcher())
    assert asyncio.run(workers.call(model, "echo", 1, "two")) == "answered"
    assert sent == [("echo", [1, "two"])]


def test_a_model_in_this_process_is_called_directly():
    model = _Plain(ModelSettings(name="m", implementation=_Plain))
    assert asyncio.run(workers.call(model, "echo", 1)) == (1,)
