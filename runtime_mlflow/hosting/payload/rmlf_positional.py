"""Whether a scikit-learn model reads its input by position, so an array can replace a frame.

Given a DataFrame, a scikit-learn estimator checks its column names against the names it
was fitted with, inspects the frame's dtypes, and then works on ``np.asarray(frame)``.
For a frame of one dtype that array is the frame's own block; given that array instead, the
estimator computes the same thing, bit for bit, without the checks (measured on the wine
ElasticNet: the checks were most of a worker's time per request at batch 1). That holds
when nothing in the model reads columns by name:

* every estimator in it, fitted parts included, is scikit-learn's own (a class from any
  other package may do anything with a frame);
* none is a ``ColumnTransformer`` (it selects columns by name) or a ``FunctionTransformer``
  (its function may);
* none is set to give pandas or polars output (``set_output``), and neither is the global
  configuration, so every step in between sees arrays either way;
* and the names it was fitted with, if any, are the signature's, in order (with other names
  or another order a frame is refused by scikit-learn, while an array would be read
  silently by position).
"""

from __future__ import annotations

from typing import Any, Sequence

_REFUSED = frozenset({"ColumnTransformer", "FunctionTransformer"})

FEATURE_NAMES_WARNING = r"X does not have valid feature names, but \w+ was fitted with feature names"
"""What scikit-learn warns when an estimator fitted on a frame is given an array."""


def reads_by_position(estimator: Any, names: Sequence[str] | None) -> bool:
    """Whether ``estimator`` given ``np.asarray(frame)`` answers exactly as given ``frame``,
    a one-dtype frame with the columns ``names`` (None: columns matched by position)."""
    try:
        import sklearn
        from sklearn.base import BaseEstimator
    except ImportError:
        return False
    if sklearn.get_config().get("transform_output", "default") != "default":
        return False
    fitted = getattr(estimator, "feature_names_in_", None)
    if fitted is not None and (names is None or [str(n) for n in fitted] != list(names)):
        return False
    return _sklearn_only(estimator, BaseEstimator, set())


def _sklearn_only(obj: Any, base: type, seen: set[int]) -> bool:
    if id(obj) in seen:
        return True
    seen.add(id(obj))
    cls = type(obj)
    if not cls.__module__.startswith("sklearn.") or any(c.__name__ in _REFUSED for c in cls.__mro__):
        return False
    output = getattr(obj, "_sklearn_output_config", None) or {}
    if output.get("transform", "default") != "default":
        return False
    return all(_sklearn_only(part, base, seen) for part in _estimators_in(vars(obj).values(), base))


def _estimators_in(values: Any, base: type, depth: int = 0) -> list[Any]:
    """The estimators among ``values``, looking into lists, tuples and dicts (steps, estimators_)."""
    found = []
    for value in values:
        if isinstance(value, base):
            found.append(value)
        elif isinstance(value, (list, tuple)) and depth < 3:
            found += _estimators_in(value, base, depth + 1)
        elif isinstance(value, dict) and depth < 3:
            found += _estimators_in(value.values(), base, depth + 1)
        elif hasattr(value, "dtype") and value.dtype == object and depth < 3:  # an array of estimators
            found += _estimators_in(list(value.ravel()), base, depth + 1)
    return found
