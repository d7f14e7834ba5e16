"""``licenselens index build`` and ``licenselens overlap``: thin wrappers over licenselens.overlap."""

from __future__ import annotations

import os
import sys
import time

import click
from pathlib import Path
from rich.console import Console

from licenselens.atomic import atomic_output
from licenselens.cli.errors import ItemsFailed
from licenselens.execution.executors import ENGINES, WorkerDied
from licenselens.sources.manifest import ManifestError, infer_format, load_manifest, manifest_for
from licenselens.overlap.build import IndexBuildError, IndexSettings, build_index
from licenselens.overlap.query import IndexOpenError, OverlapIndex
from licenselens.overlap.verdict import VERDICTS, reaches
from licenselens.reporters.overlap_reporters import OVERLAP_REPORTERS
from licenselens.sources.readers import read_documents
from licenselens.types.corpus import DatasetSpec, Document, DocumentError, Manifest


@click.group("index")
def index_group() -> None:
    """The n-gram overlap index of a corpus."""


@index_group.command("build")
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-o", "--output-dir", required=True, type=click.Path(file_okay=False), help="The index folder.")
@click.option("--n", "n", type=click.IntRange(min=2), default=IndexSettings.n, show_default=True,
              help="Shortest span found: every shared run of n tokens or more is reported.")
@click.option("--gram", type=click.IntRange(min=1), default=IndexSettings.gram, show_default=True,
              help="Hashed n-gram length (n - gram + 1 is the winnowing window).")
@click.option("--engine", type=click.Choice(sorted(ENGINES)), default="local", show_default=True)
@click.option("--ray-address", help="Join this Ray cluster (default with --engine ray: start a local one).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default=True)
@click.option("--shard-size", type=click.FloatRange(min=0.01), default=16.0, show_default=True, help="MiB per shard.")
@click.option("--corpus-results", type=click.Path(exists=True, dir_okay=False),
              help="corpus.parquet of `licenselens corpus`: detected licences of the sources.")
def build_command(sources, output_dir, n, gram, engine, ray_address, jobs, shard_size, corpus_results) -> None:
    """Index SOURCES (manifests, data files or folders, as `licenselens corpus` reads them)."""
    datasets = []
    try:
        for source in sources:
            datasets.extend(manifest_for(source).datasets)
    except ManifestError as exc:
        raise click.UsageError(str(exc)) from exc
    names = [d.name for d in datasets]
    if len(set(names)) != len(names):
        raise click.UsageError(f"dataset names repeat across sources: {', '.join(sorted(names))}")
    manifest = Manifest(None, None, tuple(datasets), (), " ".join(sources))
    started = time.perf_counter()
    try:
        result = build_index(manifest, output_dir, IndexSettings(n=n, gram=gram), engine, jobs,
                             int(shard_size * 2**20), ray_address, corpus_results)
    except IndexBuildError as exc:
        raise click.UsageError(str(exc)) from exc
    except WorkerDied as exc:
        raise ItemsFailed(str(exc)) from exc
    seconds = time.perf_counter() - started
    counts = result["counts"]
    stderr = Console(stderr=True, highlight=False)
    stderr.print(f"indexed {counts['documents']:,} documents, {counts['tokens']:,} tokens in {seconds:.1f}s "
                 f"({counts['tokens'] / max(seconds, 1e-9) / 1e6:.2f} M tokens/s); {counts['postings']:,} n-grams kept, "
                 f"{counts['bytes']:,} bytes ({counts['bytes_per_token']} per token) in {output_dir}")
    errors = [e for e in result["errors"] if not e["code"].startswith("skipped-")]
    for error in errors:
        stderr.print(f"[red]error[/red] {error['origin']}: {error['code']}: {error['message']}")
    sys.exit(2 if errors else 0)


def _read_outputs(paths, text_field: str, id_field: str):
    """Outputs as documents: '-' is standard input (one output); a manifest gives its [[outputs]]."""
    for path in paths:
        if path == "-":
            yield Document("stdin", "-", sys.stdin.read(), "-")
            continue
        if path.endswith(".toml"):
            specs = load_manifest(path).outputs
        else:
            fmt = infer_format(Path(path)) if os.path.isdir(path) or "." in os.path.basename(path) else "text"
            specs = (DatasetSpec(name="outputs", stage="other", kind="other", paths=(path,), format=fmt,
                                 text_field=(text_field,), text_field_given=True, id_field=id_field),)
        for spec in specs:
            yield from read_documents(spec)


def overlap_command_body(index_path, outputs, text_field, id_field, fmt, output, fail_on) -> None:
    reporter = OVERLAP_REPORTERS[fmt]()
    if reporter.binary and not output:
        raise click.UsageError(f"--format {fmt} needs -o FILE")
    try:
        index = OverlapIndex(index_path)
    except IndexOpenError as exc:
        raise click.UsageError(str(exc)) from exc
    results, errors = [], []
    try:
        for item in _read_outputs(outputs, text_field, id_field):
            if isinstance(item, DocumentError):
                if not item.code.startswith("skipped-"):
                    errors.append(item)
            else:
                results.append(index.check(item.text, item.doc_id))
    except ManifestError as exc:
        raise click.UsageError(str(exc)) from exc
    m = index.manifest
    header = {"tool": m["tool"], "index": {"path": index_path, "n": m["n"], "gram": m["gram"],
                                           "documents": m["counts"]["documents"], "tokens": m["counts"]["tokens"],
                                           "tokeniser": m["tokeniser"]},
              "errors": [e.__dict__ for e in errors]}
    if output:
        with atomic_output(output, reporter.binary) as fh:
            reporter.write(header, results, fh)
    else:
        reporter.write(header, results, sys.stdout)
    stderr = Console(stderr=True, highlight=False)
    for error in errors:
        stderr.print(f"[red]error[/red] {error.origin}: {error.code}: {error.message}")
    if fail_on and any(reaches(r.verdict, fail_on) for r in results):
        sys.exit(1)
    sys.exit(2 if errors else 0)


@click.command("overlap")
@click.option("--index", "index_path", required=True, type=click.Path(exists=True, file_okay=False))
@click.argument("outputs", nargs=-1, required=True)
@click.option("--text-field", default="text", show_default=True)
@click.option("--id-field", default="id", show_default=True)
@click.option("--format", "fmt", type=click.Choice(sorted(OVERLAP_REPORTERS)), default="table", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here instead of standard output.")
@click.option("--fail-on", type=click.Choice(VERDICTS[:-1]),
              help="Exit 1 when an output reaches this verdict (verbatim > near-verbatim > derivative).")
def overlap_command(index_path, outputs, text_field, id_field, fmt, output, fail_on) -> None:
    """Verbatim spans, near copies and a verdict for each model output in OUTPUTS (JSONL, Parquet,
    text files, a manifest's [[outputs]], or - for standard input)."""
    overlap_command_body(index_path, outputs, text_field, id_field, fmt, output, fail_on)
