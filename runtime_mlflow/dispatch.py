"""Where a prediction in this process runs: on the event loop when it is known to be short,
else in a thread (see :mod:`.hosting.payload.rmlf_timing` for why and how that is known)."""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from .admission import in_thread
from .hosting.payload.rmlf_timing import INLINE_BUDGET, Durations

T = TypeVar("T")

__all__ = ["INLINE_BUDGET", "Dispatcher"]


class Dispatcher:
    """Runs one model's predictions inline or in a thread, by their expected duration."""

    def __init__(self, budget: float = INLINE_BUDGET) -> None:
        self._durations = Durations(budget)

    async def run(self, rows: int, call: Callable[..., T], *args: Any) -> T:
        """``call(*args)``, inline or in a thread, timed where it runs (the hop is not the model's)."""
        if self._durations.inline(rows):
            result: T = self._durations.timed(rows, call, *args)
            return result
        return await in_thread(self._durations.timed, rows, call, *args)
