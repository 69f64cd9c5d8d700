"""MLflow's scoring protocol, answered by MLflow's own scoring code.

``POST /invocations`` takes what ``mlflow models serve`` takes -- JSON with exactly one of
``dataframe_split``, ``dataframe_records``, ``instances``, ``inputs`` (plus ``params``),
``text/csv`` or ``application/vnd.apache.parquet`` -- and answers ``{"predictions": ...}``.
Parsing, casting to the signature, the 415s and the error bodies
(``{"error_code": ..., "message": ...}``) all come from
``mlflow.pyfunc.scoring_server.invocations``, so they are MLflow's. Three differences, all
deliberate: a request without a Content-Type answers 415 (MLflow's server fails with 500),
a body nested too deeply for MLflow's JSON reader answers 400 (MLflow's: 500), and error
bodies carry no ``stack_trace`` (it is logged instead). A Parquet body where pyarrow is not
installed answers 415 naming the ``parquet`` extra (MLflow's: 400, "no usable engine").
"""

from __future__ import annotations

import json
from typing import Any

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import ErrorCode
from mlflow.pyfunc import scoring_server
from mlflow.pyfunc.scoring_server import InvocationsResponse
from mlserver.logging import logger

from .. import extras
from ..errors import ModelUnavailable, RemoteError, raised_during
from .reply import Reply
from .reply import scoring_error as error
from .served import ProtocolRequest, Served


def version(served: Served, request: ProtocolRequest) -> Reply:
    """``GET /version``: the MLflow version the model runs with, as MLflow's server answers it."""
    return Reply(200, served.mlflow_version.encode(), "application/json")


def invocations(served: Served, request: ProtocolRequest) -> Reply:
    if request.media_type == scoring_server.CONTENT_TYPE_PARQUET and not extras.available("parquet"):
        # a 415 as MLflow's own (plain text): this server cannot read the body's type
        return Reply(415, extras.message("parquet", "a Parquet body").encode(), "text/plain")
    try:
        result: InvocationsResponse = scoring_server.invocations(
            request.body, request.content_type or "", _Scored(served), served.input_schema
        )
    except RecursionError:  # MLflow's json.loads on a body nested thousands deep
        return error(400, "BAD_REQUEST", "the body is nested too deeply to be read as JSON")
    except MlflowException as exc:
        unavailable = raised_during(exc, ModelUnavailable)  # MLflow made it an MlflowException
        if unavailable is not None:
            return error(503, "TEMPORARILY_UNAVAILABLE", str(unavailable))
        body = json.loads(exc.serialize_as_json())
        trace = body.pop("stack_trace", None)
        if trace:
            logger.warning("Model %r: /invocations answered %s:\n%s", served.name, exc.error_code, trace)
        return Reply.json(exc.get_http_status_code(), body)
    return Reply(result.status, result.response.encode(), result.mimetype)


class _Scored:
    """The model as MLflow's scoring code calls it; errors from a model process become MLflow's."""

    def __init__(self, served: Served) -> None:
        self._model = served.model
        self.metadata = served.model.metadata

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        try:
            return self._model.predict(data, params=params)
        except RemoteError as exc:
            if exc.is_a(MlflowException):
                raise _mlflow_exception(exc) from None
            raise RuntimeError(f"{exc.type_name}: {exc.message}\n{exc.remote_traceback}") from None


def _mlflow_exception(exc: RemoteError) -> MlflowException:
    """The MlflowException the model process raised, with its error code (by name across MLflow versions)."""
    name = exc.error_code if exc.error_code in ErrorCode.keys() else "INTERNAL_ERROR"
    return MlflowException(exc.message, error_code=ErrorCode.Value(name))
