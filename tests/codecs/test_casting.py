from __future__ import annotations

import numpy as np
import pytest

from runtime_mlflow.codecs import cast
from runtime_mlflow.errors import InvalidInput


@pytest.mark.parametrize(
    ("values", "dtype", "expected"),
    [
        pytest.param([1, 2], np.float64, [1.0, 2.0], id="int-to-double"),
        pytest.param([0.5, 1.25], np.float32, [0.5, 1.25], id="double-to-float"),
        pytest.param([1.0, -3.0], np.int64, [1, -3], id="integral-float-to-long"),
        pytest.param([300], np.int16, [300], id="int-fits-narrower"),
        pytest.param([0, 1], np.bool_, [False, True], id="zero-one-to-bool"),
        pytest.param(["1.5", "2"], np.float64, [1.5, 2.0], id="numeric-strings"),
        pytest.param(["true", "False"], np.bool_, [True, False], id="bool-strings"),
    ],
)
def test_lossless_casts(values, dtype, expected):
    assert cast(np.asarray(values), np.dtype(dtype), "x", "T", "S").tolist() == expected


@pytest.mark.parametrize(
    ("values", "dtype", "message"),
    [
        pytest.param([1.5], np.int64, "1.5 cannot be long", id="fraction"),
        pytest.param([np.nan], np.int64, "nan cannot be long", id="nan-to-int"),
        pytest.param([300], np.int8, "300 is out of range", id="overflow"),
        pytest.param([2], np.bool_, "2 cannot be long", id="two-is-not-bool"),
        pytest.param(["abc"], np.float64, "'abc' cannot be long", id="text"),
        pytest.param(["yes"], np.bool_, "'yes' cannot be long", id="text-bool"),
        pytest.param([1e300], np.float32, "1e+300 is out of range", id="float32-overflow"),
        pytest.param([70000.0], np.float16, "70000.0 is out of range", id="float16-overflow"),
    ],
)
def test_lossy_casts_name_the_input_the_type_and_the_value(values, dtype, message):
    with pytest.raises(InvalidInput) as raised:
        cast(np.asarray(values), np.dtype(dtype), "col", "long", "FP64")
    assert "input 'col' expects long values" in str(raised.value)
    assert message in str(raised.value)
