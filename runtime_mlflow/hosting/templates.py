"""Templates: one process per Python environment that forks its model processes (see
:mod:`.payload.rmlf_template`).

A template is started by the first model that needs its environment and lives until the
server stops; if it dies, the next model process it is asked for starts it again. The
server's own environment has one template, started with the server's Python and its
``sys.path`` (as MLServer starts its workers); a model environment (``environment.tar.gz``,
``environment: build``) has one per unpacked or built folder, started with that
environment's Python in isolated mode (no ``PYTHONPATH``, no user site-packages).
"""

from __future__ import annotations

import array
import asyncio
import itertools
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import ModelEnvironmentError
from ..infra.commands import relay
from ..infra.paths import inside
from .interpreter import child_environ, compatibility_problem, python_of, server_site_packages
from .payload import rmlf_frames as frames

logger = logging.getLogger("mlserver.runtime_mlflow")

PAYLOAD = Path(__file__).with_name("payload")
HELLO_TIMEOUT = 120.0
"""Seconds a template gets to start and import numpy, pandas and MLflow."""
FORK_TIMEOUT = 120.0
"""Seconds a template gets to import a model's flavor modules and fork its process."""
SERVER = "server"
"""The key of the server's own environment's template."""
NO_THREADS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "JE_ARROW_MALLOC_CONF": "background_thread:false"}
"""Set for a template so that no thread pool starts in it (its model processes get theirs back)."""

_BOOT = (
    "import sys; d = sys.argv[1]; sys.path.insert(0, d); import rmlf_template; "
    "sys.path.remove(d); sys.exit(rmlf_template.main(sys.argv[2:]))"
)


class Template:
    """One started template, spoken to over its control socket on the event loop."""

    def __init__(self, key: str, python: Path, argv: list[str], environ: dict[str, str], cwd: str) -> None:
        self.key, self.python = key, python
        self.hello: dict[str, Any] = {}
        self._tail: deque[str] = deque(maxlen=40)
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._exits: dict[int, Callable[[int], None]] = {}
        self._parser = frames.Parser()
        self._loop = asyncio.get_running_loop()
        self._gone = self._loop.create_future()
        self._sock, child_end = socket.socketpair()
        try:
            # started from the event loop's thread: the template dies with this thread (rmlf_parent)
            self._proc = subprocess.Popen(
                [str(python), *argv, "-c", _BOOT, str(PAYLOAD), "--fd", str(child_end.fileno()),
                 "--parent", str(os.getpid())],
                pass_fds=(child_end.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, env=environ, cwd=cwd,
            )
        except OSError as exc:
            self._sock.close()
            raise ModelEnvironmentError(f"cannot start {python}: {exc}") from exc
        finally:
            child_end.close()
        self.pid = self._proc.pid
        self._sock.setblocking(False)
        self._loop.add_reader(self._sock.fileno(), self._readable)
        threading.Thread(target=relay, args=(self._proc.stdout, self._tail, f"[template {key} pid {self.pid}]"),
                         name=f"rmlf-template-{self.pid}-output", daemon=True).start()
        threading.Thread(target=self._wait, name=f"rmlf-template-{self.pid}-wait", daemon=True).start()

    @classmethod
    async def start(cls, key: str, python: Path, argv: list[str], environ: dict[str, str], cwd: str) -> Template:
        """A started template that has said hello and can serve; ModelEnvironmentError if not."""
        template = cls(key, python, argv, environ, cwd)
        try:
            template.hello = await template._answer(None, HELLO_TIMEOUT, "starting")
            template._check()
        except BaseException:
            template.stop()
            raise
        versions = template.hello["versions"]
        logger.info("Template for %s: Python %s, MLflow %s, numpy %s, pandas %s (pid %d, %d thread%s)",
                    "the server's environment" if key == SERVER else key,
                    ".".join(map(str, template.hello["python"])), versions["mlflow"], versions["numpy"],
                    versions["pandas"], template.pid, template.hello["threads"],
                    "" if template.hello["threads"] == 1 else "s: model processes are started fresh")
        return template

    @property
    def alive(self) -> bool:
        return not self._gone.done()

    @property
    def mlflow_version(self) -> str:
        return str(self.hello.get("versions", {}).get("mlflow", "unknown"))

    async def fork(self, sock: socket.socket, uri: Path, on_exit: Callable[[int], None]) -> tuple[int, str]:
        """A model process for the model at ``uri`` serving ``sock``: its pid and how it was
        started (``forked``, ``spawned``); ``on_exit(status)`` hears when it ends."""
        rid = next(self._ids)
        future = self._expect(rid)
        data = b"".join(frames.pack({"op": "fork", "id": rid, "uri": str(uri)}))
        fds = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [sock.fileno()]))]
        try:
            sent = self._sock.sendmsg([data], fds)
            if sent < len(data):
                await self._loop.sock_sendall(self._sock, data[sent:])
        except OSError as exc:
            self._waiting.pop(rid, None)
            raise ModelEnvironmentError(f"the template for {self.key} is not answering ({exc})") from exc
        answer = await self._await(future, FORK_TIMEOUT, "starting a model process")
        if answer.get("op") != "forked":
            raise ModelEnvironmentError(f"the template for {self.key} refused: {answer.get('message')}")
        pid = int(answer["pid"])
        self._exits[pid] = on_exit
        return pid, str(answer.get("how"))

    def stop(self) -> None:
        """Stop the template (its model processes die with it)."""
        if self.alive:
            try:
                self._sock.send(b"".join(frames.pack({"op": "bye"})))
            except OSError:
                pass
            try:
                self._proc.wait(2)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._close()

    def _check(self) -> None:
        problem = compatibility_problem(self.hello)
        if problem:
            raise ModelEnvironmentError(f"environment {self.key}: {problem}")
        if self.key != SERVER:
            server_packages = server_site_packages()
            leaks = [p for p in self.hello.get("path", []) if any(inside(p, site) for site in server_packages)]
            if leaks:
                raise ModelEnvironmentError(f"environment {self.key} sees the server's packages ({', '.join(leaks)})")

    def _expect(self, rid: int) -> asyncio.Future[dict[str, Any]]:
        future: asyncio.Future[dict[str, Any]] = self._loop.create_future()
        self._waiting[rid] = future
        return future

    async def _answer(self, rid: int | None, timeout: float, doing: str) -> dict[str, Any]:
        return await self._await(self._expect(rid or 0), timeout, doing)

    async def _await(self, future: asyncio.Future[dict[str, Any]], timeout: float, doing: str) -> dict[str, Any]:
        done, _ = await asyncio.wait([future, self._gone], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if future in done:
            return future.result()
        future.cancel()
        if self._gone in done:
            raise ModelEnvironmentError(
                f"the template for {self.key} ({self.python}) {describe_exit(self._gone.result())} while {doing}; "
                f"its last output:\n{self.output_tail()}")
        raise ModelEnvironmentError(f"the template for {self.key} ({self.python}) did not answer within "
                                    f"{timeout:.0f} s while {doing}; its last output:\n{self.output_tail()}")

    def output_tail(self) -> str:
        return "\n".join(self._tail)

    def _readable(self) -> None:
        try:
            data = self._sock.recv(1 << 16)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._loop.remove_reader(self._sock.fileno())
            return
        for header, _ in self._parser.feed(data):
            op = header.get("op")
            if op == "exited":
                on_exit = self._exits.pop(int(header["pid"]), None)
                if on_exit is not None:
                    on_exit(int(header["status"]))
                continue
            future = self._waiting.pop(header.get("id", 0) if op != "hello" else 0, None)
            if future is not None and not future.done():
                future.set_result(header)

    def _wait(self) -> None:
        # A thread blocked in waitpid reaps the template before MLServer's SIGCHLD handler
        # (waitpid(-1, WNOHANG)) can, so the exit status is ours to read.
        code = self._proc.wait()
        try:
            self._loop.call_soon_threadsafe(self._ended, code)
        except RuntimeError:  # the event loop has closed: the server is gone
            pass

    def _ended(self, code: int) -> None:
        if not self._gone.done():
            self._gone.set_result(code)
        if code != 0:
            logger.error("Template for %s (pid %d) %s; its model processes died with it",
                         self.key, self.pid, describe_exit(code))
        # its model processes are killed with it (rmlf_parent): tell each one's owner
        exits, self._exits = self._exits, {}
        for on_exit in exits.values():
            on_exit(-signal.SIGKILL)
        self._close()

    def _close(self) -> None:
        if self._sock.fileno() >= 0:
            try:
                self._loop.remove_reader(self._sock.fileno())
            except (ValueError, RuntimeError):
                pass
            self._sock.close()


def describe_exit(code: int | None) -> str:
    """How a process ended, in words: ``exited with status 3``, ``was killed by signal 9 (SIGKILL)``."""
    if code is None:
        return "is running"
    if code < 0:
        try:
            return f"was killed by signal {-code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"


_templates: dict[str, Template] = {}
_starting: dict[str, asyncio.Future[Template]] = {}


async def template_for(env: Path | None) -> Template:
    """The running template of ``env`` (None: the server's own environment), started if needed."""
    key = SERVER if env is None else str(env)
    template = _templates.get(key)
    if template is not None and template.alive:
        return template
    pending = _starting.get(key)
    if pending is not None:
        return await asyncio.shield(pending)
    future: asyncio.Future[Template] = asyncio.get_running_loop().create_future()
    _starting[key] = future
    try:
        template = await Template.start(key, *_how_to_start(env))
    except BaseException as exc:
        future.set_exception(exc)
        future.exception()  # retrieved: whoever awaits it raises it
        raise
    else:
        future.set_result(template)
        _templates[key] = template
    finally:
        _starting.pop(key, None)
    return template


def _how_to_start(env: Path | None) -> tuple[Path, list[str], dict[str, str], str]:
    """(python, interpreter flags, environment variables, working folder) for ``env``'s template."""
    if env is None:
        environ = dict(os.environ)
        # the server's sys.path, as MLServer gives its workers (with the repository folder and ".")
        environ["RMLF_SYS_PATH"] = json.dumps(sys.path)
        python, argv, cwd = Path(sys.executable), [], os.getcwd()
    else:
        environ, python, argv, cwd = child_environ(env), python_of(env), ["-I"], str(env)
    environ["RMLF_THREADS"] = json.dumps({name: environ.get(name) for name in NO_THREADS})
    environ.update({name: value for name, value in NO_THREADS.items()
                    if not (name == "JE_ARROW_MALLOC_CONF" and name in environ)})
    return python, argv, environ, cwd


def stop_all() -> None:
    """Stop every template (their model processes die with them)."""
    for template in list(_templates.values()):
        template.stop()
    _templates.clear()
