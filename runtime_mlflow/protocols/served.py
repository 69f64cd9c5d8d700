"""What the protocols need of a loaded model, and of the request they answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from mlflow.types.schema import Schema


@dataclass(frozen=True)
class ProtocolRequest:
    """An HTTP request as the routes pass it to the model's process (it must pickle)."""

    body: bytes = b""
    content_type: str | None = None
    query: dict[str, str] = field(default_factory=dict)
    root: str = "/"
    """The server's root relative to the requested URL (``../../..``), for the API docs' links."""

    @property
    def media_type(self) -> str:
        """The Content-Type without its parameters, lower case (``""`` without one)."""
        return (self.content_type or "").split(";")[0].strip().lower()


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
    inputs: list[dict[str, Any]] = field(default_factory=list)
    """The V2 metadata inputs (name, datatype, shape, parameters), for the API docs."""
    outputs: list[dict[str, Any]] = field(default_factory=list)
    """The V2 metadata outputs (those of ``method``)."""
    content_type: str | None = None
    """The request content type a V2 request should name (``pd``, ``np``, ...), if any."""
    method: str = "predict"
    path: Path | None = None
    """The model's folder (its saved input example is read from there)."""

    @property
    def input_schema(self) -> Schema | None:
        schema: Schema | None = self.model.metadata.get_input_schema()
        return schema

    @property
    def output_schema(self) -> Schema | None:
        schema: Schema | None = self.model.metadata.get_output_schema()
        return schema
