"""How long to wait before restarting a process that died: longer each time it dies soon after starting.

A process (a model's environment process, or an MLServer worker) that dies at load, or
soon after, would otherwise be restarted in a tight loop that only burns CPU and floods
the log. :class:`Backoff` waits nothing the first time, then ``first`` seconds, doubling
up to ``most``; a process that lived ``stable_after`` seconds starts the count again.
"""

from __future__ import annotations

import time

FIRST = 1.0
MOST = 30.0
STABLE_AFTER = 60.0


class Backoff:
    def __init__(self, first: float = FIRST, most: float = MOST, stable_after: float = STABLE_AFTER) -> None:
        self.first, self.most, self.stable_after = first, most, stable_after
        self._next = 0.0
        self._started: float | None = None

    def started(self) -> None:
        """A process was started now."""
        self._started = time.monotonic()

    def delay(self) -> float:
        """Seconds to wait before the next start: 0 unless the last process died young."""
        if self._started is None or time.monotonic() - self._started >= self.stable_after:
            self._next = 0.0
        delay = self._next
        self._next = min(max(delay * 2, self.first), self.most)
        return delay
