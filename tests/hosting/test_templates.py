"""Templates: the handshake says exactly what is wrong with an environment; a template stays
single-threaded, forks its model processes, reports how they end, and takes them with it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import sysconfig
import textwrap
import time
from pathlib import Path

import envkit
import pytest

from runtime_mlflow.errors import ModelEnvironmentError
from runtime_mlflow.hosting import templates
from runtime_mlflow.hosting.templates import Template


def bare_env(tmp_path: Path, python: str = sys.executable) -> Path:
    return envkit.make_venv(python, tmp_path / "env", [])


def start(env: Path | None) -> None:
    async def go() -> None:
        template = await Template.start(str(env), *templates._how_to_start(env))
        template.stop()

    asyncio.run(go())


def test_an_environment_without_mlflow_is_named(tmp_path):
    env = bare_env(tmp_path)
    with pytest.raises(ModelEnvironmentError) as raised:
        start(env)
    message = str(raised.value)
    assert "cannot be imported" in message and str(env) in message and "mlflow" in message


def test_a_python_older_than_3_9_is_named(tmp_path):
    python = envkit.find_python("3.8")
    if python is None:
        pytest.skip("no Python 3.8 on this machine to build a too-old environment with")
    env = bare_env(tmp_path, python)
    with pytest.raises(ModelEnvironmentError, match=r"Python 3\.8\.\d+ .* is too old"):
        start(env)


def test_an_environment_that_sees_the_server_packages_is_refused(tmp_path):
    env = bare_env(tmp_path)
    site = Path(sysconfig.get_paths(vars={"base": str(env), "platbase": str(env)})["purelib"])
    (site / "leak.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # the server's site-packages
    with pytest.raises(ModelEnvironmentError, match="sees the server's packages"):
        start(env)


def test_a_missing_python_is_a_load_error(tmp_path):
    with pytest.raises(ModelEnvironmentError, match="cannot start"):
        start(tmp_path / "nowhere")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _gone(pids: list[int], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.05)
    return False


DRIVER = textwrap.dedent("""
    import asyncio, json, sys
    from pathlib import Path
    from runtime_mlflow.hosting.process import ModelProcess
    from runtime_mlflow.hosting.templates import template_for

    async def main():
        template = await template_for(None)
        process = await ModelProcess.start("'m'", template, Path(sys.argv[1]), lambda p: None)
        await process.load("m", Path(sys.argv[1]), "predict", None)
        print(json.dumps([template.pid, process.pid]), flush=True)
        await asyncio.sleep(600)

    asyncio.run(main())
""")


def test_killing_the_server_takes_the_template_and_its_model_processes_with_it(model_dirs):
    driver = subprocess.Popen([sys.executable, "-c", DRIVER, str(model_dirs["wine"])], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in driver.stdout.readline().strip().strip("[]").split(",")]
        assert all(_alive(p) for p in pids)
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait()
        assert _gone(pids), f"left behind: {[p for p in pids if _alive(p)]}"
    finally:
        driver.kill()
        driver.stdout.close()
