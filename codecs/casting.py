"""Lossless casts of whole arrays, with errors that say what was expected and what came.

Widening always works; narrowing works when no value changes (1.0 -> 1, 300 -> int16
but not -> int8); float64 -> float32 is allowed, as MLflow's scoring server allows it;
strings convert to numbers and booleans when every element parses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from runtime_mlflow.errors import InvalidInput

BOOLEAN_TEXTS = {"true": True, "false": False, "1": True, "0": False}
"""The texts read as booleans (case-insensitive, stripped): in BYTES inputs and in params."""


def cast(array: np.ndarray, dtype: np.dtype, name: str, expected: str, arrived: str) -> np.ndarray:
    """``array`` as ``dtype``; raises InvalidInput naming ``name`` if a value would change.

    ``expected`` and ``arrived`` label the types in the message (e.g. ``"double"``, ``"BYTES"``).
    """
    dtype = np.dtype(dtype)
    if array.dtype == dtype or dtype.kind == "O":
        return array
    source = array.dtype.kind
    if source in "OUST":
        return _from_strings(array, dtype, name, expected, arrived)
    if source not in "biuf" or dtype.kind not in "biuf":
        raise _mismatch(name, expected, arrived)
    if dtype.kind == "f":
        with np.errstate(over="ignore"):  # an overflow is found below and named
            converted = array.astype(dtype)
        if source == "f" and dtype.itemsize < array.dtype.itemsize:
            overflow = np.isinf(converted) & np.isfinite(array)
            if overflow.any():
                info = np.finfo(dtype)
                raise InvalidInput(
                    f"input {name!r} expects {expected} values; {_first(array, overflow)!r} is out of range "
                    f"[{info.min}, {info.max}]"
                )
        return converted
    if dtype.kind == "b":
        if source != "b" and not np.isin(array, (0, 1)).all():
            raise _mismatch(name, expected, arrived, _first(array, ~np.isin(array, (0, 1))))
        return array.astype(dtype)
    # integer targets
    if source == "f":
        bad = ~np.isfinite(array) | (np.mod(array, 1) != 0)
        if bad.any():
            raise _mismatch(name, expected, arrived, _first(array, bad))
    limits = np.iinfo(dtype)
    if array.size and source != "b":
        # compared as Python ints: as doubles, 2**63 would equal INT64's maximum and wrap
        low, high = int(array.min()), int(array.max())
        if low < limits.min or high > limits.max:
            value = _plain(array.min() if low < limits.min else array.max())
            raise InvalidInput(
                f"input {name!r} expects {expected} values; {value!r} is out of range "
                f"[{limits.min}, {limits.max}]"
            )
    return array.astype(dtype)


def _from_strings(array: np.ndarray, dtype: np.dtype, name: str, expected: str, arrived: str) -> np.ndarray:
    flat = array.ravel()
    if dtype.kind == "b":
        lowered = pd.Series(flat, dtype="object").astype(str).str.lower()
        mapped = lowered.map(BOOLEAN_TEXTS)
        if mapped.isna().any():
            raise _mismatch(name, expected, arrived, _plain(flat[mapped.isna().to_numpy()][0]))
        booleans: np.ndarray = mapped.to_numpy(dtype=bool)
        return booleans.reshape(array.shape)
    numbers = pd.to_numeric(pd.Series(flat, dtype="object"), errors="coerce")
    bad = numbers.isna().to_numpy() & ~pd.isna(flat)
    if bad.any():
        raise _mismatch(name, expected, arrived, _plain(flat[bad][0]))
    return cast(numbers.to_numpy().reshape(array.shape), dtype, name, expected, arrived)


def _first(array: np.ndarray, mask: np.ndarray) -> object:
    return _plain(array[mask].ravel()[0])


def _plain(value: object) -> object:
    """A numpy scalar as the Python value it holds, so messages read ``'abc'``, not ``np.str_('abc')``."""
    return value.item() if isinstance(value, np.generic) else value


def _mismatch(name: str, expected: str, arrived: str, value: object = None) -> InvalidInput:
    detail = f" ({value!r} cannot be {expected})" if value is not None else ""
    return InvalidInput(f"input {name!r} expects {expected} values; {arrived} arrived{detail}")
