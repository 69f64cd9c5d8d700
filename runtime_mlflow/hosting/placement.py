"""Where a model of this runtime runs: in the server's process, or in model processes.

* With MLServer's ``parallel_workers`` at 0 (in settings.json, ``MLSERVER_PARALLEL_WORKERS``,
  or the deprecated model-level field), a model runs in MLServer's main process, as MLServer
  runs every model then: no isolation, no hop.
* Under MLServer's own ``environment_tarball``/``environment_path``, MLServer runs the
  runtime in a worker of that environment; the model runs there, in that worker.
* Otherwise a model runs in model processes forked from its environment's template
  (:mod:`.templates`): ``parallel_workers`` of them (MLServer's default, 1), holding that model
  only. Models naming the same process group (the ``process_group`` parameter, MLServer's
  ``inference_pool_gid``, or ``RUNTIME_MLFLOW_PROCESS_GROUP`` for every model that names none)
  share their processes instead, as MLServer's pools share workers: cheaper, but one model
  that crashes its process takes the others of its group down until it is back.
* A model with an environment of its own runs in model processes of that environment
  whatever ``parallel_workers`` is (one, if it is 0): the server's Python cannot run it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Placement:
    here: bool
    """Whether the model runs in this process."""
    env: Path | None = None
    """The environment folder of its processes (None: the server's own)."""
    group: str = ""
    """Its process group: models with the same ``(env, group)`` share processes."""
    replicas: int = 1
    """How many processes the group has."""

    @property
    def key(self) -> tuple[str, str]:
        return str(self.env or ""), self.group


HERE = Placement(here=True)


def place(unique: str, workers: int | None, native: bool, env: Path | None, group: str | None) -> Placement:
    """The placement of one model.

    ``unique``: a group name no other model has; ``workers``: MLServer's ``parallel_workers``
    for it (None: the runtime was made outside MLServer's server, and runs the model itself);
    ``native``: MLServer runs it in its own environment; ``env``: the model's own environment
    folder, if any; ``group``: the process group it names, if any.
    """
    if native or (env is None and not workers):
        return HERE
    return Placement(False, env, f"group:{group}" if group else unique, max(1, workers or 1))
