"""A model input that MLflow's schema enforcement would leave as it is (see ``runtime_mlflow.lean``).

The server proves it; whoever predicts builds the DataFrame only if the flavor needs one:
a scikit-learn model that reads by position is given the block itself. This module runs on
Python 3.9+, in the server and in a model's own environment.
"""

from __future__ import annotations


class Proven:
    """The signature's columns in order, each exactly of the signature's dtype.

    ``block``: for a one-dtype signature, the ``[rows, k]`` Fortran-ordered array of all
    columns (what ``np.asarray(frame)`` gives of the frame, sharing its memory); else None
    and ``columns`` holds one 1-D array per column. ``names``: the column names, or None for
    an unnamed signature (columns by position).
    """

    __slots__ = ("names", "block", "columns", "_frame")

    def __init__(self, names, block=None, columns=None):
        self.names, self.block, self.columns = names, block, columns
        self._frame = None

    @property
    def rows(self):
        return len(self.block) if self.block is not None else len(self.columns[0])

    def frame(self):
        """The DataFrame MLflow's enforcement would pass to the flavor (made once).

        Its column labels are the names as plain Python strings (an object Index), not
        pandas 3's default ``str`` dtype: scikit-learn reads the feature names of every frame
        it predicts on, and turning a ``str`` Index into a list was, under load, a sixth of
        the server's time at batch 1.
        """
        if self._frame is None:
            import pandas as pd

            width = self.block.shape[1] if self.block is not None else len(self.columns)
            labels = pd.Index(list(self.names), dtype=object) if self.names is not None else pd.RangeIndex(width)
            if self.block is not None:
                self._frame = pd.DataFrame(self.block, columns=labels, copy=False)
            else:
                self._frame = pd.DataFrame(dict(zip(labels, self.columns)), columns=labels)
        return self._frame


def rows_of(value):
    """How many rows ``value`` holds, for timing its prediction (1 for what has no length)."""
    if isinstance(value, Proven):
        return value.rows
    return len(value) if hasattr(value, "__len__") else 1
