"""``licenselens scan``: licences and copyrights of files, folders and repositories."""

from __future__ import annotations

import sys

import click

from licenselens.cli.options import (
    build_options,
    emit,
    load_or_fail,
    output_option,
    policy_option,
    run_scan,
    scan_options,
)
from licenselens.config import load_project_config
from licenselens.policy.loading import load_policy
from licenselens.privacy import MaskedConsole
from licenselens.reporters import REPORTERS


@click.command("scan")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--format", "fmt", type=click.Choice(sorted(REPORTERS)), default="table", show_default=True)
@output_option
@policy_option()
@scan_options
def scan_command(paths, fmt, output, policy, **scan) -> None:
    """Detect licences and copyrights in files, directories and repositories."""
    reporter = REPORTERS[fmt]()
    if reporter.needs_file and not output:
        raise click.UsageError(f"--format {fmt} needs -o FILE")
    config = load_or_fail(load_project_config, ".")
    chosen = load_or_fail(load_policy, policy) if policy else None
    result, stats = run_scan(paths, build_options(config, **scan), chosen)
    emit(reporter, result, output)

    stderr = MaskedConsole(stderr=True, highlight=False)
    s = result.summary
    stderr.print(
        f"{s.files} files: {s.scanned} text, {s.binary} binary, {s.failed} failed; "
        f"{stats.analysed} analysed, {stats.from_cache} from cache, {stats.deduplicated} duplicates; "
        f"{stats.seconds:.1f}s"
    )
    for f in result.files:
        for e in f.errors:
            stderr.print(f"[yellow]{f.path}[/]: {e.code}: {e.message}")
    if s.files and s.failed == s.files:
        stderr.print("[red]nothing could be scanned[/]")
        sys.exit(2)
