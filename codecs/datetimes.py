"""``datetime``: BYTES elements as ISO 8601 text, decoded to ``datetime64``."""

from __future__ import annotations

import numpy as np
import pandas as pd
from mlserver.types import RequestInput, ResponseOutput

from runtime_mlflow.errors import InvalidInput

from .base import InputCodec, response_output, shaped
from .registry import register_codec
from .string import text_elements


@register_codec
class DatetimeCodec(InputCodec):
    content_type = "datetime"

    def decode(self, tensor: RequestInput, dtype: np.dtype | None = None) -> np.ndarray:
        try:
            parsed = pd.to_datetime(pd.Series(text_elements(tensor), dtype=object), format="ISO8601")
        except (ValueError, TypeError, OverflowError) as exc:
            raise InvalidInput(f"input {tensor.name!r} expects ISO 8601 datetimes ({exc})") from None
        return shaped(tensor, parsed.to_numpy())

    def can_encode(self, array: np.ndarray) -> bool:
        if array.dtype.kind == "M":
            return True
        return array.dtype.kind == "O" and pd.api.types.infer_dtype(array.ravel(), skipna=True) == "datetime"

    def encode(self, name: str, array: np.ndarray) -> ResponseOutput:
        index = pd.DatetimeIndex(array.ravel())
        if index.tz is None:
            text = np.datetime_as_string(index.to_numpy(), unit="auto")
        else:
            text = np.datetime_as_string(index.tz_convert("UTC").tz_localize(None).to_numpy(), unit="auto", timezone="UTC")
        data = text.tolist()
        return response_output(name, array, data, self.content_type, datatype="BYTES")
