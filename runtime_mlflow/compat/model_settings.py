"""Where a model's ``model-settings.json`` was read from.

MLServer 1.7.1 keeps it in the private ``ModelSettings._source`` (its own relative URIs and
``implementation`` imports are resolved against that folder); there is no public accessor.
"""

from __future__ import annotations

from pathlib import Path

from mlserver.settings import ModelSettings

WRITTEN_FOR = "mlserver 1.7.1"


def settings_folder(settings: ModelSettings) -> Path:
    """The folder of the model's model-settings.json (the current folder if it has none)."""
    source = settings._source
    return Path(source).parent if source else Path.cwd()
