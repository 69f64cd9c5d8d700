"""The runtime's own model-settings parameters.

Read from ``parameters`` in model-settings.json; each may also sit under
``parameters.extra`` (MLServer's slot for runtime-specific settings)::

    {"name": "wine", "implementation": "runtime_mlflow.MLflowRuntime",
     "parameters": {"uri": "./model", "xtype": "DataFrame"}}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlserver.settings import ModelSettings

from .codecs import RequestCodec, registry
from .errors import ModelLoadError

XTYPES: dict[str, str] = {"ndarray": "np", "dataframe": "pd", "dict": "dict"}
"""Seldon's ``xtype`` values (case-insensitive) and the content type each means."""


@dataclass(frozen=True)
class RuntimeSettings:
    uri: str | None = None
    """Where the MLflow model is: a folder (relative to model-settings.json) or a ``file:`` URI.
    Defaults to the folder holding model-settings.json."""

    content_type: str | None = None
    """Request content type used when a request names none: ``np``, ``pd``, ``dict`` or
    any registered request codec. Set by ``content_type`` (MLServer's name) or ``xtype``
    (Seldon's: ``ndarray``, ``DataFrame``, ``dict``). With a signature the model still
    gets what the signature requires; without one this decides what it gets."""

    @classmethod
    def from_model_settings(cls, settings: ModelSettings) -> RuntimeSettings:
        """Read and check the parameters; raises ModelLoadError naming a bad one."""
        values = _parameters(settings)
        content_type = values.get("content_type")
        xtype = values.get("xtype")
        if xtype is not None:
            from_xtype = XTYPES.get(str(xtype).lower())
            if from_xtype is None:
                raise ModelLoadError(
                    f"model {settings.name!r}: parameter xtype is {xtype!r}; "
                    f"expected one of {', '.join(('ndarray', 'DataFrame', 'dict'))}"
                )
            if content_type is not None and content_type != from_xtype:
                raise ModelLoadError(
                    f"model {settings.name!r}: parameters content_type {content_type!r} and "
                    f"xtype {xtype!r} disagree; set one of them"
                )
            content_type = from_xtype
        if content_type is not None and not isinstance(registry.get(content_type), RequestCodec):
            known = registry.content_types(RequestCodec)
            raise ModelLoadError(
                f"model {settings.name!r}: parameter content_type {content_type!r} is not a "
                f"request content type (known: {', '.join(known)})"
            )
        return cls(uri=values.get("uri"), content_type=content_type)


def _parameters(settings: ModelSettings) -> dict[str, Any]:
    params = settings.parameters
    if params is None:
        return {}
    values: dict[str, Any] = dict(params.extra or {})
    values.update(params.model_extra or {})
    values.update({k: v for k, v in (("uri", params.uri), ("content_type", params.content_type)) if v is not None})
    return values
