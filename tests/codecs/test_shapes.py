"""``codecs.base``'s shape helpers: the one trailing-1 drop and the one ``[N, k]`` split."""

from __future__ import annotations

import numpy as np

from runtime_mlflow.codecs.base import as_column, columns_of


def test_only_n_by_one_loses_its_trailing_one():
    assert as_column(np.zeros((3, 1))).shape == (3,)
    for shape in [(3,), (3, 2), (3, 1, 1), (1, 3), ()]:
        assert as_column(np.zeros(shape)).shape == shape


def test_an_n_by_k_array_splits_into_its_k_columns_and_nothing_else_does():
    array = np.arange(6).reshape(3, 2)
    first, second = columns_of(array, 2)
    assert first.tolist() == [0, 2, 4] and second.tolist() == [1, 3, 5]
    assert columns_of(array, 3) is None
    assert columns_of(np.arange(6), 6) is None
    assert columns_of(np.zeros((3, 2, 1)), 2) is None
