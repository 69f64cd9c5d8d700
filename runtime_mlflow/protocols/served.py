"""What the protocols need of a loaded model, and of the request they answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from mlflow.types.schema import Schema


@dataclass(frozen=True)
class ProtocolRequest:
    """An HTTP request as the routes pass it to the model's process (it must pickle)."""

    body: bytes = b""
    content_type: str | None = None
    query: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Served:
    """A loaded model as the protocols see it."""

    name: str
    version: str | None
    model: Any
    """The pyfunc model, or the stand-in for one in its own process: ``predict`` and ``metadata``."""
    predict: Callable[[Any, "dict[str, Any] | None"], Any]
    """The runtime's predict: raises the runtime's errors (400 for the client's, else 500/503)."""
    xtype: str | None
    """``np``, ``pd`` or ``dict`` when model-settings chose what the model receives, else None."""
    mlflow_version: str
    """The MLflow the model runs with (its environment's, when it has one)."""
    output_names: list[str] | None = None
    """Names of the columns of a 2-D answer (the class labels of ``predict_proba``), if known."""

    @property
    def input_schema(self) -> Schema | None:
        return self.model.metadata.get_input_schema()

    @property
    def output_schema(self) -> Schema | None:
        return self.model.metadata.get_output_schema()
