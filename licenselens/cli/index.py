"""``licenselens index build``: the n-gram overlap index of a corpus."""

from __future__ import annotations

import sys
import time

import click

from licenselens.cli.errors import InputError, ItemsFailed
from licenselens.cli.options import IndexLocation, engine_options
from licenselens.execution.executors import WorkerDied
from licenselens.overlap.build import IndexBuildError, IndexSettings, build_index, compact_index
from licenselens.overlap.parts import MERGE_BUDGET
from licenselens.overlap.remote import at, shown
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
@click.option(
    "-o", "--output-dir", required=True, type=IndexLocation(exists=False), help="The index: a folder or a URI."
)
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
    manifest = _sources_manifest(sources)
    _run(
        lambda folder, uri: build_index(
            manifest,
            folder,
            IndexSettings(n=n, gram=gram),
            engine,
            jobs,
            int(shard_size * 2**20),
            ray_address,
            corpus_results,
            budget=int(merge_memory * 2**20),
            publish=uri,
        ),
        output_dir,
        "indexed",
        existing=False,
    )


@index_group.command("add")
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--index", "index_dir", required=True, type=IndexLocation(), help="The index (a folder or URI).")
@engine_options
@shard_size
@corpus_results_option
@merge_memory
def add_command(sources, index_dir, engine, ray_address, jobs, shard_size, corpus_results, merge_memory) -> None:
    """Add the datasets of SOURCES to an index as new parts, leaving its other parts as they are.

    The index's settings apply. Queries give what an index built from all the datasets at once gives;
    until the add is done the index stays as it was, and an interrupted add resumes when run again."""
    manifest = _sources_manifest(sources)
    _run(
        lambda folder, uri: build_index(
            manifest,
            folder,
            engine=engine,
            jobs=jobs,
            shard_bytes=int(shard_size * 2**20),
            ray_address=ray_address,
            corpus_results=corpus_results,
            append=True,
            budget=int(merge_memory * 2**20),
            publish=uri,
        ),
        index_dir,
        "added",
    )


@index_group.command("compact")
@click.argument("index_dir", type=IndexLocation())
@engine_options
@merge_memory
def compact_command(index_dir, engine, ray_address, jobs, merge_memory) -> None:
    """Merge the parts of INDEX_DIR into as few as it can hold, out of core; queries give the same results."""
    _run(
        lambda folder, uri: compact_index(
            folder, budget=int(merge_memory * 2**20), engine=engine, jobs=jobs, ray_address=ray_address, publish=uri
        ),
        index_dir,
        "compacted",
    )


def _run(job, output_dir: str, verb: str, existing: bool = True) -> None:
    """``job(folder, uri)`` on the index at ``output_dir`` (``remote.at``: a URI's local copy, then published)."""
    started = time.perf_counter()
    try:
        result = at(output_dir, job, existing)
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
        f"in {shown(output_dir)}",
        soft_wrap=True,  # one line, whatever the terminal's width: logs and scripts read it
    )
    errors = [e for e in result.get("run_errors", []) if not e["code"].startswith("skipped-")]
    for error in errors:
        stderr.print(f"[red]error[/red] {error['origin']}: {error['code']}: {error['message']}")
    sys.exit(2 if errors else 0)
