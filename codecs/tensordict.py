"""``dict``: a request as ``{input name: array}``; dict outputs as one output per key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Sequence

import numpy as np

from .base import Column, RequestCodec
from .ndarray import to_array
from .registry import register_codec


@register_codec
class TensorDictCodec(RequestCodec):
    content_type = "dict"

    def decode_request(self, columns: Sequence[Column]) -> dict[str, np.ndarray]:
        return {c.name: c.array for c in columns}

    def can_encode_value(self, value: Any) -> bool:
        return isinstance(value, Mapping)

    def encode_value(self, value: Any) -> list[tuple[str | None, np.ndarray]]:
        return [(str(name), to_array(item)) for name, item in value.items()]
