"""``base64``: BYTES elements carried as base64 text, decoded to ``bytes``."""

from __future__ import annotations

import base64
import binascii
from functools import partial

import numpy as np
import pandas as pd
from mlserver.types import RequestInput, ResponseOutput

from runtime_mlflow.errors import InvalidInput

from .base import InputCodec, flat_elements, object_array, response_output, shaped
from .registry import register_codec

_b64decode = partial(base64.b64decode, validate=True)
_b64encode = partial(binascii.b2a_base64, newline=False)


@register_codec
class Base64Codec(InputCodec):
    content_type = "base64"

    def decode(self, tensor: RequestInput, dtype: np.dtype | None = None) -> np.ndarray:
        try:
            decoded = list(map(_b64decode, flat_elements(tensor)))
        except (binascii.Error, ValueError, TypeError) as exc:
            raise InvalidInput(f"input {tensor.name!r} expects base64 elements ({exc})") from None
        return shaped(tensor, object_array(decoded))

    def can_encode(self, array: np.ndarray) -> bool:
        if array.dtype.kind == "S":
            return True
        return array.dtype.kind == "O" and pd.api.types.infer_dtype(array.ravel(), skipna=True) == "bytes"

    def encode(self, name: str, array: np.ndarray) -> ResponseOutput:
        data = list(map(bytes.decode, map(_b64encode, array.ravel().tolist())))
        return response_output(name, array, data, self.content_type, datatype="BYTES")
