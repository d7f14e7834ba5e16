"""``licenselens audit`` and ``licenselens report``: thin wrappers over licenselens.audit and the writers."""

from __future__ import annotations

import json
import os
import sys

import click
from rich.console import Console

from licenselens.audit.runner import AuditOptions, run_audit
from licenselens.cli.errors import ItemsFailed
from licenselens.execution.executors import ENGINES, WorkerDied
from licenselens.corpus.runner import CorpusError
from licenselens.sources.manifest import ManifestError, manifest_for
from licenselens.overlap.build import IndexBuildError
from licenselens.policy.loading import PolicyError, builtin_policies
from licenselens.reporters.audit_outputs import render_all
from licenselens.types.policy import VERDICTS

# what the writers read; a results.json without them comes from another version
REQUIRED_FIELDS = {"schema_version", "model", "processing", "policy", "corpus", "documents", "trees", "overlap",
                   "evidence"}
REQUIRED_EVIDENCE = {"governing_categories", "declared_only_share", "regurgitation_rate"}


def _finish(results: dict, output_dir: str, fail_on: str | None) -> None:
    """Writes OUTDIR's reports, says what happened; exit 1 for findings at --fail-on, 2 for input errors."""
    written = render_all(results, output_dir)
    stderr = Console(stderr=True, highlight=False)
    errors = [(d["name"], e) for d in results["corpus"]["datasets"] for e in d["errors"]]
    errors += [("outputs", e) for e in results["overlap"]["errors"]]
    for dataset, error in errors:
        stderr.print(f"[red]error[/red] {dataset}: {error['origin']}: {error['code']}: {error['message']}",
                     markup=True, highlight=False)
    by_verdict = results["overlap"]["by_verdict"]
    stderr.print(f"{results['corpus']['totals']['documents']:,} documents in {len(results['corpus']['datasets'])} "
                 f"datasets; {len(results['overlap']['outputs'])} outputs: "
                 + ", ".join(f"{n} {v}" for v, n in by_verdict.items()))
    stderr.print(f"wrote {output_dir}: " + ", ".join(os.path.basename(p) for p in written))
    if fail_on:
        policy = results["policy"]
        verdicts = [policy["output_verdicts"], policy["file_verdicts"], *policy["document_verdicts"].values()]
        worst = [v for v in VERDICTS[VERDICTS.index(fail_on):] if any(c.get(v) for c in verdicts)]
        if worst:
            stderr.print(f"[red]policy {policy['name']}: findings at '{worst[-1]}'[/red]")
            sys.exit(1)
    sys.exit(2 if errors else 0)


@click.command("audit")
@click.argument("manifest_path", type=click.Path(exists=True))
@click.option("-o", "--output-dir", required=True, type=click.Path(file_okay=False),
              help="Where the reports, results.json, corpus.parquet and the overlap index go.")
@click.option("--policy", help=f"A built-in policy ({', '.join(builtin_policies())}) or a policy YAML file "
                               "[default: the manifest's `policy`, else default].")
@click.option("--engine", type=click.Choice(sorted(ENGINES)), default="local", show_default=True)
@click.option("--ray-address", help="Join this Ray cluster (default with --engine ray: start a local one).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default=True)
@click.option("--fresh", is_flag=True, help="Redo finished corpus shards of an earlier run.")
@click.option("--no-cache", is_flag=True, help="Scan source trees without the on-disk result cache.")
@click.option("--max-documents", type=click.IntRange(min=0), default=AuditOptions.max_documents, show_default=True,
              help="Document rows in results.json and the report (flagged first); corpus.parquet has all.")
@click.option("--fail-on", type=click.Choice(["review", "deny"]),
              help="Exit 1 when a policy finding reaches this verdict.")
def audit_command(manifest_path, output_dir, policy, engine, ray_address, jobs, fresh, no_cache, max_documents,
                  fail_on) -> None:
    """Audit the datasets and model outputs of MANIFEST: corpus signals, licence scan of source
    trees, overlap of outputs with the corpus, policy, fair-use rationale; reports in OUTPUT_DIR."""
    options = AuditOptions(output_dir=output_dir, policy=policy, engine=engine, jobs=jobs, ray_address=ray_address,
                           fresh=fresh, use_cache=not no_cache, max_documents=max_documents)
    stderr = Console(stderr=True, highlight=False)
    try:
        results = run_audit(manifest_for(manifest_path), options, lambda message: stderr.print(message))
    except (ManifestError, PolicyError, CorpusError, IndexBuildError) as exc:
        raise click.UsageError(str(exc)) from exc
    except WorkerDied as exc:
        raise ItemsFailed(str(exc)) from exc
    _finish(results, output_dir, fail_on)


@click.command("report")
@click.argument("results_path", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output-dir", required=True, type=click.Path(file_okay=False))
def report_command(results_path, output_dir) -> None:
    """Re-render the reports of an audit from its RESULTS_PATH (results.json), without rescanning;
    the fair-use rationale and AI Act summary follow the current rules/ texts."""
    try:
        with open(results_path, encoding="utf-8") as fh:
            results = json.load(fh)
        if not isinstance(results, dict) or "evidence" not in results:
            raise ValueError("not the results.json of `licenselens audit`")
        results.pop("assessment", None)
        missing = sorted(REQUIRED_FIELDS - set(results)) + sorted(
            f"evidence.datasets.{name}.{key}" for name, ds in (results["evidence"].get("datasets") or {}).items()
            for key in REQUIRED_EVIDENCE - set(ds))
        if missing:
            raise ValueError(f"written by another version of licenselens (schema {results.get('schema_version')}); "
                             f"missing {', '.join(missing[:5])}: run `licenselens audit` again")
    except (OSError, ValueError, AttributeError) as exc:
        raise click.UsageError(f"{results_path}: {exc}") from exc
    _finish(results, output_dir, None)
