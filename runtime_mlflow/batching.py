"""Adaptive batching that never mixes params: requests are predicted together only when they
carry the same MLflow params (and content type, inputs and requested outputs).

MLServer's own batcher merges the requests of a batch into one whose ``parameters`` are the
last request's: measured with 16 concurrent requests with different params, 14 got another
request's answer. This batcher keeps one queue per kind of request. A queue is flushed when
it holds ``max_batch_size`` rows or ``max_batch_time`` seconds after its first request; the
requests' inputs are concatenated along the first dimension, predicted once, and each output
is cut back into each request's rows. If the batch fails, or an output does not have one row
per input row, each request is predicted on its own, so a bad request only fails itself.
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any, Awaitable, Callable

from mlserver.logging import logger
from mlserver.model import MLModel
from mlserver.types import InferenceRequest, InferenceResponse, RequestInput, ResponseOutput

from .admission import detached
from .codecs.base import flat_elements

_TAKEN = "_runtime_mlflow_batcher"

Predict = Callable[[InferenceRequest], Awaitable[InferenceResponse]]
_Pending = tuple[InferenceRequest, int, "asyncio.Future[InferenceResponse]"]


def take_over(model: MLModel) -> None:
    """Batch ``model``'s requests here, as its ``max_batch_size`` and ``max_batch_time`` ask,
    instead of in MLServer. Called in MLServer's main process before MLServer's own
    ``load_batching``, which then finds ``max_batch_size`` 1 and leaves the model alone.

    The batcher replaces the runtime's ``predict_admitted`` (what ``predict`` calls once a request is
    admitted, so each request of a batch is counted on its own: :mod:`.admission`), or
    ``predict`` itself for a model MLServer runs in one of its workers."""
    settings = model.settings
    if settings.max_batch_size <= 1 or settings.max_batch_time <= 0 or hasattr(model, _TAKEN):
        return
    method = "predict_admitted" if hasattr(model, "predict_admitted") else "predict"
    batcher = ParamsBatcher(getattr(model, method), settings.max_batch_size, settings.max_batch_time)
    setattr(model, _TAKEN, batcher)
    setattr(model, method, batcher.predict)
    settings.max_batch_size = 1


class ParamsBatcher:
    """Batches one model's requests, each batch of one kind only."""

    def __init__(self, predict: Predict, max_batch_size: int, max_batch_time: float) -> None:
        self._predict = predict
        self._max_rows = max_batch_size
        self._max_time = max_batch_time
        self._queues: dict[str, list[_Pending]] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        rows = _rows(payload)
        if rows is None or rows >= self._max_rows:
            return await self._predict(payload)
        key = _kind(payload)
        future: asyncio.Future[InferenceResponse] = asyncio.get_running_loop().create_future()
        queue = self._queues.setdefault(key, [])
        queue.append((payload, rows, future))
        if sum(r for _, r, _ in queue) >= self._max_rows:
            self._flush(key)
        elif len(queue) == 1:
            self._timers[key] = asyncio.get_running_loop().call_later(self._max_time, self._flush, key)
        return await future

    def _flush(self, key: str) -> None:
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        batch = self._queues.pop(key, [])
        if batch:  # the batch is no one request's work: it runs without the flushing request's ticket
            asyncio.get_running_loop().create_task(self._answer(batch), context=detached())

    async def _answer(self, batch: list[_Pending]) -> None:
        if len(batch) > 1:
            try:
                response = await self._predict(_merge([r for r, _, _ in batch]))
                parts = _split(response, batch)
            except Exception as exc:  # one bad request must not fail the others: answer each alone
                logger.debug("batch of %d failed (%s); predicting each request alone", len(batch), exc)
                parts = None
            if parts is not None:
                for (_, _, future), part in zip(batch, parts):
                    if not future.done():
                        future.set_result(part)
                return
        await asyncio.gather(*(self._alone(request, future) for request, _, future in batch))

    async def _alone(self, request: InferenceRequest, future: asyncio.Future[InferenceResponse]) -> None:
        try:
            response = await self._predict(request)
        except Exception as exc:
            if not future.done():
                future.set_exception(exc)
            return
        if not future.done():
            future.set_result(response)


def _rows(request: InferenceRequest) -> int | None:
    """The request's rows, or None when its inputs do not share a first dimension."""
    firsts = {t.shape[0] if t.shape else None for t in request.inputs}
    if len(firsts) != 1 or None in firsts:
        return None
    rows = firsts.pop()
    return rows if isinstance(rows, int) and rows > 0 else None


def _kind(request: InferenceRequest) -> str:
    """Requests of one kind can be predicted together: the same params, content type, inputs
    (names, datatypes, trailing shapes, parameters) and requested outputs."""
    parameters = request.parameters.model_dump(exclude={"headers"}) if request.parameters else {}
    inputs = [(t.name, str(t.datatype), list(t.shape[1:]), t.parameters.model_dump() if t.parameters else None)
              for t in request.inputs]
    outputs = [o.model_dump() for o in request.outputs or []]
    return json.dumps([parameters, inputs, outputs], sort_keys=True, default=str)


def _merge(requests: list[InferenceRequest]) -> InferenceRequest:
    first = requests[0]
    inputs = []
    for index, tensor in enumerate(first.inputs):
        parts = [r.inputs[index] for r in requests]
        data: list[Any] = []
        for part in parts:
            data.extend(flat_elements(part))
        inputs.append(RequestInput(name=tensor.name, datatype=tensor.datatype, parameters=tensor.parameters,
                                   shape=[sum(p.shape[0] for p in parts), *tensor.shape[1:]], data=data))
    return InferenceRequest(parameters=first.parameters, inputs=inputs, outputs=first.outputs)


def _split(response: InferenceResponse, batch: list[_Pending]) -> list[InferenceResponse] | None:
    """Each request's rows of ``response``, or None if an output is not one row per input row."""
    total = sum(rows for _, rows, _ in batch)
    cuts: list[list[ResponseOutput]] = [[] for _ in batch]
    for output in response.outputs:
        values = output.data.root if isinstance(output.data.root, list) else None
        if not output.shape or output.shape[0] != total or values is None:
            return None
        per_row = math.prod(output.shape[1:])
        if len(values) != total * per_row or (values and isinstance(values[0], list)):
            return None
        start = 0
        for cut, (_, rows, _) in zip(cuts, batch):
            cut.append(ResponseOutput(name=output.name, datatype=output.datatype, parameters=output.parameters,
                                      shape=[rows, *output.shape[1:]], data=values[start:start + rows * per_row]))
            start += rows * per_row
    return [InferenceResponse(model_name=response.model_name, model_version=response.model_version, id=request.id,
                              parameters=response.parameters, outputs=outputs)
            for (request, _, _), outputs in zip(batch, cuts)]
