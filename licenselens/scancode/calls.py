"""Calling ScanCode: its licence index loaded once, each call under a time limit and a memory allowance."""

from __future__ import annotations

import ctypes
import gc
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from licenselens.scancode.patches.state import query_scope
from licenselens.types.findings import FileError

# what one ScanCode call may add to its process's resident memory (docs/limits.md): ScanCode's matcher
# grows without bound on some inputs (20 MB of concatenated licence texts took 20 GB before the kernel
# killed it), and no time limit stops that soon enough
DEFAULT_MEMORY_ALLOWANCE = 2048 * 2**20


def _freeze_after_index_load() -> None:
    """Keep the garbage collector from walking ScanCode's index (millions of objects) again and again."""
    import licensedcode.cache

    if licensedcode.cache._LICENSE_CACHE is not None and not getattr(_freeze_after_index_load, "done", False):
        gc.freeze()
        _freeze_after_index_load.done = True  # type: ignore[attr-defined]


def load_index() -> None:
    """Load ScanCode's licence index outside any per-file time limit, so the limit measures the file alone."""
    from licensedcode.cache import get_index

    enabled = gc.isenabled()
    gc.disable()  # unpickling millions of objects: collections would walk them again and again (-40 %)
    try:
        get_index()
    finally:
        if enabled:
            gc.enable()
    _freeze_after_index_load()


def _resident() -> int:
    with open("/proc/self/statm", "rb") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@contextmanager
def _memory_guard(memory_allowance: int) -> Iterator[None]:
    """Raise MemoryError in the guarded code once it has grown resident memory by ``memory_allowance``:
    checked every 50 ms of CPU time (SIGPROF), so the process lives on instead of being killed."""
    if not hasattr(signal, "ITIMER_PROF") or not os.path.exists("/proc/self/statm"):
        yield
        return
    limit = _resident() + memory_allowance

    def check(signum, frame):
        if _resident() > limit:
            raise MemoryError(f"more than {memory_allowance >> 20} MiB of memory for one file (--max-memory)")

    previous = signal.signal(signal.SIGPROF, check)
    signal.setitimer(signal.ITIMER_PROF, 0.05, 0.05)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _give_back_memory() -> None:
    try:  # glibc keeps freed heap pages; hand them back after a call that grew too large
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def call_scancode(
    func: Callable[..., Any],
    location: str | None,
    timeout: float,
    detector: str,
    memory_allowance: int = DEFAULT_MEMORY_ALLOWANCE,
    **kwargs: Any,
) -> tuple[Any, FileError | None]:
    """Call a ScanCode function (on ``location``, or on ``kwargs`` alone) with its deadline, a hard SIGALRM
    limit and a memory allowance: (value, None), or (None, the error for this file)."""
    from scancode.interrupt import interruptible

    kwargs["deadline"] = time.time() + timeout
    args = (location,) if location is not None else ()
    with query_scope(), _memory_guard(memory_allowance):  # what patches keep of this query ends with it
        error, value = interruptible(func, args=args, kwargs=kwargs, timeout=timeout)
    _freeze_after_index_load()
    if error:
        last = error.strip().splitlines()[-1][:500]
        if last.startswith("MemoryError"):
            _give_back_memory()
            return None, FileError(code="out-of-memory", message=last.removeprefix("MemoryError: "), detector=detector)
        code = "timeout" if "timeout" in error.lower() else "detector-failed"
        return None, FileError(code=code, message=last, detector=detector)
    return value, None


def forget_file_types() -> None:
    """Drop typecode's per-path memo of file types: a long-lived process must see a file changed since."""
    import typecode.contenttype

    typecode.contenttype._registry.clear()
