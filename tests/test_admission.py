"""``admission``: a model's cap on requests in flight, its time limit, and work that keeps its
place after its caller has stopped waiting."""

from __future__ import annotations

import asyncio
import threading

import pytest

from runtime_mlflow import admission
from runtime_mlflow.errors import Overloaded, ShuttingDown, TimedOut


def run(coro):
    return asyncio.run(coro)


def test_past_the_cap_a_request_is_refused_at_once():
    async def main():
        gate = asyncio.Event()
        model = admission.Admission("m", 2, None, "test")
        held = [asyncio.create_task(model.run(gate.wait)) for _ in range(2)]
        await asyncio.sleep(0)
        with pytest.raises(Overloaded, match="limit of 2 requests in flight"):
            await model.run(gate.wait)
        assert model.held == 2
        gate.set()
        await asyncio.gather(*held)
        assert model.held == 0
        assert await model.run(asyncio.sleep, 0, "ok") == "ok"

    run(main())


def test_no_cap_and_no_limit():
    async def main():
        model = admission.Admission("m", None, None, "test")
        gate = asyncio.Event()
        tasks = [asyncio.create_task(model.run(gate.wait)) for _ in range(500)]
        await asyncio.sleep(0)
        assert model.held == 500
        gate.set()
        await asyncio.gather(*tasks)

    run(main())


def test_past_its_limit_a_request_times_out_naming_the_limit_and_its_work_keeps_the_place():
    async def main():
        model = admission.Admission("m", 1, 0.05, "RUNTIME_MLFLOW_REQUEST_TIMEOUT=0.05")
        finish = threading.Event()
        started = threading.Event()

        def blocking():
            started.set()
            finish.wait(5)
            return "late"

        with pytest.raises(TimedOut, match=r"within 0.05 s \(RUNTIME_MLFLOW_REQUEST_TIMEOUT=0.05\)"):
            await model.run(admission.in_thread, blocking)
        assert started.is_set() and model.held == 1  # the thread still runs: its place is taken
        with pytest.raises(Overloaded):
            await model.run(asyncio.sleep, 0)
        finish.set()
        for _ in range(100):
            if model.held == 0:
                break
            await asyncio.sleep(0.01)
        assert model.held == 0

    run(main())


def test_a_timeout_given_with_its_source_replaces_the_models():
    async def main():
        model = admission.Admission("m", None, 10, "model")
        with pytest.raises(TimedOut, match="MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT"):
            await model.run(asyncio.sleep, 1, timeout=0.01, source="MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT=0.01")

    run(main())


def test_a_timeout_error_the_call_raises_itself_is_not_the_limit():
    async def main():
        model = admission.Admission("m", None, 10, "model")

        async def raises():
            raise TimeoutError("the model's own")

        with pytest.raises(TimeoutError, match="the model's own"):
            await model.run(raises)

    run(main())


def test_work_given_up_on_before_a_thread_takes_it_is_never_started():
    async def main():
        ran = []
        ticket_holder = admission.Admission("m", None, None, "test")

        async def caller():
            ticket = admission.CURRENT.get()
            assert ticket is not None
            ticket.abandon()  # as a timeout or a gone client does
            return await admission.in_thread(ran.append, 1)

        with pytest.raises(admission.Abandoned):
            await ticket_holder.run(caller)
        assert ran == [] and ticket_holder.held == 0

    run(main())


def test_cut_all_answers_what_is_left_shutting_down():
    async def main():
        model = admission.Admission("m", None, None, "test")
        task = asyncio.create_task(model.run(asyncio.sleep, 30))
        await asyncio.sleep(0)
        assert admission.cut_all() >= 1
        with pytest.raises(ShuttingDown, match="RUNTIME_MLFLOW_SHUTDOWN_TIMEOUT"):
            await task
        other = asyncio.create_task(model.run(asyncio.sleep, 30))
        await asyncio.sleep(0)
        other.cancel()  # a cancel that is not the drain's stays a cancel
        with pytest.raises(asyncio.CancelledError):
            await other

    run(main())


def test_a_stream_is_one_request_and_each_item_has_the_limit():
    async def main():
        model = admission.Admission("m", 1, 0.2, "limit")

        async def items(pause):
            for i in range(3):
                await asyncio.sleep(pause)
                yield i

        assert [i async for i in model.stream(items(0.01))] == [0, 1, 2]
        assert model.held == 0
        stream = model.stream(items(0.5))
        with pytest.raises(TimedOut):
            async for _ in stream:
                pass
        assert model.held == 0

    run(main())


def test_a_batch_runs_without_the_ticket_of_the_request_that_flushed_it():
    async def main():
        model = admission.Admission("m", None, None, "test")

        async def flush():
            return await asyncio.get_running_loop().create_task(_ticket(), context=admission.detached())

        assert await model.run(flush) is None

    async def _ticket():
        return admission.CURRENT.get()

    run(main())
