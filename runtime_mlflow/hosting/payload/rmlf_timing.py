"""How long a model's predictions take, per size class: whether the next one is short enough
to run where it arrived (an event loop, a model process's reader) rather than in a thread.

A thread keeps the caller free while a model works, but the hop costs more than a small
model's whole prediction, and under load two threads then take turns at the GIL in 5 ms
slices (``sys.getswitchinterval``), which measured as most of this runtime's tail latency at
batch 1. So each model keeps, per size class (rows rounded to a power of two), a moving
average of how long its predictions took; a request whose class averages under the budget
runs inline. A class never seen, and any class that has become slow, goes to a thread, so a
slow model never holds its caller for more than one surprise. Runs on Python 3.9+.
"""

from __future__ import annotations

import time

INLINE_BUDGET = 0.002
"""Seconds: a prediction expected to take less than this runs inline."""
_WEIGHT = 0.2
"""Weight of the newest duration in the moving average."""


class Durations:
    """One model's moving averages of prediction time, by size class."""

    def __init__(self, budget=INLINE_BUDGET):
        self.budget = budget
        self._seconds = {}

    def inline(self, rows):
        """Whether a prediction of ``rows`` rows is known to be short."""
        expected = self._seconds.get(_size(rows))
        return expected is not None and expected < self.budget

    def timed(self, rows, call, *args):
        """``call(*args)``, its duration recorded for the size class of ``rows`` (even if it raises)."""
        size = _size(rows)
        started = time.perf_counter()
        try:
            return call(*args)
        finally:
            took = time.perf_counter() - started
            known = self._seconds.get(size)
            self._seconds[size] = took if known is None else known + _WEIGHT * (took - known)


def _size(rows):
    return max(rows, 1).bit_length()
