"""The codec registry: content type -> codec, one verb to add one.

Another package adds a content type by decorating its codec class with
:func:`register_codec` and naming the module (or class) in the
``runtime_mlflow.codecs`` entry-point group, which the runtime loads when a model
loads. Registering a content type that is already taken raises
:class:`CodecAlreadyRegistered` instead of silently replacing the codec.
"""

from __future__ import annotations

import inspect
from importlib.metadata import entry_points
from typing import Callable, Iterator, TypeVar

import numpy as np

from runtime_mlflow.errors import CodecAlreadyRegistered, CodecError

from .base import InputCodec, RequestCodec

Codec = InputCodec | RequestCodec
C = TypeVar("C", bound=type)
K = TypeVar("K", InputCodec, RequestCodec)

ENTRY_POINT_GROUP = "runtime_mlflow.codecs"


class CodecRegistry:
    """Codecs by content type, in registration order."""

    def __init__(self) -> None:
        self._codecs: dict[str, Codec] = {}
        self._loaded_entry_points: set[str] = set()

    def register(self, codec: Codec) -> Codec:
        """Add ``codec`` under its ``content_type``; raises CodecAlreadyRegistered if taken."""
        content_type = getattr(codec, "content_type", None)
        if not isinstance(content_type, str) or not content_type:
            raise CodecError(f"codec {type(codec).__name__} has no content_type")
        if not isinstance(codec, (InputCodec, RequestCodec)):
            raise CodecError(f"{type(codec).__name__} is neither an InputCodec nor a RequestCodec")
        taken = self._codecs.get(content_type)
        if taken is not None:
            raise CodecAlreadyRegistered(
                f"content type {content_type!r} is already registered "
                f"(by {type(taken).__module__}.{type(taken).__name__})"
            )
        self._codecs[content_type] = codec
        return codec

    def unregister(self, content_type: str) -> None:
        self._codecs.pop(content_type, None)

    def get(self, content_type: str) -> Codec | None:
        return self._codecs.get(content_type)

    def __contains__(self, content_type: object) -> bool:
        return content_type in self._codecs

    def __iter__(self) -> Iterator[str]:
        return iter(self._codecs)

    def content_types(self, kind: type) -> list[str]:
        """Registered content types whose codec is a ``kind`` (InputCodec or RequestCodec)."""
        return [ct for ct, codec in self._codecs.items() if isinstance(codec, kind)]

    def request_codec(self, content_type: str) -> RequestCodec:
        """The request codec registered for ``content_type`` (CodecError if there is none)."""
        codec = self._codecs.get(content_type)
        if not isinstance(codec, RequestCodec):
            raise CodecError(f"no request codec for content type {content_type!r}")
        return codec

    def input_codec(self, content_type: str) -> InputCodec:
        """The input codec registered for ``content_type`` (CodecError if there is none)."""
        codec = self._codecs.get(content_type)
        if not isinstance(codec, InputCodec):
            raise CodecError(f"no input codec for content type {content_type!r}")
        return codec

    def output_encoder(self, array: np.ndarray) -> InputCodec:
        """The input codec that encodes ``array``: latest registered first, fallbacks last."""
        return self._first(InputCodec, lambda codec: codec.can_encode(array), f"an array of dtype {array.dtype}")

    def value_encoder(self, value: object) -> RequestCodec:
        """The request codec that splits a model output ``value`` into named arrays."""
        return self._first(RequestCodec, lambda codec: codec.can_encode_value(value), type(value).__name__)

    def _first(self, kind: type[K], accepts: Callable[[K], bool], what: str) -> K:
        candidates = [c for c in reversed(self._codecs.values()) if isinstance(c, kind)]
        for codec in sorted(candidates, key=lambda c: c.fallback):
            if accepts(codec):
                return codec
        raise CodecError(f"no codec can encode {what}")

    def snapshot(self) -> dict[str, Codec]:
        return dict(self._codecs)

    def restore(self, snapshot: dict[str, Codec]) -> None:
        """Put back a :meth:`snapshot`, in place (module-level references stay valid)."""
        self._codecs.clear()
        self._codecs.update(snapshot)

    def load_entry_points(self) -> None:
        """Import the codecs other packages declare in the ``runtime_mlflow.codecs`` group.

        An entry point may name a module (whose ``@register_codec`` decorators run on
        import) or a codec class (registered here). Each is loaded once.
        """
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.value in self._loaded_entry_points:
                continue
            self._loaded_entry_points.add(ep.value)
            try:
                loaded = ep.load()
            except Exception as exc:
                raise CodecError(f"codec entry point {ep.name!r} ({ep.value}) failed to load: {exc}") from exc
            already = any(type(codec) is loaded for codec in self._codecs.values())
            if inspect.isclass(loaded) and issubclass(loaded, (InputCodec, RequestCodec)) and not already:
                self.register(loaded())


registry = CodecRegistry()


def register_codec(cls: C) -> C:
    """Class decorator: register an instance of ``cls`` in the default registry."""
    registry.register(cls())
    return cls
