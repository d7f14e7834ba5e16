"""A corpus run: scan source trees, plan shards, run them on an engine, merge them into the results table
and summary."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from licenselens.atomic import atomic_output
from licenselens.corpus.neardup import band_keys, comparable, dedup_settings
from licenselens.corpus.process import ShardExtra, ShardTask, extra_name, process_shard, shard_rows, shard_signatures
from licenselens.corpus.repeats import MEMORY, NearDuplicates, SeenTexts
from licenselens.corpus.schema import RESULT_SCHEMA
from licenselens.corpus.tally import DatasetTally, totals
from licenselens.corpus.trees import TreeScan, scan_trees
from licenselens.execution.executors import ENGINES
from licenselens.execution.pool import alongside
from licenselens.execution.shards import ShardStore
from licenselens.privacy import redact
from licenselens.rules import rules_dir
from licenselens.scan.options import ScanOptions
from licenselens.scancode.licensedb import index_version
from licenselens.scancode.patches import install as install_scancode_patches
from licenselens.sources.base import ReadLimits
from licenselens.sources.readers import plan_dataset
from licenselens.stamp import tool_stamp, tool_version
from licenselens.types.audit import CorpusSummary
from licenselens.types.corpus import DatasetSpec, DocumentError, Manifest, Shard

RESULTS_FILE, SUMMARY_FILE, WORK_DIR = "corpus.parquet", "corpus-summary.json", ".licenselens-work"
# rules whose edits change per-document results, so finished shards must be redone
RULE_FILES = (
    "corpus_anchors.yaml",
    "tdm_signals.yaml",
    "corpus_notices.yaml",
    "pii.yaml",
    "license_categories.yaml",
    "dedup.yaml",
)


class CorpusError(ValueError):
    pass


@dataclass(frozen=True)
class CorpusOptions:
    output_dir: str = "licenselens-out"
    engine: str = "local"
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    ray_address: str | None = None
    timeout: float = 30.0
    shard_bytes: int = 32 * 1024 * 1024
    fresh: bool = False
    limits: ReadLimits = ReadLimits()  # largest JSON Lines record and whole-file document read
    use_cache: bool = True  # the scan's findings cache, for source-tree datasets
    cache_dir: str | None = None
    dedup_memory: int = MEMORY  # kept documents whose duplicate keys stay in memory (corpus/repeats.py)


# each dataset's shards and their names in the shard store, in run order, and its planning errors
Layout = tuple[tuple[DatasetSpec, tuple[tuple[Shard, str], ...], tuple[DocumentError, ...]], ...]


@dataclass(frozen=True)
class CorpusRun:
    summary: CorpusSummary
    results_path: str
    summary_path: str
    shards: int
    shards_reused: int
    trees: tuple[TreeScan, ...] = ()  # the scans of the source-tree datasets, in manifest order
    # each dataset's shards and their names in the shard store (rows, signatures), in run order, and its
    # planning errors (inputs missing or unreadable): what `clean` reads back beside the documents
    shards_by_dataset: Layout = ()
    store: str = ""


def settings_key(options: CorpusOptions) -> str:
    digest = hashlib.sha256(f"{tool_version()}|{index_version()}|{options.timeout}|{options.limits}".encode())
    for name in RULE_FILES:
        digest.update((rules_dir() / name).read_bytes())
    return digest.hexdigest()[:12]


def _check_output_dir(manifest: Manifest, output_dir: str) -> None:
    out = os.path.realpath(output_dir)
    for spec in manifest.datasets:
        for path in spec.paths:
            root = os.path.realpath(path)
            if os.path.isdir(root) and (out == root or out.startswith(root + os.sep)):
                raise CorpusError(
                    f"output folder {output_dir} is inside dataset {spec.name!r} ({path}); "
                    "choose one outside the scanned inputs"
                )


def run_corpus(
    manifest: Manifest,
    options: CorpusOptions,
    progress: Callable[[dict], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
    extra: ShardExtra | None = None,
    then: Callable[[Layout, str], None] | None = None,
) -> CorpusRun:
    """``extra``: more per-document work done in each shard as it is measured (`clean`'s decisions);
    ``then``: a pass over the finished shards (their layout and store), run while they are merged."""
    if options.engine not in ENGINES:
        raise CorpusError(f"unknown engine {options.engine!r} (known: {', '.join(ENGINES)})")
    _check_output_dir(manifest, options.output_dir)
    os.makedirs(options.output_dir, exist_ok=True)
    work = os.path.abspath(os.path.join(options.output_dir, WORK_DIR))
    if options.fresh and os.path.isdir(work):
        shutil.rmtree(work)
    key = settings_key(options)
    if manifest.surrogates:  # its ledger decides what is personal data
        try:
            key += "-" + hashlib.sha256(open(manifest.surrogates, "rb").read()).hexdigest()[:8]
        except OSError as exc:
            raise CorpusError(f"{manifest.surrogates}: cannot read the ledger of synthetic surrogates: {exc}") from exc
    # source trees are scanned as `scan` scans them, under the corpus run's limits
    scan_options = ScanOptions(
        jobs=options.jobs,
        use_cache=options.use_cache,
        cache_dir=options.cache_dir,
        timeout=options.timeout,
        max_file_size=options.limits.max_file_bytes,
    )
    tree_dir = os.path.join(work, "trees")
    store = ShardStore(os.path.join(work, "shards"))
    plan: list[tuple[DatasetSpec, list[Shard], list]] = []
    tasks: list[ShardTask] = []
    names: list[list[str]] = []
    trees: list[TreeScan] = []
    for spec in manifest.datasets:
        shards, errors = plan_dataset(spec, options.shard_bytes, options.limits)
        plan.append((spec, shards, errors))
        scans = {t.location: t for t in scan_trees(spec, scan_options, tree_dir)} if spec.format == "tree" else {}
        trees.extend(scans.values())
        names.append([])
        for shard in shards:
            tree = scans.get(shard.location)
            name = f"{key}-{shard.key}" + (f"-{tree.digest}" if tree else "")
            names[-1].append(name)
            if not store.is_done(name) or (extra and not store.is_done(extra_name(name, extra))):
                tasks.append(
                    ShardTask(
                        shard,
                        spec,
                        store.directory,
                        name,
                        options.timeout,
                        options.limits,
                        tree.findings_path if tree else None,
                        manifest.surrogates,
                        extra,
                    )
                )
    every = [name for group in names for name in group]
    kept = every + ([extra_name(name, extra) for name in every] if extra else [])
    if on_plan:
        on_plan(len(every))
    progress = progress or (lambda outcome: None)
    for _ in range(len(every) - len(tasks)):
        progress({"reused": True})
    ENGINES[options.engine](process_shard, tasks, options.jobs, progress, options.ray_address, install_scancode_patches)
    layout = tuple(
        (spec, tuple(zip(shards, group)), tuple(errors)) for (spec, shards, errors), group in zip(plan, names)
    )
    merging = (manifest, plan, names, store, options.output_dir, work, options.dedup_memory)
    if then is None:
        summary = _merge(*merging)
    else:  # both read the finished shards and nothing else: the merge in a process of its own meanwhile
        with alongside(_merge, *merging) as merged:
            then(layout, store.directory)
        summary = merged.result()
    store.prune(kept)
    _prune_trees(tree_dir, {t.findings_path for t in trees})
    return CorpusRun(
        summary,
        os.path.join(options.output_dir, RESULTS_FILE),
        os.path.join(options.output_dir, SUMMARY_FILE),
        len(every),
        len(every) - len(tasks),
        tuple(trees),
        layout,
        store.directory,
    )


def _prune_trees(directory: str, keep: set[str]) -> None:
    if os.path.isdir(directory):
        for entry in os.scandir(directory):
            if os.path.abspath(entry.path) not in keep:
                os.unlink(entry.path)


REPEATS = "repeats"  # a folder of the work folder, for the merge: each shard's documents' earlier copies
DEDUP_DIR = "dedup-corpus"  # the merge's duplicate stores (corpus/repeats.py) when they outgrow memory
REPEAT_SCHEMA = pa.schema(
    [("duplicate_of", pa.string()), ("near_duplicate_of", pa.string()), ("near_similarity", pa.float64())]
)


def _repeats(datasets: list[tuple[str, list[str]]], store: ShardStore, work: str, memory: int) -> np.ndarray:
    """Each shard's exact and near duplicates (the first earlier document in run order), written beside its
    rows (in ``work``/repeats); near duplicates by MinHash LSH against the documents kept so far (neither kind of duplicate
    themselves), so a document is dropped by `clean` exactly when it is marked. Memory stays bounded: what
    was kept is in corpus.repeats's stores, the answers in files. Returns which positions are
    repeated by a later document (they name their cluster too)."""
    settings = dedup_settings()
    folder = os.path.join(work, DEDUP_DIR)  # this merge's own; a stopped run's files go first
    shutil.rmtree(folder, ignore_errors=True)
    seen, near = SeenTexts(folder, memory), NearDuplicates(settings, folder, memory)
    repeated = np.zeros(1024, dtype=bool)
    position = 0
    shutil.rmtree(os.path.join(work, REPEATS), ignore_errors=True)
    os.makedirs(os.path.join(work, REPEATS))
    try:
        for dataset, shard_names in datasets:
            for name in shard_names:
                table = shard_rows(store, name, ["sha256", "doc_id"])
                signatures = shard_signatures(store, name)
                keys = band_keys(signatures, settings)
                found: dict[str, list] = {field: [] for field in REPEAT_SCHEMA.names}
                for i, (digest, doc_id) in enumerate(
                    zip(table.column("sha256").to_pylist(), table.column("doc_id").to_pylist())
                ):
                    key = f"{dataset}:{doc_id}"
                    exact = seen.first(digest)
                    if exact is None:
                        seen.add(digest, key)
                    usable = exact is None and comparable(signatures[i])
                    match = near.match(signatures[i], keys[i]) if usable else None
                    if usable and match is None:
                        near.keep(position, key, signatures[i], keys[i])
                    if match is not None:
                        while match.first >= len(repeated):
                            repeated = np.concatenate((repeated, np.zeros(len(repeated), dtype=bool)))
                        repeated[match.first] = True
                    found["duplicate_of"].append(exact)
                    found["near_duplicate_of"].append(match.name if match else None)
                    found["near_similarity"].append(match.similarity if match else None)
                    position += 1
                with atomic_output(_repeats_file(work, name), binary=True) as fh:
                    pq.write_table(pa.Table.from_pydict(found, schema=REPEAT_SCHEMA), fh)
    finally:
        seen.close()
        near.close()
        shutil.rmtree(folder, ignore_errors=True)
    return repeated


def _repeats_file(work: str, name: str) -> str:
    return os.path.join(work, REPEATS, f"{name}.parquet")


def _merge(
    manifest: Manifest, plan, names: list[list[str]], store: ShardStore, output_dir: str, work: str, memory: int
) -> CorpusSummary:
    """Shards in plan order into one table; duplicates marked against the first occurrence in that order."""
    repeated = _repeats([(spec.name, group) for (spec, _, _), group in zip(plan, names)], store, work, memory)
    tallies, at = [], 0
    with atomic_output(os.path.join(output_dir, RESULTS_FILE), binary=True) as fh:
        with pq.ParquetWriter(fh, RESULT_SCHEMA) as writer:
            for (spec, _, plan_errors), shard_names in zip(plan, names):
                tally = DatasetTally(spec)
                tally.add_errors(plan_errors)
                for name in shard_names:
                    table = shard_rows(store, name)
                    repeats = pq.read_table(_repeats_file(work, name), schema=REPEAT_SCHEMA)
                    end = at + table.num_rows
                    near_of = repeats.column("near_duplicate_of").to_pylist()
                    keys = (f"{spec.name}:{doc_id}" for doc_id in table.column("doc_id").to_pylist())
                    # a cluster is named by its kept document, which names it too
                    named = repeated[at:end]  # shorter at the end: no later document repeats those
                    cluster = [
                        of or (key if i < len(named) and named[i] else None)
                        for i, (of, key) in enumerate(zip(near_of, keys))
                    ]
                    tally.add(table, repeats.column("duplicate_of").to_pylist(), near_of)
                    tally.add_errors(_errors(store.record(name)))
                    for column in repeats.column_names:
                        table = table.append_column(RESULT_SCHEMA.field(column), repeats.column(column))
                    table = table.append_column(RESULT_SCHEMA.field("near_cluster"), pa.array(cluster, pa.string()))
                    writer.write_table(table)
                    at = end
                tallies.append(tally.to_dict())
    shutil.rmtree(os.path.join(work, REPEATS), ignore_errors=True)
    summary: CorpusSummary = {
        "tool": tool_stamp(index_version()),
        "manifest": manifest.source,
        "model": {"name": manifest.model, "description": manifest.description},
        "totals": totals(tallies),
        "datasets": tallies,
    }
    summary = redact(summary)  # rows are masked already; the plan's errors name paths
    with atomic_output(os.path.join(output_dir, SUMMARY_FILE), binary=False) as fh:
        json.dump(summary, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    return summary


def _errors(record: dict) -> list[DocumentError]:
    return [DocumentError(**e) for e in record["errors"]]
