"""Environments built from a model's own requirements with uv (real uv, real interpreters)."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from runtime_mlflow.environments.build import build, read_spec
from runtime_mlflow.errors import ModelEnvironmentError

MLMODEL = "flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\n    python_version: {python}\n"


def model(tmp_path: Path, files: dict[str, str], python: str = "3.11.7") -> Path:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "MLmodel").write_text(MLMODEL.format(python=python))
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


@pytest.mark.parametrize(
    ("files", "python", "requirements"),
    [
        pytest.param({"python_env.yaml": "python: 3.9.18\ndependencies:\n- -r requirements.txt\n",
                      "requirements.txt": "mlflow==2.22.5\n# comment\nhumanize\n"},
                     "3.9.18", ("mlflow==2.22.5", "humanize"), id="python_env.yaml"),
        pytest.param({"requirements.txt": "pandas\n"}, "3.11.7", ("pandas",), id="requirements.txt"),
        pytest.param({"conda.yaml": "dependencies:\n- python=3.10.4\n- pip<=23\n- pip:\n  - mlflow\n  - numpy\n"},
                     "3.10.4", ("mlflow", "numpy"), id="conda.yaml"),
    ],
)
def test_the_spec_is_read_in_mlflow_order(tmp_path, files, python, requirements):
    spec = read_spec(model(tmp_path, files))
    assert (spec.python, spec.requirements) == (python, requirements)


def test_a_model_without_requirements_says_so(tmp_path):
    with pytest.raises(ModelEnvironmentError, match="no python_env.yaml, requirements.txt or conda.yaml"):
        read_spec(model(tmp_path, {}))


def test_a_python_the_machine_lacks_is_a_clear_error_unless_allowed(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="mlserver.runtime_mlflow")
    folder = model(tmp_path, {"python_env.yaml": "python: 3.4.10\ndependencies:\n- humanize\n"})
    with pytest.raises(ModelEnvironmentError, match=r"asks for Python 3\.4\.10 .*allow_local_python"):
        build("m", folder, tmp_path / "cache")
    with build("m", folder, tmp_path / "cache", allow_local_python=True) as entry:
        prefix = entry.path
    done = subprocess.run([str(prefix / "bin" / "python"), "-c", "import humanize, sys; print(sys.version_info[:2])"],
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == str(tuple(sys.version_info[:2]))
    assert "uv pip install" in caplog.text  # progress reaches the log
    with build("m", folder, tmp_path / "cache", allow_local_python=True) as entry:
        again = entry.path
    assert again == prefix and caplog.text.count("Reusing cached environment") == 1
