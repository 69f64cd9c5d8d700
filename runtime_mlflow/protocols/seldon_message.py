"""Seldon Core's message format (SeldonMessage in JSON), read and written.

A request carries exactly one of ``data`` (``ndarray``, or ``tensor`` with ``shape`` and
``values``; optional ``names``), ``jsonData``, ``strData`` or ``binData`` (base64), and an
optional ``meta`` whose ``puid`` and ``tags`` are echoed. It arrives as the body, a
``json`` form field or a ``json`` query parameter. An answer mirrors the request: numbers
answer ``tensor`` to a tensor and ``ndarray`` to an ndarray; DataFrames answer their values
with ``names``; dicts answer ``jsonData``, str ``strData`` and bytes ``binData``. What the
model gets from a message is :mod:`.seldon`'s.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import numpy as np
import pandas as pd

from ..errors import BadData, RuntimeMLflowError
from .served import ProtocolRequest

DATA_KEYS = ("data", "jsonData", "strData", "binData")


@dataclass(frozen=True)
class Message:
    kind: str
    """Which of ``data``, ``jsonData``, ``strData``, ``binData`` the request used."""
    value: Any
    encoding: str | None = None
    """``tensor`` or ``ndarray`` for ``data``."""
    names: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


def read(request: ProtocolRequest) -> Message:
    """The SeldonMessage in ``request``; BadData says what is wrong with it."""
    document = _document(request)
    if not isinstance(document, dict):
        raise BadData(f"expected a SeldonMessage (a JSON object with one of {', '.join(DATA_KEYS)}); "
                      f"got a JSON {type(document).__name__}")
    kinds = [k for k in DATA_KEYS if k in document]
    if len(kinds) != 1:
        got = ", ".join(kinds) if kinds else f"keys {sorted(document)}"
        raise BadData(f"a SeldonMessage carries exactly one of {', '.join(DATA_KEYS)}; got {got}")
    meta = document.get("meta") or {}
    if not isinstance(meta, dict):
        raise BadData(f"meta must be an object; got {type(meta).__name__}")
    kind = kinds[0]
    value = document[kind]
    if kind == "data":
        return _data(value, meta)
    if kind == "strData" and not isinstance(value, str):
        raise BadData(f"strData must be a string; got {type(value).__name__}")
    if kind == "binData":
        try:
            value = base64.b64decode(value, validate=True)
        except (binascii.Error, TypeError, ValueError) as exc:
            raise BadData(f"binData must be base64; it could not be decoded ({exc})") from exc
    return Message(kind, value, meta=meta)


def respond(message: Message, value: Any, output_names: list[str] | None = None) -> dict[str, Any]:
    """The SeldonMessage answering ``message`` with the model's ``value``; a 2-D array's
    ``names`` are ``output_names`` (e.g. class labels) when they fit, else Seldon's ``t:i``."""
    meta: dict[str, Any] = {}
    if message.meta.get("tags"):
        meta["tags"] = message.meta["tags"]
    if message.meta.get("puid"):
        meta["puid"] = message.meta["puid"]
    if isinstance(value, dict):
        return {"jsonData": _jsonable(value), "meta": meta}
    if isinstance(value, (bytes, bytearray)):
        return {"binData": base64.b64encode(bytes(value)).decode("ascii"), "meta": meta}
    if isinstance(value, str):
        return {"strData": value, "meta": meta}
    array, names = _values(value)
    numeric = array.dtype.kind in "iuf"
    if numeric and (message.encoding == "tensor" or message.kind != "data"):
        data: dict[str, Any] = {"tensor": {"shape": list(array.shape), "values": _jsonable(array.ravel())}}
    else:
        data = {"ndarray": _jsonable(array)}
    if names is None:
        fits = output_names is not None and array.ndim == 2 and len(output_names) == array.shape[1]
        names = output_names if fits else _class_names(array)
    data["names"] = names
    return {"data": data, "meta": meta}


def _document(request: ProtocolRequest) -> Any:
    text: Any = None
    if request.media_type == "application/x-www-form-urlencoded":
        text = parse_qs(request.body.decode("utf-8", "replace")).get("json", [None])[0]
    if text is None and request.body:
        text = request.body  # like Seldon (Flask's get_json(force=True)): JSON whatever the content type
    if text is None:
        text = request.query.get("json")
    if text is None:
        raise BadData("the request carries no SeldonMessage: send JSON as the body, a 'json' form field "
                      "or a 'json' query parameter")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadData(f"the request body is not valid JSON: {exc}") from exc
    except RecursionError:
        raise BadData("the request body is nested too deeply to be read as JSON") from None


def _data(data: Any, meta: dict[str, Any]) -> Message:
    if not isinstance(data, dict):
        raise BadData(f"data must be an object with ndarray or tensor; got {type(data).__name__}")
    names = data.get("names") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise BadData(f"data.names must be a list of strings; got {names!r}")
    if "tensor" in data:
        return Message("data", _tensor(data["tensor"]), "tensor", names, meta)
    if "ndarray" in data:
        values = data["ndarray"]
        if not isinstance(values, list):
            raise BadData(f"data.ndarray must be a list; got {type(values).__name__}")
        return Message("data", values, "ndarray", names, meta)
    if "tftensor" in data:
        raise BadData("data.tftensor is not supported; send data.tensor or data.ndarray")
    raise BadData(f"data carries neither ndarray nor tensor; got keys {sorted(data)}")


def _tensor(tensor: Any) -> list[Any]:
    if not isinstance(tensor, dict) or "shape" not in tensor or "values" not in tensor:
        raise BadData("data.tensor must be an object with shape and values")
    shape, values = tensor["shape"], tensor["values"]
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise BadData(f"data.tensor.shape must be a list of non-negative integers; got {shape!r}")
    if not isinstance(values, list):
        raise BadData(f"data.tensor.values must be a list; got {type(values).__name__}")
    if math.prod(shape) != len(values):
        raise BadData(f"data.tensor.shape {shape} needs {math.prod(shape)} values; got {len(values)}")
    if any(isinstance(v, (list, dict)) for v in values):
        raise BadData("data.tensor.values must be a flat list of numbers")
    nested: list[Any] = np.asarray(values).reshape(shape).tolist()
    return nested


def _values(value: Any) -> tuple[np.ndarray, list[str] | None]:
    """The values to answer and their names (None: Seldon's class names)."""
    if isinstance(value, pd.DataFrame):
        return value.to_numpy(), [str(c) for c in value.columns]
    if isinstance(value, pd.Series):
        return value.to_numpy(), [str(value.name)] if value.name is not None else []
    if isinstance(value, np.ndarray):
        return value, None
    if isinstance(value, (list, tuple)):
        try:
            return np.asarray(value), None
        except ValueError:
            array = np.empty(len(value), dtype=object)
            array[:] = list(value)
            return array, []
    if isinstance(value, (int, float, bool, np.generic)):
        return np.asarray([value]), []
    raise RuntimeMLflowError(f"the model answered a {type(value).__name__}, which a SeldonMessage cannot carry")


def _class_names(array: np.ndarray) -> list[str]:
    return [f"t:{i}" for i in range(array.shape[1])] if array.ndim > 1 else []


def _jsonable(value: Any) -> Any:
    """JSON values for numpy and pandas values; NaN, NaT and NA become null."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "iub":
            return value.tolist()
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, pd.Series)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).isoformat()
    if isinstance(value, np.timedelta64):
        return None if np.isnat(value) else str(pd.Timedelta(value))
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (datetime.datetime, datetime.date, pd.Timestamp)):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return None
    return str(value)
