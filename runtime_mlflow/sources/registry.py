"""Models tracked by MLflow: ``runs:/``, ``models:/`` and the artifact proxy, with MLflow's own clients.

``models:/<name>/<version>``, ``models:/<name>@<alias>`` and ``models:/<name>/latest``
are resolved to one version first (against ``MLFLOW_REGISTRY_URI``, else
``MLFLOW_TRACKING_URI``), so the cache key and the model metadata name the version that
is served; an alias that moves is picked up at the next load. MLflow 3's
``models:/<model_id>`` names one logged model. ``runs:/<run_id>/<path>``
is checked against the tracking server. ``mlflow-artifacts:/...`` and ``http(s)://``
artifact-proxy URLs are listed through MLflow's artifact repository.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from .. import extras
from ..errors import SourceRefused
from ..infra.cache import key_of

_MODELS = re.compile(r"^models:/(?P<name>[^/@]+)(?:/(?P<version>[^/]+)|@(?P<alias>[^/]+))/?(?P<rest>.*)$")
_LOGGED = re.compile(r"^models:/(?P<model_id>m-[0-9a-f]+)/?$")
_RUNS = re.compile(r"^runs:/(?P<run_id>[^/]+)/?(?P<path>.*)$")


@dataclass(frozen=True)
class Resolved:
    """A tracked model pinned to what exactly will be downloaded."""

    download_uri: str
    key: str
    described: dict[str, Any] = field(default_factory=dict)
    store: str = ""
    """Where the artifacts are kept (``s3://...``, ``mlflow-artifacts:/...``), if known."""


def resolve(uri: str) -> Resolved:
    """Pin ``uri`` to one registry version or run; SourceRefused if it does not exist."""
    if uri.startswith("models:"):
        return _model_version(uri)
    if uri.startswith("runs:"):
        return _run(uri)
    return _artifacts(uri)


def download(resolved: Resolved, folder: Path) -> None:
    # MLflow reports a runs:/ download that failed for want of the store's SDK as a wrong path
    scheme = urlsplit(resolved.store).scheme
    extras.need_scheme(scheme, f"its artifact store ({scheme}://)")
    mlflow.artifacts.download_artifacts(artifact_uri=resolved.download_uri, dst_path=str(folder))


def permanent(exc: BaseException) -> str | None:
    if isinstance(exc, MlflowException) and exc.error_code in (
        "RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "PERMISSION_DENIED", "UNAUTHENTICATED", "BAD_REQUEST",
    ):
        return exc.message
    return None


def _model_version(uri: str) -> Resolved:
    logged = _LOGGED.match(uri)
    if logged is not None:  # MLflow 3: a logged model by id, registered or not
        try:
            model = mlflow.get_logged_model(logged["model_id"])
        except MlflowException as exc:
            if permanent(exc):
                raise SourceRefused(exc.message) from exc
            raise
        return Resolved(uri, key_of("logged", mlflow.get_tracking_uri(), model.model_id),
                        {"model_id": model.model_id, "run_id": model.source_run_id or ""},
                        model.artifact_location or "")
    match = _MODELS.match(uri)
    if match is None:
        raise SourceRefused(
            f"{uri!r} is not models:/<name>/<version>, models:/<name>@<alias>, models:/<name>/latest or models:/<model_id>"
        )
    name, version, alias, rest = match["name"], match["version"], match["alias"], match["rest"]
    client = MlflowClient()
    try:
        if alias is not None:
            found = client.get_model_version_by_alias(name, alias)
        elif version.lower() == "latest":
            versions = client.search_model_versions(f"name = '{name}'")
            if not versions:
                raise SourceRefused(f"registered model {name!r} has no versions")
            found = max(versions, key=lambda v: int(v.version))
        else:
            found = client.get_model_version(name, version)
        store = client.get_model_version_download_uri(name, found.version)
    except MlflowException as exc:
        if permanent(exc):
            raise SourceRefused(exc.message) from exc
        raise
    registry = mlflow.get_registry_uri()
    described = {"registered_model": name, "registered_version": str(found.version), "run_id": found.run_id}
    if alias is not None:
        described["alias"] = alias
    suffix = f"/{rest}" if rest else ""
    key = key_of("models", registry, name, str(found.version), rest)
    return Resolved(f"models:/{name}/{found.version}{suffix}", key, described, store or "")


def _run(uri: str) -> Resolved:
    match = _RUNS.match(uri)
    if match is None:
        raise SourceRefused(f"{uri!r} is not runs:/<run_id>/<path>")
    try:
        run = MlflowClient().get_run(match["run_id"])
    except MlflowException as exc:
        if permanent(exc):
            raise SourceRefused(exc.message) from exc
        raise
    return Resolved(uri, key_of("runs", mlflow.get_tracking_uri(), match["run_id"], match["path"]),
                    {"run_id": match["run_id"]}, run.info.artifact_uri or "")


def _artifacts(uri: str) -> Resolved:
    from mlflow.artifacts import list_artifacts

    listed: list[tuple[str, int]] = []

    def walk(path: str | None) -> None:
        for info in list_artifacts(artifact_uri=uri, **({"artifact_path": path} if path else {})):
            if info.is_dir:
                walk(info.path)
            else:
                listed.append((info.path, int(info.file_size or 0)))

    walk(None)
    if not listed:
        raise SourceRefused(f"no artifacts under {uri}")
    return Resolved(uri, key_of("artifacts", uri, json.dumps(sorted(listed))), {})
