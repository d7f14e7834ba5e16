"""Command line: parses options, calls the engine, hands results to a reporter."""

from __future__ import annotations

import dataclasses
import json
import os
import sys

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from licenselens.cli.audit import audit_command, report_command
from licenselens.cli.errors import ItemsFailed
from licenselens.cli.overlap import index_group, overlap_command
from licenselens.config import ConfigError, load_project_config
from licenselens.execution.executors import ENGINES, WorkerDied
from licenselens.corpus.runner import RESULTS_FILE, SUMMARY_FILE, WORK_DIR, CorpusError, CorpusOptions, run_corpus
from licenselens.scan.options import ScanOptions
from licenselens.scan.runner import scan_tree
from licenselens.sources.manifest import ManifestError, manifest_for
from licenselens.policy.baseline import BaselineError, baseline_document, mark_accepted, read_baseline
from licenselens.policy.loading import PolicyError, builtin_policies, load_policy
from licenselens.reporters import CHECK_REPORTERS, REPORTERS
from licenselens.reporters.corpus_table import render_corpus_summary
from licenselens.sources.base import ReadLimits
from licenselens.atomic import atomic_output
from licenselens.stamp import DISTRIBUTION, TOOL_NAME
from licenselens.types.policy import PolicyReport


@click.group()
@click.version_option(package_name=DISTRIBUTION, prog_name=TOOL_NAME)
def main() -> None:
    """licenselens: licence and copyright evidence for repositories and training corpora."""


def engine_options(func):
    """Options shared by every command that scans files."""
    options = [
        click.option("-j", "--jobs", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default=True,
                     help="Worker processes."),
        click.option("--no-cache", is_flag=True, help="Neither read nor write the on-disk result cache."),
        click.option("--cache-dir", type=click.Path(file_okay=False), help="Cache folder (default: the user cache dir)."),
        click.option("--max-file-size", type=click.IntRange(min=1), default=None,
                     help=f"Bytes; larger files get a 'too-large' error [default: {ScanOptions.max_file_size}]."),
        click.option("--timeout", type=click.FloatRange(min=0.1), default=None,
                     help=f"Seconds per file and detector [default: {ScanOptions.timeout:g}]."),
        click.option("--max-memory", type=click.IntRange(min=1), default=None,
                     help="MiB of memory one file's ScanCode analysis may add to its worker; beyond it the file "
                          f"gets an 'out-of-memory' error [default: {ScanOptions.max_memory >> 20}]."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def build_options(config, jobs, no_cache, cache_dir, max_file_size, timeout, max_memory, **extra) -> ScanOptions:
    mib = max_memory or config.max_memory
    return ScanOptions(
        jobs=jobs, use_cache=not no_cache, cache_dir=cache_dir,
        max_file_size=max_file_size or config.max_file_size or ScanOptions.max_file_size,
        timeout=timeout or config.timeout or ScanOptions.timeout,
        max_memory=mib * 2**20 if mib else ScanOptions.max_memory, **extra,
    )


def run_scan(paths, options, policy):
    stderr = Console(stderr=True)
    if not stderr.is_terminal:
        return scan_tree(paths, options, None, policy)
    with Progress(TextColumn("scanning"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=stderr, transient=True) as bar:
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
        raise click.UsageError(str(exc)) from exc


policy_option = click.option(
    "--policy", help=f"A built-in policy ({', '.join(builtin_policies())}) or a policy YAML file.")


@main.command("scan")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--format", "fmt", type=click.Choice(sorted(REPORTERS)), default="table", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here instead of standard output.")
@policy_option
@engine_options
def scan_command(paths, fmt, output, policy, **engine) -> None:
    """Detect licences and copyrights in files, directories and repositories."""
    reporter = REPORTERS[fmt]()
    if reporter.needs_file and not output:
        raise click.UsageError(f"--format {fmt} needs -o FILE")
    config = load_or_fail(load_project_config, ".")
    chosen = load_or_fail(load_policy, policy) if policy else None
    result, stats = run_scan(paths, build_options(config, **engine), chosen)
    emit(reporter, result, output)

    stderr = Console(stderr=True, highlight=False)
    s = result.summary
    stderr.print(f"{s.files} files: {s.scanned} text, {s.binary} binary, {s.failed} failed; "
                 f"{stats.analysed} analysed, {stats.from_cache} from cache, {stats.deduplicated} duplicates; "
                 f"{stats.seconds:.1f}s")
    for f in result.files:
        for e in f.errors:
            stderr.print(f"[yellow]{f.path}[/]: {e.code}: {e.message}")
    if s.files and s.failed == s.files:
        stderr.print("[red]nothing could be scanned[/]")
        sys.exit(2)


@main.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@policy_option
@click.option("--format", "fmt", type=click.Choice(sorted(CHECK_REPORTERS)), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here instead of standard output.")
@click.option("--baseline", type=click.Path(dir_okay=False), help="Accepted findings; only others fail.")
@click.option("--write-baseline", type=click.Path(dir_okay=False),
              help="Write every current finding to this baseline file and exit 0.")
@engine_options
def check_command(paths, policy, fmt, output, baseline, write_baseline, **engine) -> None:
    """Evaluate the licence policy; exit 1 when a finding is denied (the whole tree without PATHs)."""
    config = load_or_fail(load_project_config, ".")
    chosen = load_or_fail(load_policy, policy or config.policy)
    baseline_path = baseline or config.baseline
    # excludes are paths of this project, relative to where check runs (its root)
    options = build_options(config, **engine, paths_as_given=True, exclude=config.exclude)
    # the baseline and reports name licences; they must not become findings themselves
    own_files = [p for p in (baseline_path, write_baseline, output) if p]
    options = dataclasses.replace(options, exclude=options.exclude + tuple(
        "/" + os.path.relpath(p).replace(os.sep, "/") for p in own_files))
    result, _ = run_scan(list(paths) or ["."], options, chosen)

    if write_baseline:
        with atomic_output(write_baseline, binary=False) as fh:
            json.dump(baseline_document(result.policy), fh, indent=2)
            fh.write("\n")
        click.echo(f"wrote {write_baseline}: {len(baseline_document(result.policy)['findings'])} accepted findings", err=True)
        return

    accepted = load_or_fail(read_baseline, baseline_path) if baseline_path else set()
    findings = mark_accepted(result.policy.findings, accepted, _read_lines)
    result = dataclasses.replace(result, policy=PolicyReport(result.policy.policy, tuple(findings)))
    emit(CHECK_REPORTERS[fmt](), result, output)
    sys.exit(1 if result.policy.failing else 0)


def _read_lines(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read().splitlines()
    except OSError:
        return []


@main.command("corpus")
@click.argument("manifest_or_path", type=click.Path(exists=True))
@click.option("-o", "--output-dir", default="licenselens-out", show_default=True, type=click.Path(file_okay=False),
              help=f"Where {RESULTS_FILE} and {SUMMARY_FILE} are written (work files in {WORK_DIR}/ make runs resumable).")
@click.option("--engine", type=click.Choice(sorted(ENGINES)), default="local", show_default=True)
@click.option("--ray-address", help="Join this Ray cluster (default with --engine ray: start a local one).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default=True,
              help="Worker processes (local) or concurrent tasks (Ray).")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=CorpusOptions.timeout, show_default=True,
              help="Seconds per licence/copyright region.")
@click.option("--shard-size", type=click.FloatRange(min=0.01), default=CorpusOptions.shard_bytes // 2**20,
              show_default=True, help="MiB of input per shard (the unit of parallelism and resumption).")
@click.option("--max-line-bytes", type=click.IntRange(min=1), default=ReadLimits.max_line_bytes, show_default=True,
              help="Longest JSON Lines record; longer lines get a 'line-too-long' error and are skipped unread.")
@click.option("--max-file-size", type=click.IntRange(min=1), default=ReadLimits.max_file_bytes, show_default=True,
              help="Bytes; larger text files, source-tree files and JSON files get a 'too-large' error.")
@click.option("--fresh", is_flag=True, help="Ignore finished shards of an earlier run.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="What goes to standard output: the summary table or the summary JSON.")
def corpus_command(manifest_or_path, output_dir, engine, ray_address, jobs, timeout, shard_size, max_line_bytes,
                   max_file_size, fresh, fmt) -> None:
    """Per-document licence, opt-out and personal-information signals of training datasets."""
    try:
        manifest = manifest_for(manifest_or_path)
    except ManifestError as exc:
        raise click.UsageError(str(exc)) from exc
    options = CorpusOptions(output_dir=output_dir, engine=engine, jobs=jobs, ray_address=ray_address,
                            timeout=timeout, shard_bytes=int(shard_size * 2**20), fresh=fresh,
                            limits=ReadLimits(max_line_bytes=max_line_bytes, max_file_bytes=max_file_size))
    stderr = Console(stderr=True, highlight=False)
    try:
        if stderr.is_terminal:
            with Progress(TextColumn("shards"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=stderr, transient=True) as bar:
                task = bar.add_task("corpus", total=None)
                run = run_corpus(manifest, options, lambda _: bar.advance(task),
                                 lambda total: bar.update(task, total=total))
        else:
            run = run_corpus(manifest, options)
    except CorpusError as exc:
        raise click.UsageError(str(exc)) from exc
    except WorkerDied as exc:
        raise ItemsFailed(str(exc)) from exc
    if fmt == "json":
        click.echo(json.dumps(run.summary, indent=2, ensure_ascii=False))
    else:
        # a pipe or file gets the whole table rather than 80 folded columns
        render_corpus_summary(run.summary, Console() if sys.stdout.isatty() else Console(width=160))
    stderr.print(f"wrote {run.results_path} and {run.summary_path} "
                 f"({run.shards} shards, {run.shards_reused} from an earlier run)")
    sys.exit(2 if run.summary["totals"]["errors"] else 0)


main.add_command(index_group)
main.add_command(overlap_command)
main.add_command(audit_command)
main.add_command(report_command)
