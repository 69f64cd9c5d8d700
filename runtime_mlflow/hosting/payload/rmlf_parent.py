"""Die with the parent: a template dies with the server, a model process with its template.

Linux's ``PR_SET_PDEATHSIG`` has the kernel send SIGKILL when the parent goes, even while
the process is busy in a model's native code. Where it is not available the process keeps
its other exit: the server closing its socket. Runs on Python 3.9+.
"""

from __future__ import annotations

import os
import signal

_PR_SET_PDEATHSIG = 1


def die_with(parent):
    """Be killed when ``parent`` (this process's parent) exits; exit now if it already has."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # it died before the call above
        os._exit(70)
