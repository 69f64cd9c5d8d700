"""A template: one process per Python environment, from which that environment's model
processes are forked, each sharing the template's imported libraries copy-on-write.

Started by the server as::

    <env>/bin/python [-I] -c "<bootstrap>" <payload dir> --fd N --parent PID

It says ``hello`` first (its Python, numpy, pandas and MLflow versions, or why one of them
cannot be imported), imports what every model needs, then answers control frames:

* ``fork`` (``id``, ``uri``: the model the process is for), with the process's end of a
  socket attached -> ``forked`` (``id``, ``pid``, ``how``). The model's flavor modules are
  imported here first (``rmlf_host.warm_modules``), so the next process of that flavor
  shares them too;
* ``bye``: the template kills its model processes and exits.

It reports ``exited`` (``pid``, ``status``: the exit code, or minus the signal) for each of
its model processes. It exits, killing them, when the server closes the socket or dies.

Forking is only safe while this process has one thread (a lock held by another thread at
the fork stays held in the child forever). The server starts the template with the thread
pools of OpenBLAS, OpenMP, MKL and Arrow's allocator kept from starting (``RMLF_THREADS``
holds the values it replaced); each model process gets them back after the fork. Before
each fork the template counts its threads; if a library has started one anyway, the model
process is started fresh instead (``how``: ``spawned``), which is slower but safe.
This module runs on Python 3.9+ with MLflow 2.x or 3.x.
"""

from __future__ import annotations

import gc
import json
import os
import select
import signal
import socket
import sys

import rmlf_child as child
import rmlf_frames as frames
import rmlf_host as host
import rmlf_parent as parent
import rmlf_pyfunc as pyfunc

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "JE_ARROW_MALLOC_CONF")
"""What the server sets for a template so that no library starts a thread pool in it."""

_BOOT_CHILD = (
    "import sys; d = sys.argv[1]; sys.path.insert(0, d); import rmlf_child; "
    "sys.path.remove(d); sys.exit(rmlf_child.main(sys.argv[2:]))"
)


def main(argv):
    server = int(argv[argv.index("--parent") + 1])
    parent.die_with(server)
    # the server's sys.path, where it is the server's environment (as MLServer's workers get it)
    for entry in reversed(json.loads(os.environ.pop("RMLF_SYS_PATH", "[]"))):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    sock = socket.socket(fileno=int(argv[argv.index("--fd") + 1]))
    os.set_inheritable(sock.fileno(), False)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    channel = frames.Channel(sock)
    hello = _hello()
    if not hello["missing"]:
        _warm()
    hello["threads"] = _threads()
    channel.send(hello)
    return _Template(channel, sock).run()


class _Template:
    def __init__(self, channel, sock):
        self.channel, self.sock = channel, sock
        self.children = set()
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so the wakeup fd hears of it
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def run(self):
        try:
            while True:
                readable, _, _ = select.select([self.sock, self.wake_r], [], [], 1.0)
                if self.wake_r in readable:
                    os.read(self.wake_r, 512)
                self._reap()
                if self.sock in readable and not self._serve():
                    return 0
        finally:
            self._kill_all()

    def _serve(self):
        """Answer one control frame; False when the template should exit."""
        fds = []
        try:
            header, _ = self.channel.recv(fds)
        except (EOFError, OSError):
            return False
        op = header.get("op")
        if op == "bye":
            return False
        if op != "fork" or len(fds) != 1:
            for fd in fds:
                os.close(fd)
            self.channel.send({"op": "error", "id": header.get("id"), "message": "bad control frame %r" % op})
            return True
        try:
            host.warm(host.warm_modules(header["uri"]))
        except Exception:  # an unreadable MLmodel: the model's load will say so
            pass
        pid, how = self._start(fds[0])
        os.close(fds[0])
        self.children.add(pid)
        self.channel.send({"op": "forked", "id": header.get("id"), "pid": pid, "how": how})
        return True

    def _start(self, fd):
        gc.collect()
        gc.freeze()  # what the template holds is never garbage: full collections in a child skip it
        if _threads() == 1:
            pid = os.fork()
            if pid == 0:
                _in_child(fd, self)
            return pid, "forked"
        os.set_inheritable(fd, True)
        flags = [f for f in ("-I",) if sys.flags.isolated]
        argv = [sys.executable, *flags, "-c", _BOOT_CHILD, os.path.dirname(os.path.abspath(__file__)),
                "--fd", str(fd), "--parent", str(os.getpid())]
        return os.posix_spawn(sys.executable, argv, _child_environ()), "spawned"

    def _reap(self):
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.children.discard(pid)
            code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
            try:
                self.channel.send({"op": "exited", "pid": pid, "status": code})
            except OSError:
                pass

    def _kill_all(self):
        for pid in list(self.children):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _in_child(fd, template):
    """In a freshly forked model process: become a model process and never return."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        template.sock.close()
        os.close(template.wake_r)
        os.close(template.wake_w)
        parent.die_with(os.getppid())
        _restore_threads()
        _reseed()
        _more_killable()
        code = child.serve(socket.socket(fileno=fd))
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stderr.flush()
        os._exit(code)


def _hello():
    hello = {
        "op": "hello",
        "protocol": frames.PROTOCOL,
        "pid": os.getpid(),
        "python": list(sys.version_info[:3]),
        "executable": sys.executable,
        "prefix": sys.prefix,
        "path": list(sys.path),
        "versions": {},
        "missing": {},
    }
    for name in ("numpy", "pandas", "mlflow"):
        try:
            module = __import__(name)
            hello["versions"][name] = getattr(module, "__version__", "unknown")
        except Exception as exc:
            hello["missing"][name] = "%s: %s" % (type(exc).__name__, exc)
    return hello


def _warm():
    """Import what loading any model imports, and work out what its first load would."""
    host.warm(("mlflow.pyfunc", "mlflow.models", "mlflow.models.utils", "pandas", "numpy"))
    try:
        pyfunc.prime()
    except Exception:
        pass


def _threads():
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        import threading

        return threading.active_count()


def _original_threads():
    return json.loads(os.environ.get("RMLF_THREADS") or "{}")


def _child_environ():
    environ = dict(os.environ)
    for name, value in _original_threads().items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    environ.pop("RMLF_THREADS", None)
    return environ


def _restore_threads():
    """The thread pools' sizes as the server's own environment sets them (or their defaults)."""
    original = _original_threads()
    os.environ.clear()
    os.environ.update(_child_environ())
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    blas = original.get("OPENBLAS_NUM_THREADS") or original.get("MKL_NUM_THREADS")
    omp = original.get("OMP_NUM_THREADS")
    threadpool_limits(limits=_count(blas, cores), user_api="blas")
    threadpool_limits(limits=_count(omp, cores), user_api="openmp")


def _count(value, default):
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return default


def _reseed():
    """A fork copies numpy's global random state: give each model process its own."""
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()


def _more_killable():
    """If memory runs out, the kernel should kill a model process (restarted in a moment) before
    the template or the server (best effort: raising one's own score needs no privilege)."""
    try:
        with open("/proc/self/oom_score_adj", "r+") as adj:
            current = int(adj.read() or 0)
            adj.seek(0)
            adj.write(str(min(1000, current + 200)))
    except (OSError, ValueError):
        pass
