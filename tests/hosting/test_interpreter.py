"""runtime_mlflow.hosting.interpreter: what makes an environment's Python unusable,
told from its model process's hello."""

from __future__ import annotations

import pytest

from runtime_mlflow.hosting.interpreter import child_environ, compatibility_problem
from runtime_mlflow.hosting.payload import rmlf_frames as frames


@pytest.mark.parametrize(
    ("hello", "expected"),
    [
        pytest.param({"protocol": 99}, "another protocol", id="protocol"),
        pytest.param({"python": [3, 8, 1]}, "too old", id="python"),
        pytest.param({"versions": {"mlflow": "1.30.0", "numpy": "1", "pandas": "1"}}, "MLflow 1.30.0 is too old",
                     id="mlflow"),
        pytest.param({"missing": {"pandas": "ModuleNotFoundError: No module named 'pandas'"}}, "pandas cannot",
                     id="pandas"),
    ],
)
def test_compatibility_problems(hello, expected):
    good = {"op": "hello", "protocol": frames.PROTOCOL, "python": [3, 9, 18], "executable": "/env/bin/python",
            "versions": {"mlflow": "2.22.5", "numpy": "1.26.4", "pandas": "2.2.3"}, "missing": {}}
    assert compatibility_problem(good) is None
    assert expected in compatibility_problem({**good, **hello})


def test_the_servers_python_variables_do_not_reach_the_model_process(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/server/site-packages")
    monkeypatch.setenv("VIRTUAL_ENV", "/server/venv")
    environ = child_environ(tmp_path)
    assert "PYTHONPATH" not in environ and "VIRTUAL_ENV" not in environ
    assert environ["PATH"].startswith(str(tmp_path / "bin"))
