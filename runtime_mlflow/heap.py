"""Keep Python's cycle collector off the objects a loaded model keeps for its lifetime.

A full (generation 2) collection walks every tracked object in the process. With MLflow,
pandas, scikit-learn and MLServer imported and a model loaded, that is over a million
objects: measured here, each full collection paused the event loop for 130-170 ms, several
times in 10 seconds of load, which made the p99 latency of ``parallel_workers: 0`` about 20
times its median. Objects that live as long as the model are never garbage, so after a load
they are frozen (``gc.freeze``): moved to a permanent generation the collector skips. At
unload they are unfrozen, so the unloaded model's cycles can be collected; what is still
alive a few seconds later (the other models) is frozen again. MLServer's main process is
frozen too once it has a model of this runtime, since it does the HTTP, JSON and batching
work for models in workers.
"""

from __future__ import annotations

import asyncio
import gc

REFREEZE_AFTER = 5.0
"""Seconds after an unload before the survivors are frozen again (the unload's own
temporaries, which may still hold the model, are gone by then)."""

_pending: asyncio.TimerHandle | None = None


def settle() -> None:
    """After a load: collect the young garbage loading left behind, then freeze everything.

    Only the young generations are collected: a full collection here took 0.15 s, which
    would delay every model's readiness; what loading made and dropped is young anyway.
    """
    global _pending
    if _pending is not None:
        _pending.cancel()
        _pending = None
    gc.collect(1)
    gc.freeze()


def release() -> None:
    """After an unload: let the collector see every object again; freeze the survivors later."""
    global _pending
    gc.unfreeze()
    gc.collect()
    if _pending is not None:
        _pending.cancel()
    try:
        _pending = asyncio.get_running_loop().call_later(REFREEZE_AFTER, settle)
    except RuntimeError:  # no event loop: the next load freezes again
        _pending = None
