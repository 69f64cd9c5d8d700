"""Keeping a model of this runtime in MLServer's main process, whatever ``parallel_workers`` is.

The runtime places its models itself (:mod:`runtime_mlflow.hosting.placement`): in model
processes forked from a warm template, or in the main process. MLServer's worker pools are
not used for them: each worker is a fresh interpreter (about 200 MiB and 3 s here), and in
the main process the model's readiness is the one MLServer reports, and the runtime's own
endpoints stay reachable. MLServer's only switch for this is the deprecated model-level
``parallel_workers: 0``; its deprecation warning is silenced for the models this module
places, since the user did not set it. The value the user did set, if any, is handed back.
"""

from __future__ import annotations

import logging
import warnings

from mlserver.context import model_name_var
from mlserver.settings import ModelSettings

WRITTEN_FOR = "mlserver 1.7.1"

_placed: set[str] = set()
_DEPRECATION = "DEPRECATED!! The `parallel_workers` setting at the model-level"


class _QuietPlacement(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (model_name_var.get("") in _placed and str(record.msg).startswith(_DEPRECATION))


_filter = _QuietPlacement()


def load_in_main_process(settings: ModelSettings) -> int | None:
    """Keep this model out of MLServer's worker pools; the model-level ``parallel_workers`` its
    settings had (None: unset)."""
    _placed.add(settings.name)
    for name in ("mlserver", "mlserver.parallel"):  # the warning comes from mlserver.parallel
        logger = logging.getLogger(name)
        if _filter not in logger.filters:
            logger.addFilter(_filter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # pydantic flags the deprecated field
        own: int | None = settings.parallel_workers
        settings.parallel_workers = 0
    return own
