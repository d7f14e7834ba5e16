"""``licenselens audit``: every layer over a manifest, then the reports of OUTDIR."""

from __future__ import annotations

import os
import sys

import click

from licenselens.audit.assessment import with_assessment
from licenselens.audit.remediation import RemediationError
from licenselens.audit.runner import AuditOptions, run_audit
from licenselens.cli.errors import InputError, ItemsFailed
from licenselens.cli.options import engine_options, policy_option
from licenselens.corpus.runner import CorpusError
from licenselens.execution.executors import WorkerDied
from licenselens.overlap.build import IndexBuildError
from licenselens.policy.evaluate import worst_reached
from licenselens.policy.loading import PolicyError
from licenselens.privacy import MaskedConsole
from licenselens.reporters.audit_outputs import render_all
from licenselens.sources.manifest import ManifestError, manifest_for
from licenselens.types.audit import Results
from licenselens.types.policy import VERDICTS


def finish(results: Results, output_dir: str, fail_on: str | None) -> None:
    """Writes OUTDIR's reports, says what happened; exit 1 for findings at --fail-on, 2 for input errors."""
    written = render_all(with_assessment(results), output_dir)
    stderr = MaskedConsole(stderr=True, highlight=False)
    errors = [(d["name"], e) for d in results["corpus"]["datasets"] for e in d["errors"]]
    errors += [("outputs", e) for e in results["overlap"]["errors"]]
    for dataset, error in errors:
        stderr.print(
            f"[red]error[/red] {dataset}: {error['origin']}: {error['code']}: {error['message']}",
            markup=True,
            highlight=False,
        )
    by_verdict = results["overlap"]["by_verdict"]
    stderr.print(
        f"{results['corpus']['totals']['documents']:,} documents in {len(results['corpus']['datasets'])} "
        f"datasets; {len(results['overlap']['outputs'])} outputs: "
        + ", ".join(f"{n} {v}" for v, n in by_verdict.items())
    )
    stderr.print(f"wrote {output_dir}: " + ", ".join(os.path.basename(p) for p in written))
    if fail_on:
        policy = results["policy"]
        worst = worst_reached(
            [policy["output_verdicts"], policy["file_verdicts"], *policy["document_verdicts"].values()], fail_on
        )
        if worst:
            stderr.print(f"[red]policy {policy['name']}: findings at '{worst}'[/red]")
            sys.exit(1)
    sys.exit(2 if errors else 0)


@click.command("audit")
@click.argument("manifest_path", type=click.Path(exists=True))
@click.option(
    "-o",
    "--output-dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Where the reports, results.json, corpus.parquet and the overlap index go.",
)
@policy_option(" [default: the manifest's `policy`, else default]")
@engine_options
@click.option("--fresh", is_flag=True, help="Redo finished corpus shards of an earlier run.")
@click.option("--no-cache", is_flag=True, help="Scan source trees without the on-disk result cache.")
@click.option(
    "--max-documents",
    type=click.IntRange(min=0),
    default=AuditOptions.max_documents,
    show_default=True,
    help="Document rows in results.json and the report (flagged first); corpus.parquet has all.",
)
@click.option("--fail-on", type=click.Choice(VERDICTS[1:]), help="Exit 1 when a policy finding reaches this verdict.")
@click.option(
    "--before",
    type=click.Path(exists=True, file_okay=False),
    help="The corpus before cleaning (a `corpus` or `audit` folder): the report compares it with this one. "
    "Found by itself beside a manifest `licenselens clean` wrote.",
)
def audit_command(
    manifest_path, output_dir, policy, engine, ray_address, jobs, fresh, no_cache, max_documents, fail_on, before
) -> None:
    """Audit the datasets and model outputs of MANIFEST: corpus signals, licence scan of source
    trees, overlap of outputs with the corpus, policy, fair-use rationale; reports in OUTPUT_DIR."""
    options = AuditOptions(
        output_dir=output_dir,
        policy=policy,
        engine=engine,
        jobs=jobs,
        ray_address=ray_address,
        fresh=fresh,
        use_cache=not no_cache,
        max_documents=max_documents,
        before=before,
    )
    stderr = MaskedConsole(stderr=True, highlight=False)
    try:
        results = run_audit(manifest_for(manifest_path), options, lambda message: stderr.print(message))
    except (ManifestError, PolicyError, CorpusError, IndexBuildError, RemediationError) as exc:
        raise InputError(str(exc)) from exc
    except WorkerDied as exc:
        raise ItemsFailed(str(exc)) from exc
    finish(results, output_dir, fail_on)
