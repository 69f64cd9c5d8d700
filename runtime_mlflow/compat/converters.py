"""A wrapper in place of one of MLServer's gRPC converter classes.

MLServer 1.7.1's servicer (``mlserver.grpc.servicers``) calls its converters' static methods
through the module's names (``ModelInferRequestConverter``, ``ModelInferResponseConverter``)
at every call, so an object put under that name is what the servicer uses from then on.
A :class:`Wrapper` answers what it overrides and hands every other attribute to the class
it wraps.
"""

from __future__ import annotations

from typing import Any

from mlserver.grpc import servicers

WRITTEN_FOR = "mlserver 1.7.1"


class Wrapper:
    """Wraps the converter class named ``NAME`` in ``mlserver.grpc.servicers``."""

    NAME = ""

    def __init__(self, converter: Any) -> None:
        self._converter = converter

    def __getattr__(self, name: str) -> Any:
        return getattr(self._converter, name)

    @classmethod
    def install(cls) -> None:
        """Put a wrapper of the converter under its name in the servicer's module (once)."""
        if not cls.engaged():
            setattr(servicers, cls.NAME, cls(getattr(servicers, cls.NAME)))

    @classmethod
    def engaged(cls) -> bool:
        return isinstance(getattr(servicers, cls.NAME), cls)
