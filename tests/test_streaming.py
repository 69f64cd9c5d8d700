"""runtime_mlflow.streaming: a model's predict_stream iterator read off the event loop."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest

from runtime_mlflow.streaming import chunks

VAR: contextvars.ContextVar[int] = contextvars.ContextVar("var", default=0)


def collect(start, take: int | None = None) -> list:
    async def run():
        got = []
        stream = chunks(start)
        try:
            async for item in stream:
                got.append(item)
                if take is not None and len(got) == take:
                    break
        finally:
            await stream.aclose()
        return got

    return asyncio.run(run())


def test_items_come_in_order_one_at_a_time():
    produced = []

    def start():
        def numbers():
            for i in range(5):
                produced.append(i)
                yield i

        return numbers()

    async def run():
        seen = []
        async for item in chunks(start):
            seen.append((item, len(produced)))  # the next item is not made before this one is taken
        return seen

    assert asyncio.run(run()) == [(i, i + 1) for i in range(5)]


def test_context_variables_set_across_yields_work():
    """MLflow's predict_stream sets a context variable around its yields."""

    def start():
        def tokens():
            token = VAR.set(7)
            try:
                yield VAR.get()
                yield VAR.get()
            finally:
                VAR.reset(token)  # fails if the generator moved between contexts

        return tokens()

    assert collect(start) == [7, 7]


def test_errors_reach_the_reader_after_the_items_before_them():
    def start():
        def failing():
            yield "a"
            raise ValueError("broken at b")

        return failing()

    got = []

    async def run():
        async for item in chunks(start):
            got.append(item)

    with pytest.raises(ValueError, match="broken at b"):
        asyncio.run(run())
    assert got == ["a"]


def test_an_error_starting_the_stream_is_raised():
    def start():
        raise TypeError("no stream for you")

    with pytest.raises(TypeError, match="no stream for you"):
        collect(start)


def test_stopping_early_closes_the_iterator():
    closed = threading.Event()

    def start():
        def endless():
            try:
                i = 0
                while True:
                    yield i
                    i += 1
            finally:
                closed.set()

        return endless()

    assert collect(start, take=3) == [0, 1, 2]
    assert closed.wait(10)
