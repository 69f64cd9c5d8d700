"""The lean path: a column signature compiled at load, and the proof that lets MLflow's
schema enforcement be skipped.

MLflow's ``_enforce_schema`` on a DataFrame for a column signature keeps the signature's
columns in its order and passes each column through ``_enforce_mlflow_datatype``, which
returns a column unchanged when its dtype is already the column type's numpy dtype. So a
DataFrame that holds exactly the signature's columns, in order, each a 1-D array of exactly
that dtype, comes out of enforcement with the same values, columns and dtypes. The plan
checks conformed columns for that and wraps them in a
:class:`~runtime_mlflow.hosting.payload.rmlf_proven.Proven` (a single-dtype signature's as one
Fortran-ordered block, the layout enforcement itself produces), whose frame is made only where
the model needs one (:mod:`runtime_mlflow.hosting.payload.rmlf_pyfunc`). Anything else
(optional or non-numeric columns, a column of another dtype or shape) gets no proof and goes
through MLflow's enforcement as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Sequence

import numpy as np
from mlflow.types.schema import ColSpec, DataType, Schema

from .codecs import Column
from .hosting.payload.rmlf_proven import Proven
from .metadata import column_type

__all__ = ["ColumnsPlan", "Proven"]

_PROVABLE = frozenset({DataType.boolean, DataType.integer, DataType.long, DataType.float, DataType.double})


@dataclass(frozen=True)
class ColumnsPlan:
    """The signature's column names (or positions) and numpy dtypes, in order."""

    names: tuple[str, ...] | None
    """The column names, or None for an unnamed signature (columns matched by position)."""
    dtypes: tuple[np.dtype, ...]

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
        names = tuple(str(s.name) for s in specs) if named else None
        if names is not None and len(set(names)) != len(names):
            return None
        dtypes = tuple(column_type(s)[1] for s in specs if isinstance(s, ColSpec))  # all are, as checked
        return cls(names, dtypes)  # type: ignore[arg-type]  # every column type has a dtype, as checked

    @cached_property
    def one_dtype(self) -> bool:
        """Whether every column has the same dtype (a proven input is then one block)."""
        return len(set(self.dtypes)) == 1

    @property
    def described(self) -> dict[str, Any]:
        """What the model's side needs to know of the plan (see :class:`.hosting.payload.rmlf_host.Hosted`)."""
        return {"names": list(self.names) if self.names is not None else None, "one_dtype": self.one_dtype}

    def prove(self, columns: Sequence[Column]) -> Proven | None:
        """``columns`` (conformed, in signature order) as a proven input, if they can be proven."""
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
            return Proven(self.names, block=block)
        return Proven(self.names, columns=arrays)
