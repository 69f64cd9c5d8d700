"""This runtime's errors from an MLServer worker, in the runtime's own words.

MLServer 1.7.1's worker wraps every exception a model raises in a ``WorkerError`` whose
message starts with the exception's import path, so a client of a model in a worker read
``runtime_mlflow.errors.InvalidInput: missing columns ...`` where a model in the main
process answers ``missing columns ...``. :func:`install` (run where the runtime is
imported: the main process and every worker) makes ``WorkerError`` keep the message of
this runtime's errors as it is; other exceptions keep MLServer's wording. The status code
is MLServer's either way: the wrapped error's own.
"""

from __future__ import annotations

from typing import Any

from mlserver.parallel import errors

WRITTEN_FOR = "mlserver 1.7.1"

_HOOKED = "_runtime_mlflow_own_words"


def install() -> None:
    """Wrap ``WorkerError.__init__`` (once)."""
    original = errors.WorkerError.__init__
    if getattr(original, _HOOKED, False):
        return

    def __init__(self: errors.WorkerError, exc: BaseException, *args: Any, **kwargs: Any) -> None:
        from ..errors import RuntimeMLflowError

        original(self, exc, *args, **kwargs)
        if isinstance(exc, RuntimeMLflowError):
            self.args = (str(exc),)  # what str(WorkerError) and MLServer's handlers show

    setattr(__init__, _HOOKED, True)
    __init__.__wrapped__ = original  # type: ignore[attr-defined]
    errors.WorkerError.__init__ = __init__  # type: ignore[method-assign]


def engaged() -> bool:
    """Whether :func:`install` is in effect."""
    return getattr(errors.WorkerError.__init__, _HOOKED, False)
