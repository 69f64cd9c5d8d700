"""``str``: BYTES elements as UTF-8 text."""

from __future__ import annotations

import numpy as np
import pandas as pd
from mlserver.types import RequestInput, ResponseOutput

from runtime_mlflow.errors import InvalidInput

from .base import InputCodec, flat_elements, object_array, response_output, shaped
from .registry import register_codec


def text_elements(tensor: RequestInput) -> list[str]:
    """The tensor's elements as ``str``: JSON strings as they are, gRPC bytes decoded as UTF-8."""
    elements = flat_elements(tensor)
    kind = pd.api.types.infer_dtype(elements, skipna=False)
    if kind in ("string", "empty"):
        return elements
    if kind == "bytes":
        try:
            return list(map(bytes.decode, elements))
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                f"input {tensor.name!r} expects UTF-8 text; byte {exc.start} of an element is not UTF-8 "
                "(send binary data with content type 'base64')"
            ) from None
    raise InvalidInput(f"input {tensor.name!r} expects string elements; {kind} data arrived")


@register_codec
class StringCodec(InputCodec):
    content_type = "str"

    def decode(self, tensor: RequestInput, dtype: np.dtype | None = None) -> np.ndarray:
        return shaped(tensor, object_array(text_elements(tensor)))

    def can_encode(self, array: np.ndarray) -> bool:
        if array.dtype.kind in "UT":
            return True
        return array.dtype.kind == "O" and pd.api.types.infer_dtype(array.ravel(), skipna=True) in ("string", "empty")

    def encode(self, name: str, array: np.ndarray) -> ResponseOutput:
        data = array.ravel().tolist()
        return response_output(name, array, data, self.content_type, datatype="BYTES")
