"""What a worker process needs and nothing more: lean spawning and a malloc that keeps its pages.

Two costs are removed here, both with identical numbers:

* **Re-importing the command line in every worker.** A spawned worker normally re-runs the parent's
  ``__main__`` (for the ``drillsim`` console script that imports the whole CLI). Workers only need
  the function they run, which pickling names by module, so :func:`lean_spawn` hides a script
  ``__main__`` from :mod:`multiprocessing` while workers start. A ``python -m`` main is skipped by
  multiprocessing already.
* **Page faults on every chunk.** A chunk allocates arrays of a few MiB; glibc serves those with
  ``mmap`` and returns them to the kernel when freed, so the next chunk faults every page in again
  (about half of a lockdown chunk's time). :func:`tune_malloc` raises glibc's mmap and trim
  thresholds (``mallopt``) so freed chunk memory is kept and reused. Dask workers get the same
  call from the chunk function itself, whatever their ``MALLOC_TRIM_THRESHOLD_``.
* **Garbage collection in the middle of a chunk.** A chunk makes a few thousand short-lived
  Python containers (draws, dicts of metrics), which triggers several generation-0 and -1
  collections and now and then a full one. In a Dask worker, whose own bookkeeping keeps a few
  hundred thousand objects alive, each full collection takes tens of milliseconds; in all, the
  collector took about 12 % of a high-school lockdown chunk. :func:`gc_paused` holds the cyclic
  collector off while a chunk runs. Chunk memory is NumPy arrays freed by reference counting, so
  nothing piles up; a cycle made in the chunk is collected after it.
* **Workers that outlive their batch.** A worker asks the kernel to kill it when its parent dies
  (Linux ``PR_SET_PDEATHSIG``), and as a fallback on other systems a daemon thread ends it once its
  parent is gone. Workers ignore Ctrl-C: the terminal sends SIGINT to the whole process group, and
  only the parent should answer it (with one line, not one traceback per worker). Once the workers
  are gone, the multiprocessing resource tracker they held open sees its pipe close and exits too.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator

#: glibc ``mallopt`` parameters (malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: Free memory at the top of the heap kept for reuse instead of trimmed (bytes). A high-school
#: lockdown chunk stops faulting from 64 MiB on; twice that leaves room for bigger schools.
KEEP_BYTES = 128 * 1024 * 1024
#: Allocations below this come from the heap, not mmap. glibc caps M_MMAP_THRESHOLD at
#: HEAP_MAX/2 (32 MiB on 64-bit); a larger value is refused. Larger arrays still use mmap.
MMAP_MAX_BYTES = 32 * 1024 * 1024

_tuned = False


def tune_malloc() -> bool:
    """Keep freed memory for reuse instead of returning it to the kernel (glibc only).

    Idempotent and cheap after the first call. Returns whether glibc accepted the settings; on
    other C libraries it does nothing and returns False. Results never depend on it.
    """
    global _tuned
    if _tuned:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        ok = libc.mallopt(M_MMAP_THRESHOLD, MMAP_MAX_BYTES) == 1
        ok = libc.mallopt(M_TRIM_THRESHOLD, KEEP_BYTES) == 1 and ok
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return False
    _tuned = ok
    return ok


_gc_lock = threading.Lock()
_gc_depth = 0  # chunks running in this process with the collector held off
_gc_was_enabled = False


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Hold Python's cyclic garbage collector off while a chunk runs (see the module docstring).

    Re-entrant and thread-safe (a Dask worker may run chunks on several threads): the collector
    is disabled when the first chunk starts and restored, to the state it had then, when the
    last one ends. Results never depend on it.
    """
    global _gc_depth, _gc_was_enabled
    with _gc_lock:
        if _gc_depth == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0 and _gc_was_enabled:
                gc.enable()


def worker_init() -> None:
    """Initializer of worker processes that only need the kept memory (sweeps, sensitivity)."""
    tune_malloc()


@contextlib.contextmanager
def lean_spawn() -> Iterator[None]:
    """While open, spawned processes do not re-run a script ``__main__`` (e.g. the CLI).

    Only a main module loaded from a path without a module spec (a console script) is hidden; a
    notebook, ``python -m`` or a guarded user script keeps the usual behaviour.
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    hide = main is not None and path is not None and getattr(main, "__spec__", None) is None
    hide = hide and _is_console_script(main)
    if hide:
        del main.__file__
    try:
        yield
    finally:
        if hide:
            main.__file__ = path


def _is_console_script(main: object) -> bool:
    """The entry-point wrapper pip writes: it defines nothing but imports ``main`` from us."""
    fn = getattr(main, "main", None)
    return getattr(fn, "__module__", "").startswith("drillsim.")


def loaded_modules() -> list[str]:
    """Names of the modules imported in this process (to check what a worker loads)."""
    return sorted(sys.modules)


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
    tune_malloc()
    _parent_death_signal()
    if os.getppid() != parent_pid:  # the parent died before the death signal was armed
        os._exit(1)
    threading.Thread(target=_watch, args=(parent_pid,), daemon=True, name="parent-watch").start()
