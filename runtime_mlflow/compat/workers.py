"""Calling a method of this runtime's model in the MLServer worker that holds it.

MLServer 1.7.1 proxies ``predict``, ``metadata`` and custom handlers to a model in a worker
(a ``ParallelModel`` in the main process); its dispatcher runs any method by name, and the
private ``ParallelModel._send`` is how ``ParallelModel`` asks for one. The protocol routes
need it for ``answer_protocol``, which MLServer does not proxy.
"""

from __future__ import annotations

from typing import Any

from mlserver.model import MLModel
from mlserver.parallel.model import ParallelModel

WRITTEN_FOR = "mlserver 1.7.1"


async def call(model: MLModel, method: str, *args: Any) -> Any:
    """``model.<method>(*args)``, in the worker that holds the model if MLServer put it in one."""
    if isinstance(model, ParallelModel):
        return await model._send(method, *args)
    return await getattr(model, method)(*args)
