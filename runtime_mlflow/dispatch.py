"""Where a prediction runs: on the event loop when it is known to be short, else in a thread.

A thread keeps the event loop free while a model works, but the hop costs more than a small
model's whole prediction, and under load the two threads then take turns at the GIL in 5 ms
slices (``sys.getswitchinterval``), which measured as most of this runtime's tail latency at
batch 1. So each model keeps, per size class (rows rounded to a power of two), a moving
average of how long its predictions took; a request whose class averages under
:data:`INLINE_BUDGET` runs inline. A class never seen, and any class that has become slow,
goes to a thread, so a slow model never holds the loop for more than one surprise.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Callable, TypeVar

T = TypeVar("T")

INLINE_BUDGET = 0.002
"""Seconds: a prediction expected to take less than this runs on the event loop."""
_WEIGHT = 0.2
"""Weight of the newest duration in the moving average."""


class Dispatcher:
    """Runs one model's predictions inline or in a thread, by their expected duration."""

    def __init__(self, budget: float = INLINE_BUDGET) -> None:
        self._budget = budget
        self._seconds: dict[int, float] = {}

    async def run(self, rows: int, call: Callable[..., T], *args: Any) -> T:
        """``call(*args)``, inline or in a thread, timed where it runs (the hop is not the model's)."""
        size = max(rows, 1).bit_length()
        expected = self._seconds.get(size)

        def timed() -> T:
            started = time.perf_counter()
            try:
                return call(*args)
            finally:
                took = time.perf_counter() - started
                known = self._seconds.get(size)
                self._seconds[size] = took if known is None else known + _WEIGHT * (took - known)

        if expected is not None and expected < self._budget:
            return timed()
        return await asyncio.to_thread(timed)
