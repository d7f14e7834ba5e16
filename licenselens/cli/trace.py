"""``licenselens trace``: where a rights holder's works are in the corpus and in model outputs."""

from __future__ import annotations

import os
import sys

import click
from rich.markup import escape

from licenselens.cli.errors import InputError
from licenselens.cli.options import IndexLocation
from licenselens.overlap.build import IndexBuildError
from licenselens.overlap.query import IndexOpenError
from licenselens.privacy import MaskedConsole
from licenselens.remedy.trace import WORK_INDEX, TraceInputError, TraceOptions, run_trace
from licenselens.reporters.trace_report import write_trace
from licenselens.sources.manifest import ManifestError


@click.command("trace")
@click.argument("works", nargs=-1, required=True)
@click.option(
    "--index",
    "index_path",
    required=True,
    type=IndexLocation(),
    help="The corpus's overlap index (a folder or URI) (`licenselens index build`, or an audit's OUTDIR/index).",
)
@click.option(
    "--corpus-results",
    type=click.Path(exists=True, dir_okay=False),
    help="corpus.parquet of `licenselens corpus`, for opt-outs [default: the index's, or one beside the index].",
)
@click.option(
    "--manifest",
    type=click.Path(exists=True, dir_okay=False),
    help="A dataset manifest whose [[outputs]] are checked against the works.",
)
@click.option(
    "-o",
    "--output-dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Where trace.html, trace.json, exclusions.txt and work-index/ go.",
)
def trace_command(works, index_path, corpus_results, manifest, output_dir) -> None:
    """Find the WORKS (text files, or folders of them) in the corpus and in model outputs: every corpus
    document holding a work verbatim or near-verbatim (share of the work, longest span, licence, opt-out)
    and every output of the manifest reproducing one.

    OUTPUT_DIR receives trace.html, trace.json, exclusions.txt (the documents to drop, for
    `licenselens clean --exclude`; thresholds in rules/trace.yaml) and work-index/, an overlap index of
    the works: `licenselens overlap --index OUTPUT_DIR/work-index OUTPUTS --fail-on near-verbatim` blocks
    outputs that reproduce them.

    Exit codes: 0 when every work and output was traced; 2 when some could not be read (binary, empty,
    unreadable or too short: each is named, the others are traced), or for usage errors.
    """
    stderr = MaskedConsole(stderr=True, highlight=False)
    options = TraceOptions(index_path, output_dir, corpus_results, manifest)
    try:
        result = run_trace(works, options)
    except (IndexOpenError, ManifestError, TraceInputError, IndexBuildError) as exc:
        raise InputError(str(exc)) from exc
    written = write_trace(result, output_dir)
    for error in result.errors:
        stderr.print(f"[red]error[/red] {escape(error.item)}: {error.code}: {escape(error.message)}")
    for work in result.works:
        datasets = ", ".join(f"{d.dataset} {d.documents}" for d in work.datasets) or "none"
        excluded = sum(1 for d in work.documents if d.excluded)
        outputs = ", ".join(f"{o.output_id} ({o.match.verdict})" for o in work.outputs) or "none"
        stderr.print(
            escape(
                f"{work.work_id}: {work.share * 100:.1f}% found ({work.verbatim_share * 100:.1f}% verbatim), "
                f"longest span {work.longest_span_tokens:,} tokens; documents: {datasets} ({excluded} excluded); "
                f"outputs: {outputs}"
            )
        )
    names = [os.path.basename(p) for p in written] + ([WORK_INDEX + "/"] if result.works else [])
    stderr.print(escape(f"wrote {output_dir}: {', '.join(names)}"))
    sys.exit(2 if result.errors else 0)
