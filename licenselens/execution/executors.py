"""Engines that run shard tasks: a local process pool, or Ray Data on a local or existing Ray cluster.

Both call the same per-shard function (corpus signals, index building), which
writes its results itself; so the engine cannot change what is produced, only
where it runs.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence
from typing import Any

from licenselens.execution.pool import run_tasks

Progress = Callable[[dict], None]
ShardFunction = Callable[[Any], dict]
Setup = Callable[[], None]  # run once in each worker before its tasks (e.g. installing ScanCode's patches)


class WorkerDied(RuntimeError):
    """A shard whose worker process died even when run alone."""


def run_local(
    func: ShardFunction,
    tasks: Sequence,
    jobs: int,
    progress: Progress,
    ray_address: str | None = None,
    setup: Setup | None = None,
) -> None:
    if setup:
        setup()  # here, for tasks run in this process; forked workers inherit it and run it again
    if jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            progress(func(task))
        return
    # workers inherit loaded modules; each loads ScanCode's index itself, lazily, if it needs it
    lost: list[str] = []
    run_tasks(
        func,
        tasks,
        jobs,
        lambda i, outcome: progress(outcome),
        lambda i, message: lost.append(f"{_describe(tasks[i])}: {message}"),
        setup,
    )
    if lost:  # the other shards are kept, so a rerun redoes only these
        raise WorkerDied(f"{len(lost)} shard(s) not finished: " + "; ".join(lost))


def _describe(task) -> str:
    shard = getattr(task, "shard", None)
    return f"{shard.dataset}: {shard.location} from record {shard.first_record}" if shard else repr(task)


def _ray_row(row: dict) -> dict:
    func, task, setup = pickle.loads(row["task"])
    if setup:
        setup()  # idempotent: a Ray worker process runs many rows
    return func(task)


def run_ray(
    func: ShardFunction,
    tasks: Sequence,
    jobs: int,
    progress: Progress,
    ray_address: str | None = None,
    setup: Setup | None = None,
) -> None:
    import ray

    if setup:
        setup()  # in the driver too: a setup that fails (another scancode-toolkit) fails before any task
    started_here = not ray.is_initialized()
    if started_here:
        if ray_address:
            ray.init(address=ray_address, log_to_driver=False)
        else:
            ray.init(
                num_cpus=jobs,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
                _system_config={"metrics_report_interval_ms": 10**8},
            )
    try:
        ray.data.DataContext.get_current().enable_progress_bars = False
        items = [{"task": pickle.dumps((func, task, setup))} for task in tasks]
        dataset = ray.data.from_items(items, override_num_blocks=max(1, len(items)))
        for outcome in dataset.map(_ray_row, num_cpus=1, concurrency=max(1, jobs)).iter_rows():
            progress(dict(outcome))
    finally:
        if started_here:
            ray.shutdown()


ENGINES: dict[str, Callable[..., None]] = {"local": run_local, "ray": run_ray}
