"""Run a helper command (conda-unpack, uv, a Python) with its output streamed to the log."""

from __future__ import annotations

import collections
import logging
import subprocess
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from ..errors import ModelEnvironmentError

logger = logging.getLogger("mlserver.runtime_mlflow")


def relay(output: IO[bytes], keep: collections.deque[str], prefix: str) -> None:
    """Log each line a child process prints, after ``prefix``, and keep the last ones in ``keep``."""
    with output:
        for raw in output:
            line = raw.decode("utf-8", "replace").rstrip()
            keep.append(line)
            logger.info("%s %s", prefix, line)


def run(command: Sequence[str | Path], what: str, cwd: Path | None = None,
        env: Mapping[str, str] | None = None) -> str:
    """Run ``command``; each line it prints is logged as progress. Returns its output.

    Raises ModelEnvironmentError with the last lines of output if it fails or cannot start.
    """
    argv = [str(part) for part in command]
    logger.info("%s: %s", what, " ".join(argv))
    try:
        proc = subprocess.Popen(argv, cwd=cwd, env=dict(env) if env is not None else None,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except OSError as exc:
        raise ModelEnvironmentError(f"{what}: cannot run {argv[0]}: {exc}") from exc
    lines: collections.deque[str] = collections.deque(maxlen=2000)
    assert proc.stdout is not None
    reader = threading.Thread(target=relay, args=(proc.stdout, lines, f"{what}:"), daemon=True)
    reader.start()
    # Wait at once: a thread blocked in waitpid reaps the child before MLServer's
    # SIGCHLD handler could, which would otherwise hide a failure as status 0.
    status = proc.wait()
    reader.join()
    if status != 0:
        tail = "\n".join(list(lines)[-25:])
        raise ModelEnvironmentError(f"{what} failed ({' '.join(argv)} exited with {status}):\n{tail}")
    return "\n".join(lines)
