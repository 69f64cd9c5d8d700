"""What the examples' launchers share (object-store/serve.py, registry/serve.py): start a
local service, wait for its port, then run a command with the service's variables set.

Copy this file beside a launcher when you copy an example folder.
"""

import contextlib
import signal
import socket
import subprocess
import sys
import time


def wait_for(port: int, process: subprocess.Popen, what: str, timeout: float = 120) -> None:
    """Until something listens on 127.0.0.1:``port``; exits naming ``what`` if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"{what} did not start on port {port}")


@contextlib.contextmanager
def service(argv: list, port: int, what: str, cwd=None):
    """``argv`` started quietly and waited for on ``port``, stopped on the way out."""
    process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(port, process, what)
        yield process
    finally:
        process.terminate()
        process.wait()


def stop_cleanly() -> None:
    """Make SIGTERM (as from Kubernetes or a test) unwind the launcher, so its services stop."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def run(command: list, env: dict) -> int:
    """Run ``command`` until it exits; SIGTERM is passed on to it."""
    child = subprocess.Popen(command, env=env)
    signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    try:
        return child.wait()
    except KeyboardInterrupt:  # Ctrl-C reached the command too: let it finish stopping
        return child.wait()
