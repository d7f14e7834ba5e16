"""``licenselens check``: the licence policy over a tree (and the pre-commit hooks), with a baseline."""

from __future__ import annotations

import dataclasses
import json
import os
import sys

import click

from licenselens.atomic import atomic_output
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
from licenselens.policy.baseline import baseline_document, mark_accepted, read_baseline
from licenselens.policy.loading import load_policy
from licenselens.privacy import redact
from licenselens.reporters import CHECK_REPORTERS
from licenselens.types.policy import PolicyReport


@click.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@policy_option()
@click.option("--format", "fmt", type=click.Choice(sorted(CHECK_REPORTERS)), default="text", show_default=True)
@output_option
@click.option("--baseline", type=click.Path(dir_okay=False), help="Accepted findings; only others fail.")
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False),
    help="Write every current finding to this baseline file and exit 0.",
)
@click.option(
    "--warm-server",
    is_flag=True,
    help="Analyse in a local server that keeps ScanCode's index loaded (started on demand, gone after "
    "10 idle minutes): what the pre-commit hooks use, so that a commit does not load the index each time.",
)
@scan_options
def check_command(paths, policy, fmt, output, baseline, write_baseline, warm_server, **scan) -> None:
    """Evaluate the licence policy; exit 1 when a finding is denied (the whole tree without PATHs)."""
    config = load_or_fail(load_project_config, ".")
    chosen = load_or_fail(load_policy, policy or config.policy)
    baseline_path = baseline or config.baseline
    # excludes are paths of this project, relative to where check runs (its root)
    options = build_options(config, **scan, paths_as_given=True, exclude=config.exclude, warm_server=warm_server)
    # the baseline and reports name licences; they must not become findings themselves
    own_files = [p for p in (baseline_path, write_baseline, output) if p]
    options = dataclasses.replace(
        options, exclude=options.exclude + tuple("/" + os.path.relpath(p).replace(os.sep, "/") for p in own_files)
    )
    result, _ = run_scan(list(paths) or ["."], options, chosen)

    if write_baseline:
        with atomic_output(write_baseline, binary=False) as fh:
            json.dump(redact(baseline_document(result.policy)), fh, indent=2)  # fingerprints match, not paths
            fh.write("\n")
        click.echo(
            f"wrote {write_baseline}: {len(baseline_document(result.policy)['findings'])} accepted findings", err=True
        )
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
