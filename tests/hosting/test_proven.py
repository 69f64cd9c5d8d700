"""A proven input's rows and frame, and the row count a prediction is timed by."""

from __future__ import annotations

import numpy as np
import pandas as pd

from runtime_mlflow.hosting.payload.rmlf_proven import Proven, rows_of


def test_rows_of_a_block_columns_a_frame_and_a_scalar():
    block = np.asfortranarray(np.arange(6.0).reshape(3, 2))
    assert rows_of(Proven(["a", "b"], block=block)) == 3
    assert rows_of(Proven(None, columns=[np.arange(4), np.zeros(4)])) == 4
    assert rows_of(pd.DataFrame({"a": [1, 2]})) == 2
    assert rows_of({"a": 1, "b": 2}) == 2  # what has a length is counted by it
    assert rows_of(7.0) == 1


def test_the_frame_of_a_block_shares_its_memory_and_keeps_the_names():
    block = np.asfortranarray(np.arange(6.0).reshape(3, 2))
    frame = Proven(["a", "b"], block=block).frame()
    assert list(frame.columns) == ["a", "b"] and frame.columns.dtype == object
    assert np.shares_memory(frame.to_numpy(), block)
