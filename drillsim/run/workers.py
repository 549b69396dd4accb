"""Set up a local worker process so that it never outlives the batch that started it.

A worker asks the kernel to kill it when its parent dies (Linux ``PR_SET_PDEATHSIG``), and as a
fallback on other systems a daemon thread ends it once its parent is gone. Workers ignore Ctrl-C:
the terminal sends SIGINT to the whole process group, and only the parent should answer it (with
one line, not one traceback per worker). Once the workers are gone, the multiprocessing resource
tracker they held open sees its pipe close and exits too.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1
#: Seconds between the fallback thread's checks that the parent is alive.
WATCH_INTERVAL_S = 0.5


def _parent_death_signal() -> bool:
    """Ask Linux to SIGKILL this process when its parent exits; False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent_pid: int) -> None:
    while True:
        if os.getppid() != parent_pid:
            os._exit(1)
        time.sleep(WATCH_INTERVAL_S)


def start_worker(parent_pid: int) -> None:
    """Initializer of each worker process (see the module docstring).

    Parameters
    ----------
    parent_pid : int
        The batch process; if it is already gone (it died while this worker started), exit now.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _parent_death_signal()
    if os.getppid() != parent_pid:  # the parent died before the death signal was armed
        os._exit(1)
    threading.Thread(target=_watch, args=(parent_pid,), daemon=True, name="parent-watch").start()
