"""A real ``mlserver start`` on free ports, and the model-settings it serves."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
GRPC_CLIENT = Path(__file__).with_name("grpc_client.py")


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports (held open together, so the system cannot hand one out twice)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class Server:
    def __init__(self, repo: Path, log: Path, environ: dict[str, str] | None = None, bin_dir: Path = BIN,
                 launcher: list[str] | None = None, **settings: object) -> None:
        """``launcher``: a command that runs ``mlserver start <repo>`` (given as its arguments) itself."""
        self.repo = repo
        self.http_port, self.grpc_port, metrics_port = free_ports(3)
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.grpc = f"127.0.0.1:{self.grpc_port}"
        self.metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
        settings = {
            "debug": False,
            "host": "127.0.0.1",
            "http_port": self.http_port,
            "grpc_port": self.grpc_port,
            "metrics_port": metrics_port,
            # MLServer's default is ./.metrics: servers started from one folder would share counts
            "metrics_dir": str(log.parent / f"metrics-{self.http_port}"),
            "load_models_at_startup": False,
            **settings,
        }
        (repo / "settings.json").write_text(json.dumps(settings))
        env = {**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}", **(environ or {})}
        self.log = log
        self._log_file = log.open("w")
        self.process = subprocess.Popen(
            [*(launcher or []), str(bin_dir / "mlserver"), "start", str(repo)], stdout=self._log_file,
            stderr=subprocess.STDOUT, env=env
        )
        self.client = httpx.Client(base_url=self.url, timeout=60)
        self._wait_live()

    def _wait_live(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mlserver exited: {self.log.read_text()[-3000:]}")
            try:
                if self.client.get("/v2/health/live").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"mlserver did not start: {self.log.read_text()[-3000:]}")

    def load(self, name: str) -> httpx.Response:
        return self.client.post(f"/v2/repository/models/{name}/load")

    def infer(self, name: str, body: dict) -> httpx.Response:
        return self.client.post(f"/v2/models/{name}/infer", json=body)

    def probes_until_ready(self, model: str, reason: str, timeout: float = 180) -> list[tuple[int, int, bool]]:
        """(live status, server ready status, ``reason`` in the log yet) taken while ``model`` loads:
        from when MLServer has registered it (before that, with no model, MLServer's server says
        it is ready) until it is ready. A sample is kept only if the model is still not ready
        after it was taken, so none is taken after the load ended."""
        seen = []
        deadline = time.monotonic() + timeout

        def model_ready() -> int:
            return self.client.get(f"/v2/models/{model}/ready").status_code

        while (status := model_ready()) != 200:
            assert time.monotonic() < deadline, self.log.read_text()[-3000:]
            if status == 404:  # not registered yet
                time.sleep(0.05)
                continue
            sample = (self.client.get("/v2/health/live").status_code,
                      self.client.get("/v2/health/ready").status_code, reason in self.log.read_text())
            if model_ready() != 200:
                seen.append(sample)
            time.sleep(0.2)
        return seen

    def grpc_calls(self, calls: list[dict]) -> list[dict]:
        """Run tritonclient.grpc calls in a subprocess (it cannot share a process with mlserver)."""
        done = subprocess.run(
            [sys.executable, str(GRPC_CLIENT), self.grpc],
            input=json.dumps(calls), capture_output=True, text=True, timeout=120, check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
        return json.loads(done.stdout)

    def stop(self) -> None:
        self.client.close()
        stop_process(self.process, 30)
        self._log_file.close()


def tree(root: int) -> list[int]:
    """``root`` and all its descendants (from /proc)."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    todo.extend(int(c) for c in children.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def memory(root: int) -> dict[str, float]:
    """PSS and RSS (MiB) of ``root``'s process tree, and its process count.

    PSS (proportional set size) counts a page shared by k processes as 1/k in each, so the
    tree's PSS counts every page once: the memory the server really takes. RSS counts a shared
    page in every process that maps it."""
    pss = rss = 0
    processes = 0
    for pid in tree(root):
        try:
            with open(f"/proc/{pid}/smaps_rollup") as rollup:
                fields = {line.split()[0]: int(line.split()[1]) for line in rollup if line[0].isupper()}
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        pss, rss, processes = pss + fields["Pss:"], rss + fields["Rss:"], processes + 1
    return {"pss": pss / 1024, "rss": rss / 1024, "processes": processes}


def stop_process(process: subprocess.Popen, timeout: float) -> None:
    """SIGTERM, then SIGKILL if it has not exited after ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def write_model_settings(repo: Path, name: str, uri: str, **parameters: object) -> None:
    folder = repo / name
    folder.mkdir(parents=True, exist_ok=True)
    settings = {"name": name, "implementation": "runtime_mlflow.MLflowRuntime", "parameters": {"uri": uri, **parameters}}
    (folder / "model-settings.json").write_text(json.dumps(settings))
