"""A V2 inference request body into an :class:`InferenceRequest`, numbers straight into numpy.

Parsed with orjson, a 10,000-row request (11 FP64 columns) becomes 110,000 Python floats
(1.6 ms) that the codecs then copy into arrays (1.0 ms), and that MLServer pickles one by
one to its worker. Large bodies are parsed with simdjson instead, whose documents hand
a flat numeric array over as one buffer of doubles or int64s (0.9 ms for the same body,
both steps): the request's ``data`` is then an array, which the codecs take as is and
which crosses to a worker as one buffer.

The arrays hold exactly what the Python lists would have held. That path is taken only
when it is provably the same request; anything else goes through orjson and pydantic,
whose answers (and errors) are unchanged:

* the body is a JSON object whose keys, and every input's keys, are distinct (JSON allows
  duplicates, and parsers differ on which one wins);
* every input's datatype is FP64, FP32 or INT64, and its ``data`` is a flat array of
  numbers of that kind: simdjson refuses a string, a boolean or a null in a typed buffer,
  a fraction in an int64 one, and a number beyond the type's range;
* the body holds no ``[`` but those of ``inputs``, each input's ``shape`` and ``data``,
  and ``outputs``. A nested or ragged ``data`` (which a typed buffer would flatten) has
  more, and so does a ``[`` inside any string.

Both parsers read numbers with correct rounding, so a decimal gives the same double.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import orjson
import simdjson
from mlserver.types import InferenceRequest, TensorData
from pydantic import ValidationError

# Below this size orjson, pydantic and the codecs' copy into arrays are as fast
# (measured on the wine request, parse and decode: the crossover is near 14 KB, 250 rows).
SIMDJSON_FROM_BYTES = 16 * 1024

_BUFFERS: dict[str, tuple[Literal["d", "i"], type[np.generic]]] = {
    "FP64": ("d", np.float64), "FP32": ("d", np.float64), "INT64": ("i", np.int64)}


class NotARequest(Exception):
    """The body is not a V2 inference request; the message says where and why."""


def parse_request(body: bytes, arrays: bool = True) -> InferenceRequest:
    """The V2 request in ``body``; raises NotARequest naming the field at fault.

    With ``arrays``, large numeric data may arrive as numpy arrays. MLServer's response
    cache keys a request by its JSON, which pydantic cannot make of an array: with the
    cache on, pass ``arrays=False``.
    """
    if arrays and len(body) >= SIMDJSON_FROM_BYTES:
        request = _with_arrays(body)
        if request is not None:
            return request
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise NotARequest(f"the body is not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise NotARequest(f"the body must be a JSON object (a V2 inference request); a {_kind(value)} arrived")
    return _validated(value)


def _validated(value: dict[str, Any]) -> InferenceRequest:
    try:
        return InferenceRequest.model_validate(value)
    except ValidationError as exc:
        raise NotARequest("the body is not a V2 inference request: " + "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}{_arrived(e)}" for e in exc.errors(include_url=False)
        )) from None


def _arrived(error: Any) -> str:
    """What arrived where pydantic found a wrong value (not a missing one), shortened."""
    if error.get("type") == "missing" or "input" not in error:
        return ""
    value = error["input"]
    if isinstance(value, (dict, list)):
        return f" (a JSON {'object' if isinstance(value, dict) else 'array'} arrived)"
    shown = repr(value)
    return f" ({shown if len(shown) <= 40 else shown[:37] + '...'} arrived)"


def _kind(value: object) -> str:
    return {list: "JSON array", str: "JSON string", bool: "JSON boolean", type(None): "JSON null"}.get(
        type(value), "JSON number")


def _with_arrays(body: bytes) -> InferenceRequest | None:
    """The request with each input's data as an array, or None where that is not provably it."""
    try:
        document = simdjson.Parser().parse(body)
    except (ValueError, UnicodeDecodeError, TypeError, RuntimeError):  # RuntimeError: too deep, too big
        return None  # orjson reports the error
    if not isinstance(document, simdjson.Object) or not _distinct(document):
        return None
    inputs = document.get("inputs")
    outputs = document.get("outputs")
    if not isinstance(inputs, simdjson.Array):
        return None
    brackets = 1 + isinstance(outputs, simdjson.Array)
    request: dict[str, Any] = {key: _python(document[key]) for key in document.keys() if key != "inputs"}
    tensors, arrays = [], []
    for item in inputs:
        if not isinstance(item, simdjson.Object) or not _distinct(item):
            return None
        datatype, data = item.get("datatype"), item.get("data")
        kind = _BUFFERS.get(datatype) if isinstance(datatype, str) else None
        if kind is None or not isinstance(data, simdjson.Array):
            return None
        try:
            arrays.append(np.frombuffer(data.as_buffer(of_type=kind[0]), dtype=kind[1]))
        except (TypeError, ValueError):
            return None  # not all numbers of that kind
        brackets += 1 + isinstance(item.get("shape"), simdjson.Array)
        tensors.append({key: _python(item[key]) for key in item.keys() if key != "data"} | {"data": []})
    if body.count(b"[") != brackets:
        return None  # nested data, or a bracket in a string: orjson decides
    request["inputs"] = tensors
    try:
        parsed = _validated(request)
    except NotARequest:
        return None  # reported as orjson's path reports it
    for tensor, array in zip(parsed.inputs, arrays):
        tensor.data = TensorData.model_construct(root=array)
    return parsed


def _distinct(value: simdjson.Object) -> bool:
    keys = list(value.keys())
    return len(keys) == len(set(keys))


def _python(value: Any) -> Any:
    if isinstance(value, simdjson.Object):
        return value.as_dict()
    if isinstance(value, simdjson.Array):
        return value.as_list()
    return value
