"""The runtime's own model-settings parameters.

Read from ``parameters`` in model-settings.json; each may also sit under
``parameters.extra`` (MLServer's slot for runtime-specific settings)::

    {"name": "wine", "implementation": "runtime_mlflow.MLflowRuntime",
     "parameters": {"uri": "./model", "xtype": "DataFrame"}}
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from mlserver.settings import ModelSettings

from .codecs import RequestCodec, registry
from .errors import ModelLoadError

PROCESS_GROUP_VARIABLE = "RUNTIME_MLFLOW_PROCESS_GROUP"
"""The process group of every model that names none (unset: each model has processes of its own)."""

TIMEOUT_VARIABLE = "RUNTIME_MLFLOW_REQUEST_TIMEOUT"
"""Seconds a request may take, for every model that sets no ``request_timeout``; ``none``: no limit."""
DEFAULT_TIMEOUT = 60.0
"""As MLflow's scoring server (``MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT``)."""
INFLIGHT_VARIABLE = "RUNTIME_MLFLOW_MAX_INFLIGHT"
"""Requests each model may hold at once, for every model that sets no ``max_inflight``; ``none``: no cap."""
DEFAULT_MAX_INFLIGHT = 64
"""Twice the heaviest load ``make bench`` puts on one model (32 connections), so no benchmark
or ordinary client pool meets it; and a full queue of 64 requests on a 3 s model, which a
model process answers 6 at a time (its threads on 2 cores), clears in 32 s, inside the
default 60 s timeout: requests refused at once rather than timed out after a minute."""

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

    environment: str | None = None
    """Which Python environment runs the model. Unset (or ``auto``): the model folder's
    ``environment.tar.gz`` if there is one, else the server's own. A path: that conda-pack
    archive (relative to model-settings.json). ``build``: an environment built with uv from
    the model's ``python_env.yaml``, ``requirements.txt`` or ``conda.yaml``. ``none`` (or
    ``false``): the server's own. Ignored when MLServer's ``environment_tarball`` or
    ``environment_path`` is set: MLServer then runs this runtime inside that environment."""

    cache_dir: str | None = None
    """Where unpacked and built environments are kept (relative to model-settings.json);
    defaults to ``$RUNTIME_MLFLOW_CACHE_DIR``, else ``$XDG_CACHE_HOME/runtime-mlflow``,
    else ``~/.cache/runtime-mlflow``."""

    allow_local_python: bool = False
    """With ``environment: build``: if the Python version the model asks for is not on
    this machine, build with the server's Python instead of failing."""

    method: str = "predict"
    """Which method of the model answers: ``predict``, or a public method of the flavor's
    native model (``predict_proba``, ``predict_log_proba``, ``decision_function``,
    ``transform``, ``score_samples``, ...); see :mod:`runtime_mlflow.methods`."""

    process_group: str | None = None
    """Models naming the same process group share their model processes (as MLServer's
    workers are shared by the models of one ``inference_pool_gid``, which is read too): less
    memory per model, but a model that crashes its process takes the group's other models down
    until it is back. Unset: ``$RUNTIME_MLFLOW_PROCESS_GROUP``, else the model has processes of
    its own. See :mod:`runtime_mlflow.hosting.placement`."""

    request_timeout: float | None = DEFAULT_TIMEOUT
    """Seconds a request to the model may take before it is answered 504 (gRPC
    DEADLINE_EXCEEDED); None (``none``): no limit. Unset: ``$RUNTIME_MLFLOW_REQUEST_TIMEOUT``,
    else 60. ``/invocations`` keeps ``MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT`` when it is set."""

    timeout_source: str = f"{TIMEOUT_VARIABLE}'s default"
    """Where ``request_timeout`` came from, for the 504's message."""

    max_inflight: int | None = DEFAULT_MAX_INFLIGHT
    """Requests the model may hold at once (predicting, queued, or still running after a
    timeout); more are refused at once with 503 and ``Retry-After`` (gRPC RESOURCE_EXHAUSTED).
    None (``none``): no cap. Unset: ``$RUNTIME_MLFLOW_MAX_INFLIGHT``, else 64."""

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
        return cls(
            uri=values.get("uri"),
            content_type=content_type,
            environment=_environment(settings.name, values.get("environment")),
            cache_dir=values.get("cache_dir"),
            allow_local_python=_flag(settings.name, "allow_local_python", values.get("allow_local_python", False)),
            method=_method(settings.name, values.get("method")),
            process_group=_group(settings.name, values.get("process_group") or values.get("inference_pool_gid")
                                 or (settings.parameters.inference_pool_gid if settings.parameters else None)
                                 or os.environ.get(PROCESS_GROUP_VARIABLE) or None),
            **_limits(settings.name, values),
        )


def _limits(model: str, values: dict[str, Any]) -> dict[str, Any]:
    """``request_timeout`` (and where it came from) and ``max_inflight``, from the parameters or the variables."""
    if "request_timeout" in values:
        timeout = _seconds(f"model {model!r}: parameter request_timeout", values["request_timeout"])
        source = f"the model's request_timeout of {values['request_timeout']}"
    elif os.environ.get(TIMEOUT_VARIABLE, "").strip():
        timeout = _seconds(TIMEOUT_VARIABLE, os.environ[TIMEOUT_VARIABLE])
        source = f"{TIMEOUT_VARIABLE}={os.environ[TIMEOUT_VARIABLE].strip()}"
    else:
        timeout, source = DEFAULT_TIMEOUT, f"{TIMEOUT_VARIABLE}'s default of {DEFAULT_TIMEOUT:g} s"
    if "max_inflight" in values:
        cap = _count(f"model {model!r}: parameter max_inflight", values["max_inflight"])
    elif os.environ.get(INFLIGHT_VARIABLE, "").strip():
        cap = _count(INFLIGHT_VARIABLE, os.environ[INFLIGHT_VARIABLE])
    else:
        cap = DEFAULT_MAX_INFLIGHT
    return {"request_timeout": timeout, "timeout_source": source, "max_inflight": cap}


def _none(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in ("none", "off", ""))


def _seconds(what: str, value: Any) -> float | None:
    """A positive number of seconds, or None for ``none``; ModelLoadError naming ``what`` otherwise."""
    if _none(value):
        return None
    try:
        seconds = float(value) if not isinstance(value, bool) else -1.0
    except (TypeError, ValueError):
        seconds = -1.0
    if not seconds > 0 or seconds == float("inf"):
        raise ModelLoadError(f"{what} is {value!r}; expected a number of seconds above 0, or none")
    return seconds


def _count(what: str, value: Any) -> int | None:
    """A positive whole number, or None for ``none``; ModelLoadError naming ``what`` otherwise."""
    if _none(value):
        return None
    try:
        count = int(value) if not isinstance(value, (bool, float)) or float(value).is_integer() else 0
    except (TypeError, ValueError):
        count = 0
    if isinstance(value, bool) or count < 1:
        raise ModelLoadError(f"{what} is {value!r}; expected a whole number of requests above 0, or none")
    return count


def _environment(model: str, value: Any) -> str | None:
    if value is None:
        return None
    if value is False:
        return "none"
    if not isinstance(value, str) or not value.strip():
        raise ModelLoadError(
            f"model {model!r}: parameter environment is {value!r}; expected 'auto', 'none', 'build' "
            "or the path of an environment.tar.gz"
        )
    lowered = value.strip().lower()
    if lowered in ("none", "off", "false"):
        return "none"
    if lowered in ("auto", "build"):
        return lowered
    return value


def _group(model: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ModelLoadError(f"model {model!r}: parameter process_group is {value!r}; expected a name")
    return value.strip()


def _method(model: str, value: Any) -> str:
    if value is None:
        return "predict"
    if not isinstance(value, str) or not value.isidentifier() or value.startswith("_"):
        raise ModelLoadError(f"model {model!r}: parameter method is {value!r}; expected the name of a public "
                             "method of the model, such as predict, predict_proba or transform")
    return value


def _flag(model: str, name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ModelLoadError(f"model {model!r}: parameter {name} is {value!r}; expected true or false")


def _parameters(settings: ModelSettings) -> dict[str, Any]:
    params = settings.parameters
    if params is None:
        return {}
    values: dict[str, Any] = dict(params.extra or {})
    values.update(params.model_extra or {})
    values.update({k: v for k, v in (("uri", params.uri), ("content_type", params.content_type)) if v is not None})
    return values
