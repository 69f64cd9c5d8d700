"""A real ``mlserver start`` on free ports, serving every model of ``model_dirs``.

Models load through the repository API (``load_models_at_startup`` is off) so that a
model which fails to load can be tested without stopping the server.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mlserver_process import Server, write_model_settings


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, model_dirs: dict[str, Path]):
    repo = tmp_path_factory.mktemp("repo")
    for name, path in model_dirs.items():
        write_model_settings(repo, name, str(path))
    write_model_settings(repo, "broken", str(repo / "no-such-model"))
    write_model_settings(repo, "wine_np", str(model_dirs["nosig"]), xtype="DataFrame")
    srv = Server(repo, tmp_path_factory.mktemp("logs") / "mlserver.log")
    try:
        for name in [*model_dirs, "wine_np"]:
            response = srv.load(name)
            assert response.status_code == 200, (name, response.text)
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def single(model_dirs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory):
    """A server with one model (wine), in MLServer's main process: the root paths are its."""
    repo = tmp_path_factory.mktemp("single-repo")
    write_model_settings(repo, "wine", str(model_dirs["wine"]))
    server = Server(repo, tmp_path_factory.mktemp("single-logs") / "mlserver.log", parallel_workers=0)
    try:
        assert server.load("wine").status_code == 200
        yield server
    finally:
        server.stop()
