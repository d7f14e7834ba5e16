"""A local process pool that survives its workers dying.

A worker can die without raising: a segfault in native code, or the kernel's
out-of-memory killer. multiprocessing.Pool then waits for the lost result for
ever. Here the tasks that were running when a worker died are retried one at a
time, each in a process of its own, so the task that kills its worker is known
and reported (``on_lost``) while every other task still gets its result.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import queue
import signal
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

# A task that was queued when a worker died may not have run yet, and a worker may be killed for the
# memory of another: so a suspect is judged on runs of its own.
ALONE_ATTEMPTS = 2
PR_SET_PDEATHSIG = 1  # prctl(2)
LOST = (
    f"its worker process died (a crash in native code, or killed for memory) in each of {ALONE_ATTEMPTS} "
    "runs on its own"
)


def run_tasks(
    func: Callable[[Any], Any],
    tasks: Sequence,
    jobs: int,
    on_result: Callable[[int, Any], None],
    on_lost: Callable[[int, str], None],
    setup: Callable[[], None] | None = None,
) -> None:
    """``func`` over ``tasks`` on ``jobs`` forked processes; ``on_result(i, value)`` as each finishes, in any
    order; ``on_lost(i, message)`` for a task that kills its worker even alone; ``setup()`` once in each worker
    before its first task. Exceptions of ``func`` propagate."""
    context = multiprocessing.get_context("fork")  # workers inherit loaded modules (and a loaded index)
    pending = deque(range(len(tasks)))
    suspects: deque[int] = deque()
    while pending:
        with ProcessPoolExecutor(min(jobs, len(pending)), mp_context=context, initializer=setup) as pool:
            running: dict = {}
            try:
                while pending or running:
                    while pending and len(running) < 2 * jobs:  # a few queued per worker, no more
                        # a worker can die before submit returns: the task stays pending until then
                        future = pool.submit(func, tasks[pending[0]])
                        running[future] = pending.popleft()
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in sorted(done, key=lambda f: running[f]):
                        value = future.result()  # BrokenProcessPool when a worker died
                        on_result(running.pop(future), value)
            except BrokenProcessPool:
                suspects.extend(sorted(running.values()))  # some of these were running when it died
        while suspects:
            i = suspects.popleft()
            for _ in range(ALONE_ATTEMPTS):
                with ProcessPoolExecutor(1, mp_context=context, initializer=setup) as alone:
                    try:
                        on_result(i, alone.submit(func, tasks[i]).result())
                        break
                    except BrokenProcessPool:
                        continue
            else:
                on_lost(i, LOST)


class HeadStart:
    """One forked process that runs ``func`` over ``tasks`` from the front while this process is busy (loading
    what other workers will share), until ``stop``. It takes each task from a counter in shared memory, so this
    process need not feed it (a busy process could not), and no thread runs while this one forks others."""

    def __init__(self, func: Callable[[Any], Any], tasks: Sequence, setup: Callable[[], None] | None = None):
        context = multiprocessing.get_context("fork")
        self._count = len(tasks)
        self._next = context.Value("q", 0)
        self._taken: int | None = None
        self._results = context.Queue()  # its feeder thread buffers: the early process never waits for us
        self._process = context.Process(target=_head_start, args=(func, tasks, self._next, self._results, setup))
        self._process.start()
        self._received: set[int] = set()

    def stop(self) -> int:
        """Let it take no more tasks: it took (and finishes) the first n, n returned."""
        if self._taken is None:
            with self._next.get_lock():
                self._taken = int(self._next.value)
                self._next.value = self._count
        return self._taken

    def ready(self, wait: bool = False) -> list[tuple[int, Any]]:
        """Its results received since the last call: those at hand, or (``wait``) all until it ends."""
        found: list[tuple[int, Any]] = []
        while True:
            try:
                item = self._results.get(timeout=0.1) if wait else self._results.get_nowait()
            except queue.Empty:
                if wait and self._process.is_alive():
                    continue
                if wait and not self._results.empty():
                    continue
                return found
            if item is None:  # it ended normally
                return found
            self._received.add(item[0])
            found.append(item)

    def finish(self) -> tuple[list[tuple[int, Any]], list[int]]:
        """Stop it and wait for it (its results read first: a process that has put items waits until they are
        read): its last results, and the tasks it took without a result (it died on one; ``run_tasks`` can
        then judge that one on runs of its own)."""
        taken = self.stop()
        found = self.ready(wait=True)
        self._process.join()
        return found, [i for i in range(taken) if i not in self._received]


def _head_start(func, tasks, counter, results, setup) -> None:
    _die_with_parent()
    if setup:
        setup()
    while True:
        with counter.get_lock():
            i = int(counter.value)
            if i >= len(tasks):
                break
            counter.value = i + 1
        results.put((i, func(tasks[i])))
    results.put(None)


@contextmanager
def alongside(func: Callable[..., Any], *args: Any) -> Iterator[Future]:
    """``func(*args)`` in a forked process while the block runs in this one (two passes of one run that
    share nothing but files); the future gives its result or raises its exception. Leaving the block waits
    for it."""
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_die_with_parent) as executor:
        yield executor.submit(func, *args)


def _die_with_parent() -> None:
    """Linux: the kernel kills this process when the one that forked it dies (killed, not only stopped), so a
    stopped run leaves no pass writing into its work folder under the next run."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the pass ends on its own
        return
    if os.getppid() == 1:  # the parent died before the call
        os._exit(1)
