"""``json``: each BYTES element is one JSON document (MLflow Array, Object, Map and Any columns).

``pd_json`` is the same codec under the name MLServer's MLflow runtime advertises.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import numpy as np
from mlserver.types import RequestInput, ResponseOutput

from runtime_mlflow.errors import InvalidInput

from .base import InputCodec, object_array, response_output, shaped
from .registry import register_codec
from .string import text_elements


def _default(value: Any) -> Any:
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_dumps = partial(json.dumps, default=_default)


@register_codec
class JsonCodec(InputCodec):
    content_type = "json"
    fallback = True

    def decode(self, tensor: RequestInput, dtype: np.dtype | None = None) -> np.ndarray:
        texts = text_elements(tensor)
        try:
            # one parse for the whole tensor; an element that is not exactly one
            # document changes the count and is found by the per-element pass below
            values = json.loads("[" + ",".join(texts) + "]") if all(texts) else None
        except json.JSONDecodeError:
            values = None
        if values is None or len(values) != len(texts):
            values = [self._parse(tensor.name, i, text) for i, text in enumerate(texts)]
        return shaped(tensor, object_array(values))

    @staticmethod
    def _parse(name: str, index: int, text: str) -> Any:
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"input {name!r} expects one JSON document per element; element {index} is not ({exc})") from None

    def can_encode(self, array: np.ndarray) -> bool:
        return array.dtype.kind == "O"

    def encode(self, name: str, array: np.ndarray) -> ResponseOutput:
        data = list(map(_dumps, array.ravel().tolist()))
        return response_output(name, array, data, self.content_type, datatype="BYTES")


@register_codec
class PandasJsonCodec(JsonCodec):
    """Decodes like ``json``; never chosen for outputs, which are labelled ``json``."""

    content_type = "pd_json"

    def can_encode(self, array: np.ndarray) -> bool:
        return False
