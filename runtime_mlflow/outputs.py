"""Model output -> V2 response outputs whose names, datatypes and ranks match metadata.

The output is split into named arrays by the request codec that accepts it
(DataFrame, Series and list of dicts by ``pd``, dicts by ``dict``, the rest by
``np``). Where metadata lists outputs, unnamed arrays take its names by position,
a single ``[N, k]`` array for k outputs is split, and each array is cast (when no
value changes) and reshaped (adding or dropping a trailing 1) to what it advertises.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from mlserver.logging import logger
from mlserver.types import MetadataTensor, RequestOutput, ResponseOutput

from .codecs import InputCodec, registry, to_dtype
from .codecs.base import columns_of
from .errors import UnknownOutput
from .metadata import OUTPUT_PREFIX

Named = list[tuple[str, np.ndarray, "MetadataTensor | None"]]


def encode_outputs(
    value: Any, specs: Sequence[MetadataTensor] | None, requested: Sequence[RequestOutput] | None
) -> tuple[list[ResponseOutput], str]:
    """The response outputs for ``value`` and the request-level content type it was split by."""
    codec = registry.value_encoder(value)
    named = _align(codec.encode_value(value), list(specs or []))
    if requested:
        named = _select(named, [r.name for r in requested])
    return [_encode(name, array, spec) for name, array, spec in named], codec.content_type


def _align(pairs: list[tuple[str | None, np.ndarray]], specs: list[MetadataTensor]) -> Named:
    if not specs:
        return [(name or f"{OUTPUT_PREFIX}{i}", array, None) for i, (name, array) in enumerate(pairs)]
    by_name = {s.name: s for s in specs}
    if all(name in by_name for name, _ in pairs):
        return [(name, array, by_name[name]) for name, array in pairs if name is not None]  # none is, as checked
    split = columns_of(pairs[0][1], len(specs)) if len(pairs) == 1 and len(specs) > 1 else None
    if split is not None:
        return [(s.name, column, s) for column, s in zip(split, specs)]
    if len(pairs) == len(specs):
        return [(s.name, array, s) for (_, array), s in zip(pairs, specs)]
    logger.warning(
        "model output has %d parts but metadata lists %d outputs (%s); answering the parts as they are",
        len(pairs), len(specs), ", ".join(s.name for s in specs),
    )
    return [(name or f"{OUTPUT_PREFIX}{i}", array, None) for i, (name, array) in enumerate(pairs)]


def _select(named: Named, wanted: list[str]) -> Named:
    by_name = {item[0]: item for item in named}
    unknown = [w for w in wanted if w not in by_name]
    if unknown:
        raise UnknownOutput(
            f"requested output{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
            f"{'do' if len(unknown) > 1 else 'does'} not exist (outputs: {', '.join(map(repr, by_name))})"
        )
    return [by_name[w] for w in wanted]


def _encode(name: str, array: np.ndarray, spec: MetadataTensor | None) -> ResponseOutput:
    codec = None
    if spec is not None:
        array = _to_spec(array, spec)
        hinted = registry.get(spec.parameters.content_type) if spec.parameters and spec.parameters.content_type else None
        if isinstance(hinted, InputCodec) and hinted.can_encode(array):
            codec = hinted
    return (codec or registry.output_encoder(array)).encode(name, array)


def _to_spec(array: np.ndarray, spec: MetadataTensor) -> np.ndarray:
    datatype = str(getattr(spec.datatype, "value", spec.datatype))
    if datatype != "BYTES" and array.dtype.kind in "biuf":
        target = to_dtype(datatype)
        if array.dtype != target and np.can_cast(array.dtype, target, "same_kind"):
            array = array.astype(target)
    rank = len(spec.shape)
    if array.ndim == rank + 1 and array.shape[-1] == 1:
        array = array.reshape(array.shape[:-1])
    elif array.ndim + 1 == rank and spec.shape[-1] == 1:
        array = array.reshape(array.shape + (1,))
    return array
