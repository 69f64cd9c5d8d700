"""Which requests may share a batch, and cutting a batch's answer back into each request's rows."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from mlserver.types import InferenceRequest, InferenceResponse, TensorData

from runtime_mlflow.batching import ParamsBatcher, _kind, _merge, _split


def request(rows: int, **parameters) -> InferenceRequest:
    return InferenceRequest(parameters=parameters or None, inputs=[
        {"name": "x", "shape": [rows, 2], "datatype": "FP64", "data": [[float(i), float(i)] for i in range(rows)]}])


def test_requests_with_other_params_or_inputs_are_of_another_kind():
    assert _kind(request(1, scale=2)) == _kind(request(3, scale=2))
    assert _kind(request(1, scale=2)) != _kind(request(1, scale=3))
    assert _kind(request(1)) != _kind(request(1, content_type="np"))
    other = request(1)
    other.inputs[0].datatype = "FP32"
    assert _kind(request(1)) != _kind(other)


def test_merge_concatenates_rows_and_split_cuts_them_back():
    requests = [request(1), request(3)]
    merged = _merge(requests)
    assert merged.inputs[0].shape == [4, 2] and len(merged.inputs[0].data.root) == 8
    response = InferenceResponse(model_name="m", outputs=[
        {"name": "y", "shape": [4], "datatype": "FP64", "data": [0.0, 1.0, 2.0, 3.0]}])
    parts = _split(response, [(r, r.inputs[0].shape[0], None) for r in requests])
    assert [p.outputs[0].data.root for p in parts] == [[0.0], [1.0, 2.0, 3.0]]
    assert [p.outputs[0].shape for p in parts] == [[1], [3]]


def test_merge_takes_a_large_requests_array_beside_lists():
    """A large body's data arrives as an array (protocols.v2_body); its rows merge in order."""
    large = request(2)
    large.inputs[0].data = TensorData.model_construct(root=np.array([[5.0, 5.0], [6.0, 6.0]]))
    merged = _merge([request(1), large])
    assert merged.inputs[0].shape == [3, 2]
    assert merged.inputs[0].data.root == [0.0, 0.0, 5.0, 5.0, 6.0, 6.0]


@pytest.mark.parametrize("output", [
    {"name": "y", "shape": [1], "datatype": "FP64", "data": [6.0]},
    {"name": "y", "shape": [3], "datatype": "FP64", "data": [1.0, 2.0, 3.0]},
], ids=["a scalar", "fewer rows"])
def test_an_answer_without_one_row_per_input_row_is_not_split(output):
    requests = [request(1), request(3)]
    response = InferenceResponse(model_name="m", outputs=[output])
    assert _split(response, [(r, r.inputs[0].shape[0], None) for r in requests]) is None


def test_unsplittable_batches_are_answered_one_request_at_a_time():
    calls = []

    async def total(req: InferenceRequest) -> InferenceResponse:  # one number for the whole input
        calls.append(req.inputs[0].shape[0])
        return InferenceResponse(model_name="m", outputs=[
            {"name": "y", "shape": [1], "datatype": "FP64", "data": [float(req.inputs[0].shape[0])]}])

    async def go():
        batcher = ParamsBatcher(total, max_batch_size=100, max_batch_time=0.05)
        return await asyncio.gather(batcher.predict(request(1)), batcher.predict(request(3)))

    answers = asyncio.run(go())
    assert [a.outputs[0].data.root for a in answers] == [[1.0], [3.0]]
    assert calls == [4, 1, 3]
