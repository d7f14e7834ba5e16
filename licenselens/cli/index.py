"""``licenselens index build``: the n-gram overlap index of a corpus."""

from __future__ import annotations

import sys
import time

import click

from licenselens.cli.errors import InputError, ItemsFailed
from licenselens.cli.options import engine_options
from licenselens.execution.executors import WorkerDied
from licenselens.overlap.build import IndexBuildError, IndexSettings, build_index, compact_index
from licenselens.overlap.parts import MERGE_BUDGET
from licenselens.privacy import MaskedConsole
from licenselens.sources.manifest import ManifestError, manifest_for
from licenselens.types.corpus import DatasetSpec, Manifest


@click.group("index")
def index_group() -> None:
    """The n-gram overlap index of a corpus."""


def _sources_manifest(sources) -> Manifest:
    datasets: list[DatasetSpec] = []
    try:
        for source in sources:
            datasets.extend(manifest_for(source).datasets)
    except ManifestError as exc:
        raise InputError(str(exc)) from exc
    names = [d.name for d in datasets]
    if len(set(names)) != len(names):
        raise click.UsageError(f"dataset names repeat across sources: {', '.join(sorted(names))}")
    return Manifest(None, None, tuple(datasets), (), " ".join(sources))


merge_memory = click.option(
    "--merge-memory",
    type=click.FloatRange(min=1),
    default=MERGE_BUDGET / 2**20,
    show_default=True,
    help="MiB of input buffers when merging into a part (peak memory is about three times this, docs/overlap.md).",
)
shard_size = click.option(
    "--shard-size", type=click.FloatRange(min=0.01), default=16.0, show_default=True, help="MiB per shard."
)
corpus_results_option = click.option(
    "--corpus-results",
    type=click.Path(exists=True, dir_okay=False),
    help="corpus.parquet of `licenselens corpus`: detected licences of the sources.",
)


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
@shard_size
@corpus_results_option
@merge_memory
def build_command(
    sources, output_dir, n, gram, engine, ray_address, jobs, shard_size, corpus_results, merge_memory
) -> None:
    """Index SOURCES (manifests, data files or folders, as `licenselens corpus` reads them)."""
    _run(
        lambda: build_index(
            _sources_manifest(sources),
            output_dir,
            IndexSettings(n=n, gram=gram),
            engine,
            jobs,
            int(shard_size * 2**20),
            ray_address,
            corpus_results,
            budget=int(merge_memory * 2**20),
        ),
        output_dir,
        "indexed",
    )


@index_group.command("add")
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--index", "index_dir", required=True, type=click.Path(file_okay=False, exists=True), help="The index.")
@engine_options
@shard_size
@corpus_results_option
@merge_memory
def add_command(sources, index_dir, engine, ray_address, jobs, shard_size, corpus_results, merge_memory) -> None:
    """Add the datasets of SOURCES to an index as new parts, leaving its other parts as they are.

    The index's settings apply. Queries give what an index built from all the datasets at once gives;
    until the add is done the index stays as it was, and an interrupted add resumes when run again."""
    _run(
        lambda: build_index(
            _sources_manifest(sources),
            index_dir,
            engine=engine,
            jobs=jobs,
            shard_bytes=int(shard_size * 2**20),
            ray_address=ray_address,
            corpus_results=corpus_results,
            append=True,
            budget=int(merge_memory * 2**20),
        ),
        index_dir,
        "added",
    )


@index_group.command("compact")
@click.argument("index_dir", type=click.Path(file_okay=False, exists=True))
@engine_options
@merge_memory
def compact_command(index_dir, engine, ray_address, jobs, merge_memory) -> None:
    """Merge the parts of INDEX_DIR into as few as it can hold, out of core; queries give the same results."""
    _run(
        lambda: compact_index(
            index_dir, budget=int(merge_memory * 2**20), engine=engine, jobs=jobs, ray_address=ray_address
        ),
        index_dir,
        "compacted",
    )


def _run(job, output_dir: str, verb: str) -> None:
    started = time.perf_counter()
    try:
        result = job()
    except IndexBuildError as exc:
        raise InputError(str(exc)) from exc
    except WorkerDied as exc:
        raise ItemsFailed(str(exc)) from exc
    seconds = time.perf_counter() - started
    counts = result["counts"]
    stderr = MaskedConsole(stderr=True, highlight=False)
    stderr.print(
        f"{verb} in {seconds:.1f}s: {counts['documents']:,} documents, {counts['tokens']:,} tokens "
        f"({counts['tokens'] / max(seconds, 1e-9) / 1e6:.2f} M tokens/s) in {counts['parts']} part(s); "
        f"{counts['postings']:,} n-grams kept, {counts['bytes']:,} bytes ({counts['bytes_per_token']} per token) "
        f"in {output_dir}"
    )
    errors = [e for e in result.get("run_errors", []) if not e["code"].startswith("skipped-")]
    for error in errors:
        stderr.print(f"[red]error[/red] {error['origin']}: {error['code']}: {error['message']}")
    sys.exit(2 if errors else 0)
