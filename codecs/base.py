"""The two kinds of codec and the helpers they share.

An :class:`InputCodec` turns one V2 tensor into one numpy array and back. A
:class:`RequestCodec` combines the decoded tensors of a request into what a model
takes (an array, a DataFrame, a dict of arrays) and splits a model's output into
named arrays. A codec may be both (``np`` is).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Iterable, Sequence

import numpy as np
from mlserver.types import Parameters, RequestInput, ResponseOutput

from runtime_mlflow.errors import InvalidInput

from .datatypes import to_datatype


@dataclass(frozen=True)
class Column:
    """One decoded input: its name, the V2 datatype it arrived as, and its values."""

    name: str
    datatype: str
    array: np.ndarray


class InputCodec:
    """Decodes one V2 tensor into a numpy array shaped as the tensor; encodes the inverse."""

    content_type: ClassVar[str]
    fallback: ClassVar[bool] = False
    """A fallback encoder is tried only after every other codec declined an output."""

    def decode(self, tensor: RequestInput, dtype: np.dtype | None = None) -> np.ndarray:
        """The tensor's values shaped as ``tensor.shape``. ``dtype`` is what the model wants,
        when known: a codec that can read values straight into it should (a hint only)."""
        raise NotImplementedError

    def can_encode(self, array: np.ndarray) -> bool:
        raise NotImplementedError

    def encode(self, name: str, array: np.ndarray) -> ResponseOutput:
        raise NotImplementedError


class RequestCodec:
    """Combines decoded inputs into a model input; splits a model output into named arrays."""

    content_type: ClassVar[str]
    fallback: ClassVar[bool] = False
    """A fallback encoder is tried only after every other codec declined an output."""

    def decode_request(self, columns: Sequence[Column]) -> Any:
        raise NotImplementedError

    def can_encode_value(self, value: Any) -> bool:
        raise NotImplementedError

    def encode_value(self, value: Any) -> list[tuple[str | None, np.ndarray]]:
        """Split ``value`` into ``(name, array)`` pairs; ``None`` names are filled in later."""
        raise NotImplementedError


def datatype_of(tensor: RequestInput) -> str:
    """The tensor's V2 datatype as a plain string."""
    return str(getattr(tensor.datatype, "value", tensor.datatype))


def element_count(shape: Iterable[int]) -> int:
    return math.prod(shape)


def flat_elements(tensor: RequestInput) -> list[Any]:
    """The tensor's data as one flat list, whether it arrived flat or nested."""
    data = tensor.data.root
    if isinstance(data, np.ndarray):  # a large request's numbers (see protocols.v2_body)
        return data.ravel().tolist()
    if not isinstance(data, list):
        return [data]
    if data and isinstance(data[0], list):
        return _flatten(data)
    return data


def _flatten(data: list[Any]) -> list[Any]:
    out: list[Any] = []
    stack = [iter(data)]
    while stack:
        for item in stack[-1]:
            if isinstance(item, list):
                stack.append(iter(item))
                break
            out.append(item)
        else:
            stack.pop()
    return out


def shaped(tensor: RequestInput, array: np.ndarray) -> np.ndarray:
    """Reshape the flat ``array`` to the tensor's shape; raises InvalidInput on a size mismatch.

    A request's shape is what it sends: -1 (a free dimension) belongs in metadata only.
    """
    shape = list(tensor.shape)
    if any(not isinstance(d, int) or d < 0 for d in shape):
        raise InvalidInput(
            f"input {tensor.name!r} has shape {shape}; a request's dimensions are whole numbers, 0 or more "
            "(-1 marks a free dimension in metadata, not in a request)"
        )
    expected = element_count(shape)
    if array.size != expected:
        raise InvalidInput(
            f"input {tensor.name!r} has shape {shape} ({expected} elements) "
            f"but {array.size} data elements arrived"
        )
    return array.reshape(shape)


def as_column(array: np.ndarray) -> np.ndarray:
    """``[N, 1]`` as ``[N]``; any other shape as it is."""
    return array.reshape(-1) if array.ndim == 2 and array.shape[1] == 1 else array


def columns_of(array: np.ndarray, count: int) -> list[np.ndarray] | None:
    """The ``count`` columns of an ``[N, count]`` array (views), or None if it is not one."""
    if array.ndim != 2 or array.shape[1] != count:
        return None
    return [array[:, i] for i in range(count)]


def object_array(values: Sequence[Any]) -> np.ndarray:
    """A 1-D object array of ``values`` (lists stay elements, never become a dimension)."""
    return np.fromiter(values, dtype=object, count=len(values))


def response_output(
    name: str, array: np.ndarray, data: list[Any], content_type: str | None = None, datatype: str | None = None
) -> ResponseOutput:
    return ResponseOutput(
        name=name,
        shape=list(array.shape),
        datatype=datatype or to_datatype(array.dtype),
        parameters=Parameters(content_type=content_type) if content_type else None,
        data=data,
    )
