"""Servers the end-to-end tests start on 127.0.0.1 beside MLServer.

- ``moto_server`` (moto[server]): the S3 protocol
- ``gcp-storage-emulator``: the GCS JSON API
- ``files.py`` here: a plain HTTP file server (``/private/...`` answers 403)
- ``mlflow server``: tracking and registry on SQLite, with artifact serving
- ``mlflow models serve``: MLflow's scoring server, the reference for its protocol
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from mlserver_process import BIN, free_port, stop_process

FILES = Path(__file__).with_name("files.py")


class Service:
    def __init__(self, argv: list[str], log: Path, port: int, cwd: Path | None = None,
                 environ: dict[str, str] | None = None) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self._log_file = log.open("w")
        env = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '')}", **(environ or {})}
        self.process = subprocess.Popen(argv, stdout=self._log_file, stderr=subprocess.STDOUT, cwd=cwd, env=env)
        self._wait(90)

    def _wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.process.args[0]} exited: {self.log.read_text()[-2000:]}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"{self.process.args[0]} did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        stop_process(self.process, 20)
        self._log_file.close()


def moto(tmp: Path) -> Service:
    port = free_port()
    return Service([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)], tmp / "moto.log", port)


def gcs(tmp: Path) -> Service:
    port = free_port()
    return Service([str(BIN / "gcp-storage-emulator"), "start", "--host", "127.0.0.1", "--port", str(port),
                    "--in-memory"], tmp / "gcs.log", port)


def files(root: Path, tmp: Path) -> Service:
    port = free_port()
    return Service([sys.executable, str(FILES), str(root), str(port)], tmp / "files.log", port)


def mlflow_tracking(tmp: Path) -> Service:
    port = free_port()
    return Service([str(BIN / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port),
                    "--backend-store-uri", f"sqlite:///{tmp / 'mlflow.db'}",
                    "--artifacts-destination", str(tmp / "artifacts"), "--serve-artifacts", "--workers", "1"],
                   tmp / "mlflow.log", port, cwd=tmp)


def mlflow_serve(model: Path, tmp: Path, environ: dict[str, str] | None = None) -> Service:
    """MLflow's own scoring server (``mlflow models serve``) on ``model``, in this environment."""
    port = free_port()
    return Service([str(BIN / "mlflow"), "models", "serve", "-m", str(model), "--env-manager", "local",
                    "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                   tmp / f"mlflow-serve-{model.name}.log", port, environ=environ)
