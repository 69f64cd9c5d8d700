"""Where predictions run: in a thread until a size class is known to be quick, then inline."""

from __future__ import annotations

import asyncio
import threading
import time

from runtime_mlflow.dispatch import Dispatcher


def _where() -> int:
    return threading.get_ident()


def test_unknown_sizes_run_in_a_thread_then_quick_ones_inline():
    async def go():
        dispatcher = Dispatcher(budget=0.05)
        loop_thread = threading.get_ident()
        first = await dispatcher.run(1, _where)
        second = await dispatcher.run(1, _where)
        other_size = await dispatcher.run(1000, _where)
        return loop_thread, first, second, other_size

    loop_thread, first, second, other_size = asyncio.run(go())
    assert first != loop_thread, "a size class never seen must not run on the event loop"
    assert second == loop_thread
    assert other_size != loop_thread


def test_a_slow_size_class_goes_back_to_a_thread():
    delay = {"seconds": 0.0}

    def work() -> int:
        time.sleep(delay["seconds"])
        return threading.get_ident()

    async def go():
        dispatcher = Dispatcher(budget=0.01)
        loop_thread = threading.get_ident()
        await dispatcher.run(4, work)
        assert await dispatcher.run(4, work) == loop_thread
        delay["seconds"] = 0.2  # the model became slow: one call is a surprise, the next is not
        assert await dispatcher.run(4, work) == loop_thread
        return loop_thread, await dispatcher.run(4, work)

    loop_thread, after = asyncio.run(go())
    assert after != loop_thread


def test_errors_propagate_from_both_places():
    def boom() -> None:
        raise ValueError("bad input")

    async def go():
        dispatcher = Dispatcher(budget=1.0)
        errors = []
        for _ in range(2):  # first in a thread, then inline
            try:
                await dispatcher.run(1, boom)
            except ValueError as exc:
                errors.append(str(exc))
        return errors

    assert asyncio.run(go()) == ["bad input", "bad input"]
