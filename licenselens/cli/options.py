"""Option groups and helpers that several commands share."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from licenselens.atomic import atomic_output
from licenselens.cli.errors import InputError
from licenselens.config import ConfigError, ProjectConfig
from licenselens.execution.executors import ENGINES
from licenselens.policy.baseline import BaselineError
from licenselens.policy.loading import PolicyError, builtin_policies
from licenselens.privacy import MaskedConsole
from licenselens.scan.options import ScanOptions
from licenselens.scan.runner import scan_tree
from licenselens.sources.base import ReadLimits

if TYPE_CHECKING:
    from licenselens.corpus.runner import CorpusOptions


class IndexLocation(click.ParamType):
    """An index's folder, or a URI that pyarrow.fs speaks (s3://, gs://, hdfs://, file://: ``overlap.remote``)."""

    name = "folder|uri"

    def __init__(self, exists: bool = True):
        self.exists = exists

    def convert(self, value, param, ctx):
        from licenselens.overlap.remote import is_uri

        if is_uri(value):
            return value
        return click.Path(file_okay=False, exists=self.exists).convert(value, param, ctx)


def _apply(options: list, func: Callable) -> Callable:
    for option in reversed(options):
        func = option(func)
    return func


def _jobs(help: str):
    return click.option(
        "-j", "--jobs", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default=True, help=help
    )


def scan_options(func: Callable) -> Callable:
    """What a scan of files may cost: ``scan`` and ``check``."""
    return _apply(
        [
            _jobs("Worker processes."),
            click.option("--no-cache", is_flag=True, help="Neither read nor write the on-disk result cache."),
            click.option(
                "--cache-dir", type=click.Path(file_okay=False), help="Cache folder (default: the user cache dir)."
            ),
            click.option(
                "--max-file-size",
                type=click.IntRange(min=1),
                default=None,
                help=f"Bytes; larger files get a 'too-large' error [default: {ScanOptions.max_file_size}].",
            ),
            click.option(
                "--timeout",
                type=click.FloatRange(min=0.1),
                default=None,
                help=f"Seconds per file and detector [default: {ScanOptions.timeout:g}].",
            ),
            click.option(
                "--max-memory",
                type=click.IntRange(min=1),
                default=None,
                help="MiB of memory one file's ScanCode analysis may add to its worker; beyond it the file "
                f"gets an 'out-of-memory' error [default: {ScanOptions.max_memory >> 20}].",
            ),
        ],
        func,
    )


def query_engine_options(func: Callable) -> Callable:
    """Where an opened index's parts are held: ``overlap`` and ``serve``."""
    return _apply(
        [
            click.option(
                "--engine",
                type=click.Choice(sorted(ENGINES)),
                default="local",
                show_default=True,
                help="ray: each part of the index in a Ray actor (the same results).",
            ),
            click.option("--ray-address", help="Join this Ray cluster (default with --engine ray: start a local one)."),
        ],
        func,
    )


def engine_options(func: Callable) -> Callable:
    """Where sharded work runs: ``corpus``, ``index build`` and ``audit``."""
    return _apply(
        [
            click.option("--engine", type=click.Choice(sorted(ENGINES)), default="local", show_default=True),
            click.option("--ray-address", help="Join this Ray cluster (default with --engine ray: start a local one)."),
            _jobs("Worker processes (local) or concurrent tasks (Ray)."),
        ],
        func,
    )


def policy_option(default_help: str = "") -> Callable:
    return click.option(
        "--policy", help=f"A built-in policy ({', '.join(builtin_policies())}) or a policy YAML file{default_help}."
    )


def output_option(func: Callable) -> Callable:
    return click.option(
        "-o", "--output", type=click.Path(dir_okay=False), help="Write here instead of standard output."
    )(func)


def build_options(
    config: ProjectConfig, jobs, no_cache, cache_dir, max_file_size, timeout, max_memory, **extra: Any
) -> ScanOptions:
    """ScanOptions from the scan option group, the project configuration filling what was not given."""
    mib = max_memory or config.max_memory
    return ScanOptions(
        jobs=jobs,
        use_cache=not no_cache,
        cache_dir=cache_dir,
        max_file_size=max_file_size or config.max_file_size or ScanOptions.max_file_size,
        timeout=timeout or config.timeout or ScanOptions.timeout,
        max_memory=mib * 2**20 if mib else ScanOptions.max_memory,
        **extra,
    )


def run_scan(paths, options, policy):
    stderr = MaskedConsole(stderr=True)
    if not stderr.is_terminal:
        return scan_tree(paths, options, None, policy)
    with Progress(
        TextColumn("scanning"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=stderr, transient=True
    ) as bar:
        task = bar.add_task("scan", total=None)
        return scan_tree(paths, options, lambda done, total: bar.update(task, completed=done, total=total), policy)


def emit(reporter, result, output) -> None:
    if output:
        with atomic_output(output, reporter.binary) as fh:
            reporter.write(result, fh)
    else:
        reporter.write(result, sys.stdout)


def load_or_fail(loader, *args):
    try:
        return loader(*args)
    except (PolicyError, ConfigError, BaselineError) as exc:
        raise InputError(str(exc)) from exc


def corpus_read_options(func: Callable) -> Callable:
    """How documents are read and measured: ``corpus`` and ``clean``."""
    from licenselens.corpus.runner import CorpusOptions  # here: scan and check never load the corpus pipeline

    return _apply(
        [
            click.option(
                "--timeout",
                type=click.FloatRange(min=0.1),
                default=CorpusOptions.timeout,
                show_default=True,
                help="Seconds per licence/copyright region.",
            ),
            click.option(
                "--shard-size",
                type=click.FloatRange(min=0.01),
                default=CorpusOptions.shard_bytes // 2**20,
                show_default=True,
                help="MiB of input per shard (the unit of parallelism and resumption).",
            ),
            click.option(
                "--dedup-memory",
                type=click.IntRange(min=1),
                default=CorpusOptions.dedup_memory,
                show_default=True,
                help="Kept documents whose duplicate keys (text digest, LSH bands) stay in memory, about 3 KB "
                "each; older ones go to a file in the work folder, so memory stays bounded.",
            ),
            click.option(
                "--max-line-bytes",
                type=click.IntRange(min=1),
                default=ReadLimits.max_line_bytes,
                show_default=True,
                help="Longest JSON Lines record; longer lines get a 'line-too-long' error and are skipped unread.",
            ),
            click.option(
                "--max-file-size",
                type=click.IntRange(min=1),
                default=ReadLimits.max_file_bytes,
                show_default=True,
                help="Bytes; larger text files, source-tree files and JSON files get a 'too-large' error.",
            ),
        ],
        func,
    )


def corpus_options(params: dict[str, Any], **extra: Any) -> CorpusOptions:
    """CorpusOptions from a command's ``engine_options``, ``corpus_read_options`` and ``--fresh``."""
    from licenselens.corpus.runner import CorpusOptions

    return CorpusOptions(
        engine=params["engine"],
        jobs=params["jobs"],
        ray_address=params["ray_address"],
        timeout=params["timeout"],
        shard_bytes=int(params["shard_size"] * 2**20),
        fresh=params["fresh"],
        dedup_memory=params["dedup_memory"],
        limits=ReadLimits(max_line_bytes=params["max_line_bytes"], max_file_bytes=params["max_file_size"]),
        **extra,
    )
