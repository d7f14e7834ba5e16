"""``licenselens index build``: the n-gram overlap index of a corpus."""

from __future__ import annotations

import sys
import time

import click

from licenselens.cli.errors import InputError, ItemsFailed
from licenselens.cli.options import engine_options
from licenselens.execution.executors import WorkerDied
from licenselens.overlap.build import IndexBuildError, IndexSettings, build_index
from licenselens.privacy import MaskedConsole
from licenselens.sources.manifest import ManifestError, manifest_for
from licenselens.types.corpus import DatasetSpec, Manifest


@click.group("index")
def index_group() -> None:
    """The n-gram overlap index of a corpus."""


@index_group.command("build")
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-o", "--output-dir", required=True, type=click.Path(file_okay=False), help="The index folder.")
@click.option(
    "--n",
    "n",
    type=click.IntRange(min=2),
    default=IndexSettings.n,
    show_default=True,
    help="Shortest span found: every shared run of n tokens or more is reported.",
)
@click.option(
    "--gram",
    type=click.IntRange(min=1),
    default=IndexSettings.gram,
    show_default=True,
    help="Hashed n-gram length (n - gram + 1 is the winnowing window).",
)
@engine_options
@click.option("--shard-size", type=click.FloatRange(min=0.01), default=16.0, show_default=True, help="MiB per shard.")
@click.option(
    "--corpus-results",
    type=click.Path(exists=True, dir_okay=False),
    help="corpus.parquet of `licenselens corpus`: detected licences of the sources.",
)
def build_command(sources, output_dir, n, gram, engine, ray_address, jobs, shard_size, corpus_results) -> None:
    """Index SOURCES (manifests, data files or folders, as `licenselens corpus` reads them)."""
    datasets: list[DatasetSpec] = []
    try:
        for source in sources:
            datasets.extend(manifest_for(source).datasets)
    except ManifestError as exc:
        raise InputError(str(exc)) from exc
    names = [d.name for d in datasets]
    if len(set(names)) != len(names):
        raise click.UsageError(f"dataset names repeat across sources: {', '.join(sorted(names))}")
    manifest = Manifest(None, None, tuple(datasets), (), " ".join(sources))
    started = time.perf_counter()
    try:
        result = build_index(
            manifest,
            output_dir,
            IndexSettings(n=n, gram=gram),
            engine,
            jobs,
            int(shard_size * 2**20),
            ray_address,
            corpus_results,
        )
    except IndexBuildError as exc:
        raise InputError(str(exc)) from exc
    except WorkerDied as exc:
        raise ItemsFailed(str(exc)) from exc
    seconds = time.perf_counter() - started
    counts = result["counts"]
    stderr = MaskedConsole(stderr=True, highlight=False)
    stderr.print(
        f"indexed {counts['documents']:,} documents, {counts['tokens']:,} tokens in {seconds:.1f}s "
        f"({counts['tokens'] / max(seconds, 1e-9) / 1e6:.2f} M tokens/s); {counts['postings']:,} n-grams kept, "
        f"{counts['bytes']:,} bytes ({counts['bytes_per_token']} per token) in {output_dir}"
    )
    errors = [e for e in result["errors"] if not e["code"].startswith("skipped-")]
    for error in errors:
        stderr.print(f"[red]error[/red] {error['origin']}: {error['code']}: {error['message']}")
    sys.exit(2 if errors else 0)
