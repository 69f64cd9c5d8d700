"""An example input for a model, as each protocol's request body: what its API docs show.

The model's own ``input_example`` (saved with ``input_example=`` when it was logged) when it
has one, else one row made from the signature (``0.0`` for a double, ``0`` for an integer,
``"text"`` for a string, ...). Without either there is no example: the docs show the
generic forms only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from mlflow.models import Model
from mlflow.types.schema import ColSpec, DataType, Schema, TensorSpec
from mlserver.logging import logger

ROWS = 2
"""At most this many rows of a saved example are shown."""

PLACEHOLDERS: dict[DataType, Any] = {
    DataType.boolean: True,
    DataType.integer: 0,
    DataType.long: 0,
    DataType.float: 0.0,
    DataType.double: 0.0,
    DataType.string: "text",
    DataType.binary: "",
    DataType.datetime: "2024-01-01T00:00:00",
}


@dataclass(frozen=True)
class Example:
    """An input in one of the three shapes MLflow models take."""

    value: pd.DataFrame | np.ndarray | dict[str, np.ndarray]
    saved: bool
    """True: the model's own input_example; False: made from the signature."""

    def v2(self, inputs: list[dict[str, Any]], content_type: str | None) -> dict[str, Any]:
        """A V2 inference request; ``inputs`` are the model's metadata inputs (names, datatypes)."""
        datatypes = {i["name"]: i.get("datatype") for i in inputs}
        if isinstance(self.value, pd.DataFrame):
            tensors = [_tensor(str(c), _values(self.value[c]), datatypes.get(str(c))) for c in self.value.columns]
        elif isinstance(self.value, dict):
            tensors = [_tensor(k, v, datatypes.get(k)) for k, v in self.value.items()]
        else:
            name = inputs[0]["name"] if len(inputs) == 1 else "input-0"
            tensors = [_tensor(name, self.value, datatypes.get(name))]
        body: dict[str, Any] = {"inputs": tensors}
        if content_type is not None:
            body["parameters"] = {"content_type": content_type}
        return body

    def invocations(self) -> dict[str, Any]:
        """An ``/invocations`` body: ``dataframe_split`` for a frame, else ``inputs``."""
        if isinstance(self.value, pd.DataFrame):
            split = json.loads(self.value.to_json(orient="split", index=False, date_format="iso"))
            return {"dataframe_split": {"columns": split["columns"], "data": split["data"]}}
        if isinstance(self.value, dict):
            return {"inputs": {k: _values(v) for k, v in self.value.items()}}
        return {"inputs": _values(self.value)}

    def seldon(self) -> dict[str, Any]:
        """A SeldonMessage: ``data.ndarray`` (with ``names`` for a frame), ``jsonData`` for a dict."""
        if isinstance(self.value, pd.DataFrame):
            rows = json.loads(self.value.to_json(orient="values", date_format="iso"))
            return {"data": {"names": [str(c) for c in self.value.columns], "ndarray": rows}}
        if isinstance(self.value, dict):
            return {"jsonData": {k: _values(v) for k, v in self.value.items()}}
        return {"data": {"ndarray": _values(self.value)}}


def find(path: Path | None, schema: Schema | None) -> Example | None:
    """The model's saved input example, else one made from ``schema``, else None."""
    saved = _saved(path) if path is not None else None
    if saved is not None:
        return Example(saved, saved=True)
    made = _from_schema(schema) if schema is not None else None
    return Example(made, saved=False) if made is not None else None


def _saved(path: Path) -> pd.DataFrame | np.ndarray | dict[str, np.ndarray] | None:
    try:
        meta = Model.load(str(path))
        if meta.saved_input_example_info is None:
            return None
        value = meta.load_input_example(str(path))
    except Exception as exc:  # an example that cannot be read only costs the docs their example
        logger.warning("Model at %s: its input example could not be read (%s: %s)", path, type(exc).__name__, exc)
        return None
    if isinstance(value, pd.DataFrame):
        return value.head(ROWS)
    if isinstance(value, np.ndarray):
        return value[:ROWS] if value.ndim else value
    if isinstance(value, dict) and all(isinstance(v, (list, np.ndarray)) for v in value.values()):
        try:
            return pd.DataFrame(value).head(ROWS)
        except ValueError:
            return {k: np.asarray(v) for k, v in value.items()}
    if isinstance(value, dict):
        return pd.DataFrame([value])
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return pd.DataFrame(value).head(ROWS)
    return None


def _from_schema(schema: Schema) -> pd.DataFrame | np.ndarray | dict[str, np.ndarray] | None:
    specs = schema.inputs
    if all(isinstance(s, ColSpec) for s in specs):
        if not schema.has_input_names():
            return None
        return pd.DataFrame({s.name: [PLACEHOLDERS.get(s.type, "text") if isinstance(s.type, DataType) else "{}"]
                             for s in specs})
    tensors = {s.name: np.zeros([1 if d == -1 else d for d in s.shape], dtype=s.type)
               for s in specs if isinstance(s, TensorSpec)}
    if schema.has_input_names():
        return tensors
    return next(iter(tensors.values()), None)


def _values(value: Any) -> list[Any]:
    values: list[Any] = (json.loads(value.to_json(orient="values", date_format="iso")) if isinstance(value, pd.Series)
                         else np.asarray(value).tolist())
    return values


def _tensor(name: str, value: Any, datatype: str | None) -> dict[str, Any]:
    array = np.asarray(value)
    data = array.reshape(-1).tolist() if isinstance(value, np.ndarray) and value.ndim > 1 else _values(value)
    return {"name": name, "shape": list(array.shape), "datatype": datatype or _datatype(array), "data": data}


def _datatype(array: np.ndarray) -> str:
    kind = array.dtype.kind
    if kind == "b":
        return "BOOL"
    if kind in "iu":
        return "INT64"
    if kind == "f":
        return "FP64" if array.dtype.itemsize == 8 else "FP32"
    return "BYTES"
