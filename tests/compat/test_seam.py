"""The seam as a whole: every patch is installed by ``compat.install`` (not by importing the
runtime, but for ``lifecycle``, which must be in place before MLServer makes its server),
engaged once, and written for the MLServer and MLflow versions installed."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import import_module
from importlib.metadata import version
from pathlib import Path

import pytest

import runtime_mlflow.compat as compat

MODULES = sorted(p.stem for p in Path(compat.__file__).parent.glob("*.py") if p.stem != "__init__")
PAYLOAD_SEAM = "runtime_mlflow.hosting.payload.rmlf_pyfunc"  # MLflow's pyfunc internals, also run in model environments


@pytest.mark.parametrize("name", [f"runtime_mlflow.compat.{m}" for m in MODULES] + [PAYLOAD_SEAM])
def test_each_module_names_an_installed_version_it_was_written_for(name):
    written_for = import_module(name).WRITTEN_FOR
    package, _, expected = written_for.partition(" ")
    installed = version({"mlflow": "mlflow-skinny"}.get(package, package))  # both installs have skinny
    assert installed == expected or installed.startswith(expected + "."), (
        f"{name} was written for {written_for}; {installed} is installed: check its contract tests, "
        "then its WRITTEN_FOR")


def test_every_patch_module_is_installed_by_install():
    patches = {name for name in MODULES if hasattr(import_module(f"runtime_mlflow.compat.{name}"), "install")}
    assert patches == set(compat.PATCHES)


AT_IMPORT = {"lifecycle"}
"""Installed when the runtime is imported: MLServer imports it while reading model settings,
before it makes its server; the rest waits for the first model."""


def test_importing_the_runtime_installs_only_the_lifecycle_and_making_a_model_installs_everything():
    code = """if True:
        import json
        from mlserver.settings import ModelSettings, ModelParameters
        import runtime_mlflow.compat as compat
        from runtime_mlflow.runtime import MLflowRuntime
        before = compat.engaged()
        MLflowRuntime(ModelSettings(name="m", implementation=MLflowRuntime,
                                    parameters=ModelParameters(uri="/nowhere")))
        print(json.dumps([before, compat.engaged()]))
    """
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    before, after = json.loads(out.strip().splitlines()[-1])
    assert set(before) == set(compat.PATCHES), before
    assert {name for name, on in before.items() if on} == AT_IMPORT, before
    assert all(after.values()), after


def test_install_twice_wraps_once():
    from mlserver.rest.server import RESTServer

    from runtime_mlflow.runtime import is_ours

    compat.install(is_ours)
    hooked = RESTServer.add_custom_handlers
    compat.install(is_ours)
    assert RESTServer.add_custom_handlers is hooked
    assert all(compat.engaged().values())
