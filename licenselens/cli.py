"""Command line: parses options, calls the engine, hands results to a reporter."""

from __future__ import annotations

import os
import sys

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .engine import ScanOptions, scan
from .reporters import REPORTERS
from .reporters.base import atomic_output


@click.group()
@click.version_option(package_name="licenselens")
def main() -> None:
    """licenselens: licence and copyright evidence for repositories and training corpora."""


def _progress(stderr: Console):
    if not stderr.is_terminal:
        return None, None
    bar = Progress(TextColumn("scanning"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=stderr, transient=True)
    task = bar.add_task("scan", total=None)
    return bar, lambda done, total: bar.update(task, completed=done, total=total)


@main.command("scan")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, file_okay=True, dir_okay=True))
@click.option("--format", "fmt", type=click.Choice(sorted(REPORTERS)), default="table", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here instead of standard output.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default=True,
              help="Worker processes.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the on-disk result cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False), help="Cache folder (default: the user cache dir).")
@click.option("--max-file-size", type=click.IntRange(min=1), default=ScanOptions.max_file_size, show_default=True,
              help="Bytes; larger files get a 'too-large' error.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=ScanOptions.timeout, show_default=True,
              help="Seconds per file and detector.")
def scan_command(paths, fmt, output, jobs, no_cache, cache_dir, max_file_size, timeout) -> None:
    """Detect licences and copyrights in files, directories and repositories."""
    reporter = REPORTERS[fmt]()
    if reporter.needs_file and not output:
        raise click.UsageError(f"--format {fmt} needs -o FILE")
    stderr = Console(stderr=True)
    options = ScanOptions(jobs=jobs, max_file_size=max_file_size, timeout=timeout,
                          use_cache=not no_cache, cache_dir=cache_dir)
    bar, callback = _progress(stderr)
    if bar:
        with bar:
            result, stats = scan(paths, options, callback)
    else:
        result, stats = scan(paths, options, callback)

    if output:
        with atomic_output(output, reporter.binary) as fh:
            reporter.write(result, fh)
    else:
        reporter.write(result, sys.stdout)

    s = result.summary
    stderr.print(f"{s.files} files: {s.scanned} text, {s.binary} binary, {s.failed} failed; "
                 f"{stats.analysed} analysed, {stats.from_cache} from cache, {stats.deduplicated} duplicates; "
                 f"{stats.seconds:.1f}s", highlight=False)
    for f in result.files:
        for e in f.errors:
            stderr.print(f"[yellow]{f.path}[/]: {e.code}: {e.message}", highlight=False, markup=True)
    if s.files and s.failed == s.files:
        stderr.print("[red]nothing could be scanned[/]")
        sys.exit(2)
