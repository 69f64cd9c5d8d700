"""One model process: the model loaded by its environment's own Python, spoken to over a socket.

The process is started with ``<env>/bin/python -I`` (no ``PYTHONPATH``, no user
site-packages, not the server's virtualenv) and runs ``payload/rmlf_child.py``. Values
cross as raw buffers (``payload/rmlf_frames.py``, ``payload/rmlf_wire.py``), never as pickles, so the environment may
have other Python, numpy, pandas and MLflow versions than the server.
"""

from __future__ import annotations

import collections
import logging
import os
import signal
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..errors import ModelEnvironmentError, ModelUnavailable, PredictionError, RemoteError
from ..infra.commands import relay
from ..infra.paths import inside
from .interpreter import child_environ, compatibility_problem, python_of, server_site_packages
from .payload import rmlf_frames as frames
from .payload import rmlf_wire as wire

logger = logging.getLogger("mlserver.runtime_mlflow")

PAYLOAD = Path(__file__).with_name("payload")
HELLO_TIMEOUT = 120.0
"""Seconds the environment's Python gets to start and import numpy, pandas and MLflow."""

_BOOT = (
    "import sys; d = sys.argv[1]; sys.path.insert(0, d); import rmlf_child; "
    "sys.path.remove(d); sys.exit(rmlf_child.main(sys.argv[2:]))"
)


class ModelProcess:
    """A started, loaded model process; ``call`` is thread-safe and runs one request at a time."""

    def __init__(self, name: str, env: Path, on_exit: Callable[[ModelProcess], None] | None = None) -> None:
        self.name = name
        self.env = env
        self.hello: dict[str, Any] = {}
        self.described: dict[str, Any] | None = None
        """What the model's method answers, as the model process reported it (None: predict, or unknown)."""
        self.exit_code: int | None = None
        self._on_exit = on_exit
        self._lock = threading.Lock()
        self._exited = threading.Event()
        self._tail: collections.deque[str] = collections.deque(maxlen=40)
        parent_end, child_end = socket.socketpair()
        self._channel = frames.Channel(parent_end)
        self._socket = parent_end
        try:
            self._proc = subprocess.Popen(
                [str(python_of(env)), "-I", "-c", _BOOT, str(PAYLOAD),
                 "--fd", str(child_end.fileno()), "--parent", str(os.getpid())],
                pass_fds=(child_end.fileno(),), stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=child_environ(env), cwd=str(env),
            )
        except OSError as exc:
            parent_end.close()
            raise ModelEnvironmentError(f"model {name!r}: cannot start {python_of(env)}: {exc}") from exc
        finally:
            child_end.close()
        self.pid = self._proc.pid
        threading.Thread(target=self._relay_output, name=f"rmlf-{name}-output", daemon=True).start()
        threading.Thread(target=self._wait_exit, name=f"rmlf-{name}-wait", daemon=True).start()

    @classmethod
    def start(cls, name: str, env: Path, model_path: Path,
              on_exit: Callable[[ModelProcess], None] | None = None, method: str = "predict") -> ModelProcess:
        """Start the process, check the environment and load the model (answering with
        ``method``); ModelEnvironmentError if any fails."""
        process = cls(name, env, on_exit)
        try:
            process._handshake()
            process._load(model_path, method)
        except BaseException:
            process.stop(timeout=2)
            raise
        return process

    @property
    def alive(self) -> bool:
        return not self._exited.is_set()

    def call(self, value: Any, params: dict[str, Any] | None = None) -> Any:
        """The model's prediction for ``value``; RemoteError if the model raised, 503 if the process is gone."""
        request = self._request("predict", value, params)
        with self._lock:
            self._send(request)
            header, answer = self._exchange(self._channel.recv)
        if header.get("op") == "error":
            raise RemoteError(header)
        return self._decode(header, answer)

    def stream(self, value: Any, params: dict[str, Any] | None = None) -> Iterator[Any]:
        """The model's ``predict_stream`` for ``value``, one item per chunk as the process sends it.

        The process is held for the whole stream. Closed early, the rest of the stream is
        read and dropped, so the next request finds the process in step.
        """
        request = self._request("stream", value, params)
        with self._lock:
            self._send(request)
            finished = False
            try:
                while True:
                    header, answer = self._exchange(self._channel.recv)
                    op = header.get("op")
                    if op == "chunk":
                        yield self._decode(header, answer)
                        continue
                    finished = True
                    if op == "error":
                        raise RemoteError(header)
                    return
            finally:
                while not finished and self.alive:
                    header, _ = self._exchange(self._channel.recv)
                    finished = header.get("op") != "chunk"

    def _request(self, op: str, value: Any, params: dict[str, Any] | None) -> tuple[dict[str, Any], list[Any]]:
        """A request frame for ``value`` (encoded before taking the lock)."""
        try:
            tree, buffers = wire.encode(value)
        except frames.WireError as exc:
            raise PredictionError(f"model {self.name!r}: {exc}") from exc
        return {"op": op, "value": tree, "params": params}, buffers

    def _send(self, request: tuple[dict[str, Any], list[Any]]) -> None:
        """Send one request (the lock is held)."""
        if not self.alive:
            raise ModelUnavailable(f"model {self.name!r}: its model process {self.describe_exit()}")
        self._exchange(lambda: self._channel.send(*request))

    def _exchange(self, step: Callable[[], Any]) -> Any:
        """One send or receive; a broken socket kills the process (it is restarted) and is a 503."""
        try:
            return step()
        except (OSError, EOFError, frames.WireError) as exc:
            self._kill()
            raise ModelUnavailable(
                f"model {self.name!r}: its model process stopped answering ({exc}); it is being restarted"
            ) from exc

    def _decode(self, header: dict[str, Any], answer: list[Any]) -> Any:
        try:
            return wire.decode(header["value"], answer)
        except (frames.WireError, KeyError, ValueError, TypeError) as exc:
            raise PredictionError(f"model {self.name!r}: its answer could not be read: {exc}") from exc

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the process to leave, then terminate and kill it if it does not; never leaves it running."""
        if self.alive and self._lock.acquire(timeout=0.5):
            try:
                self._channel.send({"op": "bye"})
            except OSError:
                pass
            finally:
                self._lock.release()
        if not self._exited.wait(timeout):
            self._signal(signal.SIGTERM)
            if not self._exited.wait(timeout):
                self._kill()
                self._exited.wait(timeout)
        self._socket.close()

    def describe_exit(self) -> str:
        code = self.exit_code
        if code is None:
            return "is running" if self.alive else "exited"
        if code < 0:
            try:
                return f"was killed by signal {-code} ({signal.Signals(-code).name})"
            except ValueError:
                return f"was killed by signal {-code}"
        return f"exited with status {code}"

    def output_tail(self) -> str:
        return "\n".join(self._tail)

    def _handshake(self) -> None:
        self._socket.settimeout(HELLO_TIMEOUT)
        try:
            header = self._answer(None, "starting")
        finally:
            self._socket.settimeout(None)
        self.hello = header
        problem = compatibility_problem(header)
        if problem:
            raise ModelEnvironmentError(f"model {self.name!r}: environment {self.env}: {problem}")
        server_packages = server_site_packages()
        leaks = [p for p in header.get("path", []) if any(inside(p, site) for site in server_packages)]
        if leaks:
            raise ModelEnvironmentError(
                f"model {self.name!r}: environment {self.env} sees the server's packages ({', '.join(leaks)})"
            )
        versions = header["versions"]
        logger.info(
            "Model %r: environment %s runs Python %s, MLflow %s, numpy %s, pandas %s (pid %d)",
            self.name, self.env, ".".join(map(str, header["python"])),
            versions["mlflow"], versions["numpy"], versions["pandas"], header["pid"],
        )

    def _load(self, model_path: Path, method: str) -> None:
        header = self._answer({"op": "load", "uri": str(model_path), "method": method}, f"loading {model_path}")
        self.described = header.get("described")
        if header.get("op") == "error":
            error = RemoteError(header)
            logger.error("Model %r failed to load in its environment:\n%s", self.name, error.remote_traceback)
            raise ModelEnvironmentError(
                f"model {self.name!r} could not be loaded from {model_path} in environment {self.env}: {error}"
            )

    def _answer(self, request: dict[str, Any] | None, doing: str) -> dict[str, Any]:
        """Send ``request`` (if any) and read the answer; a process that dies meanwhile is a load error."""
        try:
            if request is not None:
                self._channel.send(request)
            header, _ = self._channel.recv()
        except (OSError, EOFError, frames.WireError) as exc:
            self._exited.wait(5)
            raise ModelEnvironmentError(
                f"model {self.name!r}: the model process ({python_of(self.env)}) {self.describe_exit()} while "
                f"{doing} ({exc}); its last output:\n{self.output_tail()}"
            ) from exc
        answer: dict[str, Any] = header
        return answer

    def _relay_output(self) -> None:
        assert self._proc.stdout is not None
        relay(self._proc.stdout, self._tail, f"[{self.name} pid {self.pid}]")

    def _wait_exit(self) -> None:
        # A thread blocked in waitpid reaps the child before MLServer's SIGCHLD
        # handler (waitpid(-1, WNOHANG)) can, so the exit status is ours to read.
        self.exit_code = self._proc.wait()
        self._exited.set()
        if self._on_exit is not None:
            self._on_exit(self)

    def _signal(self, signum: int) -> None:
        if self.alive:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    def _kill(self) -> None:
        self._signal(signal.SIGKILL)
