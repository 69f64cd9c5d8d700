"""Where a model runs, by MLServer's parallel_workers, its own environment and its process group."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime_mlflow.hosting.placement import HERE, Placement, place

ENV = Path("/envs/abc")


@pytest.mark.parametrize(("workers", "native", "env", "group", "expected"), [
    (None, False, None, None, HERE),  # made outside MLServer's server: the runtime runs it itself
    (0, False, None, "g", HERE),  # parallel_workers 0: in MLServer's main process, group or not
    (1, True, ENV, "g", HERE),  # MLServer's own environment_tarball worker runs it
    (1, False, None, None, Placement(False, None, "u", 1)),  # the default: a process of its own
    (3, False, None, None, Placement(False, None, "u", 3)),
    (2, False, None, "g", Placement(False, None, "group:g", 2)),  # a process group shares processes
    (0, False, ENV, None, Placement(False, ENV, "u", 1)),  # its own environment: a process, even at 0
    (None, False, ENV, "g", Placement(False, ENV, "group:g", 1)),
    (4, False, ENV, None, Placement(False, ENV, "u", 4)),
])
def test_place(workers, native, env, group, expected):
    assert place("u", workers, native, env, group) == expected


def test_models_of_one_group_share_a_key_per_environment():
    assert place("a", 1, False, None, "g").key == place("b", 1, False, None, "g").key
    assert place("a", 1, False, None, "g").key != place("b", 1, False, ENV, "g").key
    assert place("a", 1, False, None, None).key != place("b", 1, False, None, None).key
