"""Errors raised by runtime_mlflow, all rooted in one class that carries a status.

MLServer maps an ``MLServerError`` once to REST (``{"error": str(exc)}`` with
``status_code``) and once to gRPC (400 -> INVALID_ARGUMENT, 500 -> INTERNAL), so
every error here is one::

    RuntimeMLflowError (500)              root; anything unexpected
    ├── ClientError (400)                 the request was wrong
    │   ├── BadData                       a SeldonMessage cannot be read or does not fit
    │   ├── InvalidInput                  an input cannot be decoded or conformed
    │   ├── InvalidParameter              a request parameter has the wrong type
    │   ├── UnknownOutput                 a requested output does not exist
    │   └── ModelInputError               the model rejected the input it was given
    ├── ModelLoadError (500)              the model could not be loaded
    │   ├── ModelEnvironmentError         its environment could not be unpacked, built or started
    │   │   └── UnsafeArchive             an archive member would land outside its folder
    │   └── SourceRefused                 the source does not exist or refuses access
    ├── ModelUnavailable (503)            the model's process died and is being restarted
    ├── Overloaded (503, Retry-After)     the model holds its max_inflight requests already
    │                                     (gRPC RESOURCE_EXHAUSTED)
    ├── ShuttingDown (503)                the server's drain ran out of time for this request
    ├── TimedOut (504)                    the request ran past its request_timeout
    │                                     (gRPC DEADLINE_EXCEEDED)
    ├── PredictionError (500)             the model failed for a reason of its own
    └── CodecError (500)                  a codec was misused or misregistered
        └── CodecAlreadyRegistered

    RemoteError (an Exception)            an exception raised inside a model's own process,
                                          described by its class names and message
"""

from __future__ import annotations

from typing import Any, TypeVar

from mlserver.errors import MLServerError


class RuntimeMLflowError(MLServerError):
    """Root of every error this package raises; ``status_code`` defaults to 500."""

    status = 500

    def __init__(self, msg: str):
        super().__init__(msg, status_code=self.status)


class ClientError(RuntimeMLflowError):
    """The client sent something the model cannot take: HTTP 400, gRPC INVALID_ARGUMENT."""

    status = 400


class BadData(ClientError):
    """The SeldonMessage cannot be read or does not fit the model."""


class InvalidInput(ClientError):
    """An input is missing, unknown, of the wrong shape or not convertible."""


class InvalidParameter(ClientError):
    """A request parameter does not fit the model's params schema."""


class UnknownOutput(ClientError):
    """A requested output is not one the model produces."""


class ModelInputError(ClientError):
    """The model raised ValueError/TypeError/KeyError on the input it was given."""


class ModelLoadError(RuntimeMLflowError):
    """The model could not be loaded; the message names the model and the cause."""


class ModelEnvironmentError(ModelLoadError):
    """A model environment is unsafe, incomplete or incompatible; the message says which part."""


class UnsafeArchive(ModelEnvironmentError):
    """A member of an environment archive would write outside its destination or is not a plain file."""


class MissingExtra(ModelLoadError):
    """A feature needs an optional part of the install (an extra) that is not installed."""


class SourceRefused(ModelLoadError):
    """The source does not exist or refuses access: retrying will not help."""


class ModelUnavailable(RuntimeMLflowError):
    """The model's process is not running right now (it died and is being restarted)."""

    status = 503


class Overloaded(RuntimeMLflowError):
    """The model already holds as many requests as its ``max_inflight`` allows: refused at once,
    503 with ``Retry-After``, gRPC RESOURCE_EXHAUSTED (see :mod:`.admission`)."""

    status = 503
    grpc_status = "RESOURCE_EXHAUSTED"
    """The gRPC code's name (MLServer maps statuses, and 503 is UNAVAILABLE)."""
    retry_after = 1
    """Seconds a client should wait before it tries again (the ``Retry-After`` header)."""


class ShuttingDown(RuntimeMLflowError):
    """The server is draining and its ``RUNTIME_MLFLOW_SHUTDOWN_TIMEOUT`` ran out before the
    request was answered (see :mod:`.lifecycle`)."""

    status = 503


class TimedOut(RuntimeMLflowError):
    """The request ran past its ``request_timeout``: 504, gRPC DEADLINE_EXCEEDED. The model's
    call may still be running; it keeps its place under ``max_inflight`` until it ends."""

    status = 504


class PredictionError(RuntimeMLflowError):
    """The model failed while predicting for a reason that is not the client's."""


class CodecError(RuntimeMLflowError):
    """A codec cannot do what was asked of it (a programming error, not the client's)."""


class CodecAlreadyRegistered(CodecError):
    """A content type was registered twice."""


class RemoteError(Exception):
    """An exception raised inside the model process, described by its class names and message."""

    def __init__(self, header: dict[str, Any]):
        self.type_name: str = header.get("type", "Exception")
        self.mro: list[str] = header.get("mro", [])
        self.error_code: str | None = header.get("error_code")
        self.message: str = header.get("message", "")
        self.remote_traceback: str = header.get("traceback", "")
        super().__init__(f"{self.type_name}: {self.message}")

    def is_a(self, cls: type) -> bool:
        return f"{cls.__module__}.{cls.__qualname__}" in self.mro


E = TypeVar("E", bound=BaseException)


def raised_during(exc: BaseException, cls: type[E]) -> E | None:
    """The ``cls`` exception that ``exc`` was raised from or while handling, if there is one.

    Code that re-raises everything as its own type in an ``except`` block (MLflow's scoring
    server makes an ``MlflowException`` of whatever the model raised) keeps the original there.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, cls):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


MLFLOW_EXCEPTION = "mlflow.exceptions.MlflowException"
CLIENT_ERROR_CODES = frozenset({"INVALID_PARAMETER_VALUE", "BAD_REQUEST"})
"""MLflow error codes that mean the input or params did not fit the model's schema."""
INPUT_EXCEPTIONS = frozenset({"builtins.ValueError", "builtins.TypeError", "builtins.KeyError"})
"""Exceptions a model raises about the input it was given (MLflow's scoring server answers 400)."""


def model_failure(model: str, exc: BaseException) -> RuntimeMLflowError:
    """The one decision for an exception a model raised, in this process or in its own
    (a :class:`RemoteError`): the client's (:class:`ModelInputError`, 400) when MLflow says
    the input or params did not fit, or when a model that is not MLflow's raised ValueError,
    TypeError or KeyError; else the model's own failure (:class:`PredictionError`, 500). An
    error of this package (a 400, or :class:`ModelUnavailable`'s 503) stands as it is.

    Classes are compared by name, as a model process reports them, so MLflow is not imported.
    """
    if isinstance(exc, RuntimeMLflowError):
        return exc
    if isinstance(exc, RemoteError):
        names, code = set(exc.mro), exc.error_code
        text_mlflow, text_other = exc.message, f"{exc.type_name}: {exc.message}"
    else:
        names = {f"{c.__module__}.{c.__qualname__}" for c in type(exc).__mro__}
        code = getattr(exc, "error_code", None)
        text_mlflow, text_other = getattr(exc, "message", str(exc)), f"{type(exc).__name__}: {exc}"
    if MLFLOW_EXCEPTION in names:
        client, text = code in CLIENT_ERROR_CODES, text_mlflow
    else:
        client, text = bool(names & INPUT_EXCEPTIONS), text_other
    if client:
        return ModelInputError(f"model {model!r} rejected the input: {text}")
    return PredictionError(f"model {model!r} failed while predicting: {text}")
