"""The handshake with a model process says exactly what is wrong with an environment."""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

import envkit
import pytest

from runtime_mlflow.environments.process import ModelProcess
from runtime_mlflow.errors import ModelEnvironmentError

MODEL = Path(__file__)  # never reached: every environment here fails before loading


def bare_env(tmp_path: Path, python: str = sys.executable) -> Path:
    return envkit.make_venv(python, tmp_path / "env", [])


def test_an_environment_without_mlflow_is_named(tmp_path):
    env = bare_env(tmp_path)
    with pytest.raises(ModelEnvironmentError) as raised:
        ModelProcess.start("m", env, MODEL)
    message = str(raised.value)
    assert "cannot be imported" in message and str(env) in message and "mlflow" in message


def test_a_python_older_than_3_9_is_named(tmp_path):
    python = envkit.find_python("3.8")
    if python is None:
        pytest.skip("no Python 3.8 on this machine to build a too-old environment with")
    env = bare_env(tmp_path, python)
    with pytest.raises(ModelEnvironmentError, match=r"Python 3\.8\.\d+ .* is too old"):
        ModelProcess.start("m", env, MODEL)


def test_an_environment_that_sees_the_server_packages_is_refused(tmp_path):
    env = bare_env(tmp_path)
    site = Path(sysconfig.get_paths(vars={"base": str(env), "platbase": str(env)})["purelib"])
    (site / "leak.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # the server's site-packages
    with pytest.raises(ModelEnvironmentError, match="sees the server's packages"):
        ModelProcess.start("m", env, MODEL)


def test_a_missing_python_is_a_load_error(tmp_path):
    with pytest.raises(ModelEnvironmentError, match="cannot start"):
        ModelProcess.start("m", tmp_path / "nowhere", MODEL)
