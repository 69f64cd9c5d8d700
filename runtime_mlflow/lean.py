"""The lean path: a column signature compiled at load, and the proof that lets MLflow's
schema enforcement be skipped.

MLflow's ``_enforce_schema`` on a DataFrame for a column signature keeps the signature's
columns in its order and passes each column through ``_enforce_mlflow_datatype``, which
returns a column unchanged when its dtype is already the column type's numpy dtype. So a
DataFrame that holds exactly the signature's columns, in order, each a 1-D array of exactly
that dtype, comes out of enforcement with the same values, columns and dtypes. The plan
builds such a frame from conformed columns (a single-dtype frame as one Fortran-ordered
block, the layout enforcement itself produces) and wraps it in :class:`Proven`. Anything
else (optional or non-numeric columns, a column of another dtype or shape) gets no proof and
goes through MLflow's enforcement as before.

The frame's column labels are the same names held as plain Python strings (an object
Index), not pandas 3's default ``str`` dtype: scikit-learn reads the feature names of every
frame it predicts on, and turning a ``str`` Index into a list was, under load, a sixth of
the server's time at batch 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

import numpy as np
import pandas as pd
from mlflow.types.schema import ColSpec, DataType, Schema

from .codecs import Column
from .metadata import column_type

_PROVABLE = frozenset({DataType.boolean, DataType.integer, DataType.long, DataType.float, DataType.double})


@dataclass(frozen=True)
class Proven:
    """A model input that MLflow's schema enforcement would return unchanged."""

    frame: pd.DataFrame
    array: np.ndarray | None = None
    """For a one-dtype frame, its one block: what ``np.asarray(frame)`` gives (the same memory
    and layout); None when the columns have several dtypes."""


@dataclass(frozen=True)
class ColumnsPlan:
    """The signature's column names (or positions) and numpy dtypes, in order."""

    names: tuple[str, ...] | None
    """The column names, or None for an unnamed signature (columns matched by position)."""
    dtypes: tuple[np.dtype, ...]
    labels: pd.Index
    """The frame's column labels: the names, or ``0..k-1`` for an unnamed signature."""

    @classmethod
    def compile(cls, schema: Schema | None) -> ColumnsPlan | None:
        """The plan for ``schema``, or None when no request to it can be proven."""
        if schema is None or schema.is_tensor_spec():
            return None
        specs = schema.inputs
        # s.type may be an Object, Array or Map spec (unhashable): only DataTypes can be proven
        if not all(isinstance(s, ColSpec) and isinstance(s.type, DataType) and s.type in _PROVABLE and s.required
                   for s in specs):
            return None
        named = schema.has_input_names()
        names = tuple(s.name for s in specs) if named else None
        if names is not None and len(set(names)) != len(names):
            return None
        dtypes = tuple(column_type(s)[1] for s in specs if isinstance(s, ColSpec))  # all are, as checked
        labels = pd.Index(list(names), dtype=object) if names is not None else pd.RangeIndex(len(specs))
        return cls(names, dtypes, labels)  # type: ignore[arg-type]

    @cached_property
    def one_dtype(self) -> bool:
        """Whether every column has the same dtype (a proven frame is then one block)."""
        return len(set(self.dtypes)) == 1

    def prove(self, columns: Sequence[Column]) -> Proven | None:
        """The frame of ``columns`` (conformed, in signature order), if it can be proven."""
        if len(columns) != len(self.dtypes):
            return None
        if self.names is not None and any(c.name != n for c, n in zip(columns, self.names)):
            return None
        arrays = [c.array for c in columns]
        rows = len(arrays[0]) if arrays[0].ndim == 1 else 0
        if rows == 0:
            return None  # an empty or scalar request: MLflow decides
        for array, dtype in zip(arrays, self.dtypes):
            if array.ndim != 1 or array.dtype != dtype or len(array) != rows:
                return None
        if self.one_dtype:
            block = np.empty((rows, len(arrays)), dtype=self.dtypes[0], order="F")
            for i, array in enumerate(arrays):
                block[:, i] = array
            return Proven(pd.DataFrame(block, columns=self.labels, copy=False), block)
        return Proven(pd.DataFrame(dict(zip(self.labels, arrays)), columns=self.labels))
