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
from collections.abc import Callable, Iterable, Iterator, Sequence
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
    tasks: Iterable,
    jobs: int,
    on_result: Callable[[int, Any], None],
    on_lost: Callable[[int, str], None],
    setup: Callable[[], None] | None = None,
) -> None:
    """``func`` over ``tasks`` on ``jobs`` forked processes; ``on_result(i, value)`` as each finishes, in any
    order; ``on_lost(i, message)`` for a task that kills its worker even alone; ``setup()`` once in each worker
    before its first task. Exceptions of ``func`` propagate. ``i`` counts tasks in the order they are drawn:
    an iterator is drawn only as workers take tasks (so it can share its work with a ``HeadStart``)."""
    context = multiprocessing.get_context("fork")  # workers inherit loaded modules (and a loaded index)
    if isinstance(tasks, Sequence):
        jobs = min(jobs, len(tasks))
    source = iter(tasks)
    drawn: list = []
    suspects: deque[int] = deque()
    ended = False

    def draw() -> int | None:
        nonlocal ended
        if not ended:
            for task in source:
                drawn.append(task)
                return len(drawn) - 1
            ended = True
        return None

    while not ended:
        with ProcessPoolExecutor(max(jobs, 1), mp_context=context, initializer=setup) as pool:
            running: dict = {}
            submitting: int | None = None  # a worker can die before submit returns: then a suspect too
            try:
                while True:
                    while len(running) < 2 * jobs:  # a few queued per worker, no more
                        i = draw()
                        if i is None:
                            break
                        submitting = i
                        running[pool.submit(func, drawn[i])] = i
                        submitting = None
                    if not running:
                        break
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in sorted(done, key=lambda f: running[f]):
                        value = future.result()  # BrokenProcessPool when a worker died
                        on_result(running.pop(future), value)
            except BrokenProcessPool:
                # some of these were running when it died
                suspects.extend(sorted({*running.values(), *([] if submitting is None else [submitting])}))
        while suspects:
            i = suspects.popleft()
            for _ in range(ALONE_ATTEMPTS):
                with ProcessPoolExecutor(1, mp_context=context, initializer=setup) as alone:
                    try:
                        on_result(i, alone.submit(func, drawn[i]).result())
                        break
                    except BrokenProcessPool:
                        continue
            else:
                on_lost(i, LOST)


class HeadStart:
    """One forked process that runs ``func`` over ``tasks`` from the front while this process is busy (loading
    what the other workers will share); ``take`` hands the rest to them. The two sides share a counter in
    shared memory, so this process need not feed the early one, and no thread runs while it forks others."""

    def __init__(self, func: Callable[[Any], Any], tasks: Sequence, setup: Callable[[], None] | None = None):
        context = multiprocessing.get_context("fork")
        self._tasks = tasks
        self._next = context.Value("q", 0)
        self._taken_here: set[int] = set()
        self._results = context.Queue()  # its feeder thread buffers: the early process never waits for us
        self._process = context.Process(target=_head_start, args=(func, tasks, self._next, self._results, setup))
        self._process.start()
        self._received: dict[int, Any] = {}

    def take(self) -> int | None:
        """The next task no process has taken, for this side (None when none is left)."""
        with self._next.get_lock():
            i = int(self._next.value)
            if i >= len(self._tasks):
                return None
            self._next.value = i + 1
        self._taken_here.add(i)
        return i

    def ready(self) -> list[tuple[int, Any]]:
        """The early process's results received since the last call, without waiting."""
        found: list[tuple[int, Any]] = []
        while True:
            try:
                item = self._results.get_nowait()
            except queue.Empty:
                return found
            if item is not None:
                self._received[item[0]] = item[1]
                found.append(item)

    def finish(self) -> tuple[list[tuple[int, Any]], list[int]]:
        """Stop it taking tasks and wait for it: its last results, and the tasks it took without a result (it
        died on one; ``run_tasks`` can then judge that task on runs of its own)."""
        with self._next.get_lock():
            taken = int(self._next.value)
            self._next.value = len(self._tasks)
        found: list[tuple[int, Any]] = []
        while True:  # read before joining: a process that has put items waits until they are read
            try:
                item = self._results.get(timeout=0.1)
            except queue.Empty:
                if not self._process.is_alive():
                    found.extend(self.ready())
                    break
                continue
            if item is None:
                break
            self._received[item[0]] = item[1]
            found.append(item)
        self._process.join()
        unfinished = [i for i in range(taken) if i not in self._taken_here and i not in self._received]
        return found, unfinished


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
