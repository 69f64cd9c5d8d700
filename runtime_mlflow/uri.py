"""Where a model's files are: ``parameters.uri`` resolved to a local MLflow model folder."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse, urlsplit

from mlserver.settings import ModelSettings

from .compat.model_settings import settings_folder
from .errors import ModelLoadError

SUPPORTED = "a local path, file:, s3://, gs://, http(s)://, runs:/, models:/ or mlflow-artifacts:/"
REMOTE_SCHEMES = ("s3", "gs", "http", "https", "runs", "models", "mlflow-artifacts")
"""The schemes :mod:`runtime_mlflow.sources` downloads from."""


def is_remote(uri: str | None) -> bool:
    return bool(uri) and urlsplit(uri).scheme in REMOTE_SCHEMES


def resolve_model_path(settings: ModelSettings, uri: str | None) -> Path:
    """The folder holding the model's ``MLmodel`` file; raises ModelLoadError saying why not.

    A relative path is relative to the folder of model-settings.json; no ``uri`` means
    that folder itself.
    """
    base = settings_folder(settings)
    if not uri:
        path = base
    else:
        parsed = urlparse(uri)
        if parsed.scheme == "file":
            path = Path(unquote(parsed.path))
        elif parsed.scheme and len(parsed.scheme) > 1:  # one letter is a Windows drive
            raise ModelLoadError(
                f"model {settings.name!r}: URI {uri!r} uses the {parsed.scheme!r} scheme, "
                f"which this runtime does not read ({SUPPORTED} is needed)"
            )
        else:
            path = Path(os.path.expanduser(uri))
        if not path.is_absolute():
            path = base / path
    if path.is_file() and path.name == "MLmodel":
        path = path.parent
    if not path.exists():
        raise ModelLoadError(f"model {settings.name!r}: {path} does not exist (uri {uri!r})")
    if not (path / "MLmodel").is_file():
        raise ModelLoadError(f"model {settings.name!r}: {path} is not an MLflow model (it has no MLmodel file)")
    return path

