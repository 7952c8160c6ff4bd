"""Servers end when whoever started them dies, however it dies.

``parlor serve`` supervises each front door as a child process, and each of
those (Granian's main process) has worker processes of its own. A ``kill -9``
of a parent runs none of its clean-up, so without this its children went on
serving as orphans, holding the ports a restart needs.

On Linux each process asks the kernel to send it SIGTERM when its parent dies
(``prctl(PR_SET_PDEATHSIG)``): nothing to poll, no thread (a thread alive when
Granian forks its workers can leave a lock taken in them). Elsewhere a daemon
thread looks at the parent's pid four times a second.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1


def die_with_parent(expected_parent: int | None = None) -> None:
    """Have this process sent SIGTERM when its parent process ends.

    ``expected_parent``: the pid the parent had. If it has already died (the
    process now belongs to another), SIGTERM comes at once.
    """
    parent = os.getppid() if expected_parent is None else expected_parent
    if not _prctl_deathsig(signal.SIGTERM):
        threading.Thread(
            target=_watch_parent, args=(parent,), name="parlor-lifeline", daemon=True
        ).start()
        return
    # The parent may have died before prctl: then nobody will send the signal.
    if os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGTERM)


def _prctl_deathsig(signum: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return bool(libc.prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0)
    return False


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.25)
    os.kill(os.getpid(), signal.SIGTERM)
