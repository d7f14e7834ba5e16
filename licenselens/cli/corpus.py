"""``licenselens corpus``: per-document signals of training datasets, locally or on Ray."""

from __future__ import annotations

import json
import sys

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from licenselens.cli.errors import InputError, ItemsFailed
from licenselens.cli.options import corpus_options, corpus_read_options, engine_options
from licenselens.corpus.runner import RESULTS_FILE, SUMMARY_FILE, WORK_DIR, CorpusError, run_corpus
from licenselens.execution.executors import WorkerDied
from licenselens.privacy import MaskedConsole
from licenselens.reporters.corpus_table import render_corpus_summary
from licenselens.sources.manifest import ManifestError, manifest_for


@click.command("corpus")
@click.argument("manifest_or_path", type=click.Path(exists=True))
@click.option(
    "-o",
    "--output-dir",
    default="licenselens-out",
    show_default=True,
    type=click.Path(file_okay=False),
    help=f"Where {RESULTS_FILE} and {SUMMARY_FILE} are written (work files in {WORK_DIR}/ make runs resumable).",
)
@engine_options
@corpus_read_options
@click.option("--fresh", is_flag=True, help="Ignore finished shards of an earlier run.")
@click.option("--no-cache", is_flag=True, help="Scan source-tree datasets without the on-disk result cache.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="What goes to standard output: the summary table or the summary JSON.",
)
def corpus_command(
    manifest_or_path,
    output_dir,
    engine,
    ray_address,
    jobs,
    timeout,
    shard_size,
    dedup_memory,
    max_line_bytes,
    max_file_size,
    fresh,
    no_cache,
    fmt,
) -> None:
    """Per-document licence, opt-out and personal-information signals of training datasets."""
    try:
        manifest = manifest_for(manifest_or_path)
    except ManifestError as exc:
        raise InputError(str(exc)) from exc
    options = corpus_options(click.get_current_context().params, output_dir=output_dir, use_cache=not no_cache)
    stderr = MaskedConsole(stderr=True, highlight=False)
    try:
        if stderr.is_terminal:
            with Progress(
                TextColumn("shards"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=stderr,
                transient=True,
            ) as bar:
                task = bar.add_task("corpus", total=None)
                run = run_corpus(
                    manifest, options, lambda _: bar.advance(task), lambda total: bar.update(task, total=total)
                )
        else:
            run = run_corpus(manifest, options)
    except CorpusError as exc:
        raise InputError(str(exc)) from exc
    except WorkerDied as exc:
        raise ItemsFailed(str(exc)) from exc
    if fmt == "json":
        click.echo(json.dumps(run.summary, indent=2, ensure_ascii=False))
    else:
        # a pipe or file gets the whole table rather than 80 folded columns
        render_corpus_summary(run.summary, MaskedConsole() if sys.stdout.isatty() else MaskedConsole(width=160))
    stderr.print(
        f"wrote {run.results_path} and {run.summary_path} "
        f"({run.shards} shards, {run.shards_reused} from an earlier run)"
    )
    sys.exit(2 if run.summary["totals"]["errors"] else 0)
