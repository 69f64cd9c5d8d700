"""Seldon Core's protocol, as its MLFLOW_SERVER answered it: what the model receives from a
SeldonMessage (read and written by :mod:`.seldon_message`), and the metadata.

What the model receives (``xtype``, or the signature):

* a signature of columns: a DataFrame named by ``data.names``, else by the signature,
  cast to the signature's types as MLflow's scoring server casts JSON;
* ``xtype: DataFrame`` without one: a DataFrame, named by ``data.names`` if given;
* otherwise (``ndarray``, Seldon's default) the array, cast to a tensor signature's type;
* ``jsonData`` a dict (a DataFrame when a DataFrame is wanted, a dict of arrays of the
  signature's types when it names tensors), ``strData`` a str,
  ``binData`` bytes.

The answer mirrors the request as Seldon's does (Series and lists answer their values,
where Seldon itself fails on a Series). Errors are Seldon's: ``{"status": {"status": 1,
"info": ..., "code": -1, "reason": "MICROSERVICE_BAD_DATA"}}`` with 400 (a failing model
500, a model being restarted 503).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.types.schema import Schema, TensorSpec
from mlflow.utils.proto_json_utils import dataframe_from_parsed_json, parse_tf_serving_input

from ..errors import BadData, RuntimeMLflowError
from .reply import Reply
from .reply import seldon_error as error
from .seldon_message import Message, read, respond
from .served import ProtocolRequest, Served


def predict(served: Served, request: ProtocolRequest) -> Reply:
    try:
        message = read(request)
        value = served.predict(model_input(served, message), None)
        return Reply.json(200, respond(message, value, served.output_names))
    except RuntimeMLflowError as exc:
        return error(exc.status_code, str(exc))


def metadata(served: Served, request: ProtocolRequest | None = None) -> Reply:
    """Seldon's model metadata, its inputs and outputs from the MLflow signature."""
    return Reply.json(200, {
        "name": served.name,
        "versions": [served.version] if served.version else [],
        "platform": "mlflow",
        "inputs": _schema_metadata(served.input_schema),
        "outputs": _schema_metadata(served.output_schema),
    })


def model_input(served: Served, message: Message) -> Any:
    """What the model receives for ``message``: see the module docstring."""
    schema = served.input_schema
    columns = schema is not None and not schema.is_tensor_spec()
    wants_frame = columns or served.xtype == "pd"
    if message.kind == "jsonData":
        value = message.value
        if wants_frame and isinstance(value, dict):
            return _frame_from_dict(value, schema if columns else None)
        if isinstance(value, dict) and schema is not None and schema.is_tensor_spec() and schema.has_input_names():
            try:
                return parse_tf_serving_input({"inputs": value}, schema=schema)
            except MlflowException as exc:
                raise BadData(f"jsonData does not fit the model's named tensors: {exc.message}") from exc
        return value
    if message.kind != "data":
        return message.value
    rows = message.value
    if wants_frame:
        return _frame(rows, message.names, schema if columns else None)
    if served.xtype == "dict" and message.names:
        matrix = _matrix(rows)
        _check_names(message.names, matrix.shape[1] if matrix.ndim == 2 else 1)
        return {name: matrix[:, i] for i, name in enumerate(message.names)}
    if schema is not None and len(schema.inputs) == 1 and isinstance(schema.inputs[0], TensorSpec):
        try:
            return parse_tf_serving_input({"inputs": rows}, schema=schema)
        except MlflowException as exc:
            raise BadData(f"data does not fit the model's tensor {_describe(schema.inputs[0])}: {exc.message}") from exc
    return _array(rows)


def _frame(rows: list[Any], names: list[str], schema: Schema | None) -> pd.DataFrame:
    expected = [str(n) for n in schema.input_names()] if schema is not None and schema.has_input_names() else None
    if rows and not isinstance(rows[0], list):
        width = len(names or expected or [])
        rows = [rows] if width > 1 and len(rows) == width else [[v] for v in rows]
    if any(not isinstance(row, list) for row in rows):
        raise BadData("data rows must all be lists of the same length")
    widths = {len(row) for row in rows}
    if len(widths) > 1:
        raise BadData(f"data rows differ in length ({', '.join(map(str, sorted(widths)))} values)")
    width = widths.pop() if widths else len(names or expected or [])
    columns = names or None
    if columns is not None:
        _check_names(columns, width)
    elif expected is not None:
        if width != len(expected):
            raise BadData(
                f"the model takes {len(expected)} columns ({', '.join(expected)}); each row has {width} "
                "values. Send one value per column, or name the columns in data.names"
            )
        columns = expected
    if schema is None:
        return pd.DataFrame(rows, columns=columns)
    try:
        return dataframe_from_parsed_json({"columns": columns, "data": rows}, pandas_orient="split", schema=schema)
    except MlflowException as exc:
        raise BadData(exc.message) from exc


def _frame_from_dict(value: dict[str, Any], schema: Schema | None) -> pd.DataFrame:
    """``{"col": [..], ...}`` (columns) or ``{"col": v, ...}`` (one row) as a DataFrame."""
    lists = [isinstance(v, list) for v in value.values()]
    if any(lists) and not (all(lists) and len({len(v) for v in value.values()}) == 1):
        raise BadData("jsonData makes a DataFrame from lists of one length (one per column) or scalars (one row)")
    if any(lists):
        parsed: Any = {"columns": list(value), "data": [list(row) for row in zip(*value.values())]}
        orient = "split"
    else:
        parsed, orient = [value], "records"
    if schema is None:
        return pd.DataFrame(value) if any(lists) else pd.DataFrame([value])
    try:
        return dataframe_from_parsed_json(parsed, pandas_orient=orient, schema=schema)
    except MlflowException as exc:
        raise BadData(f"jsonData does not fit the model's columns: {exc.message}") from exc


def _check_names(names: list[str], width: int) -> None:
    if len(names) != width:
        raise BadData(f"data.names lists {len(names)} columns ({', '.join(names)}) but each row has {width} values")


def _matrix(rows: list[Any]) -> np.ndarray:
    array = _array(rows)
    return array.reshape(-1, 1) if array.ndim == 1 else array


def _array(rows: list[Any]) -> np.ndarray:
    try:
        return np.asarray(rows)
    except ValueError as exc:  # ragged
        raise BadData(f"data.ndarray is not rectangular: {exc}") from exc


def _schema_metadata(schema: Schema | None) -> list[dict[str, Any]]:
    if schema is None:
        return []
    if not schema.is_tensor_spec():
        names = schema.input_names() if schema.has_input_names() else []
        types = [str(getattr(spec.type, "name", spec.type)) for spec in schema.inputs]
        return [{"messagetype": "ndarray", "schema": {"names": names, "shape": [len(schema.inputs)], "types": types}}]
    return [
        {"messagetype": "tensor", "schema": {
            "names": [spec.name] if spec.name else [], "shape": list(spec.shape), "type": str(spec.type)}}
        for spec in schema.inputs if isinstance(spec, TensorSpec)  # all are: a tensor signature
    ]


def _describe(spec: TensorSpec) -> str:
    return f"{spec.type}{list(spec.shape)}"
