"""A corpus run: plan shards, run them on an engine, merge them into the results table and summary."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version

import pyarrow as pa
import pyarrow.parquet as pq

from ..atomic import atomic_output
from ..cachedir import index_version
from ..rules import rules_dir
from ..sources.base import ReadLimits
from ..sources.readers import plan_dataset
from ..types import DatasetSpec, DocumentError, Manifest, Shard
from .executors import ENGINES
from .process import ShardTask, process_shard
from .schema import RESULT_SCHEMA
from .shards import ShardStore
from .summary import DatasetTally, totals

RESULTS_FILE, SUMMARY_FILE, WORK_DIR = "corpus.parquet", "corpus-summary.json", ".licenselens-work"
# rules whose edits change per-document results, so finished shards must be redone
RULE_FILES = ("corpus_anchors.yaml", "tdm_signals.yaml", "corpus_notices.yaml", "pii.yaml", "license_categories.yaml")


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


@dataclass(frozen=True)
class CorpusRun:
    summary: dict
    results_path: str
    summary_path: str
    shards: int
    shards_reused: int


def settings_key(options: CorpusOptions) -> str:
    digest = hashlib.sha256(f"{version('licenselens')}|{index_version()}|{options.timeout}|{options.limits}".encode())
    for name in RULE_FILES:
        digest.update((rules_dir() / name).read_bytes())
    return digest.hexdigest()[:12]


def _check_output_dir(manifest: Manifest, output_dir: str) -> None:
    out = os.path.realpath(output_dir)
    for spec in manifest.datasets:
        for path in spec.paths:
            root = os.path.realpath(path)
            if os.path.isdir(root) and (out == root or out.startswith(root + os.sep)):
                raise CorpusError(f"output folder {output_dir} is inside dataset {spec.name!r} ({path}); "
                                  "choose one outside the scanned inputs")


def run_corpus(manifest: Manifest, options: CorpusOptions, progress: Callable[[dict], None] | None = None,
               on_plan: Callable[[int], None] | None = None) -> CorpusRun:
    if options.engine not in ENGINES:
        raise CorpusError(f"unknown engine {options.engine!r} (known: {', '.join(ENGINES)})")
    _check_output_dir(manifest, options.output_dir)
    os.makedirs(options.output_dir, exist_ok=True)
    work = os.path.join(options.output_dir, WORK_DIR)
    if options.fresh and os.path.isdir(work):
        shutil.rmtree(work)
    key = settings_key(options)
    plan: list[tuple[DatasetSpec, list[Shard], list]] = []
    for spec in manifest.datasets:
        shards, errors = plan_dataset(spec, options.shard_bytes, options.limits)
        plan.append((spec, shards, errors))
    all_shards = [s for _, shards, _ in plan for s in shards]
    store = ShardStore(os.path.abspath(work), key)
    tasks = [ShardTask(s, spec, store.directory, key, options.timeout, options.limits)
             for spec, shards, _ in plan for s in shards if not store.is_done(s)]
    if on_plan:
        on_plan(len(all_shards))
    progress = progress or (lambda outcome: None)
    for _ in range(len(all_shards) - len(tasks)):
        progress({"reused": True})
    ENGINES[options.engine](process_shard, tasks, options.jobs, progress, options.ray_address)
    summary = _merge(manifest, plan, store, options.output_dir)
    store.prune(all_shards)
    return CorpusRun(summary, os.path.join(options.output_dir, RESULTS_FILE),
                     os.path.join(options.output_dir, SUMMARY_FILE), len(all_shards), len(all_shards) - len(tasks))


def _merge(manifest: Manifest, plan, store, output_dir: str) -> dict:
    """Shards in plan order into one table; duplicates marked against the first occurrence in that order."""
    first_seen: dict[str, str] = {}
    tallies = []
    with atomic_output(os.path.join(output_dir, RESULTS_FILE), binary=True) as fh:
        with pq.ParquetWriter(fh, RESULT_SCHEMA) as writer:
            for spec, shards, plan_errors in plan:
                tally = DatasetTally(spec)
                tally.add_errors(plan_errors)
                for shard in shards:
                    table = store.rows(shard)
                    duplicate_of = []
                    for digest, doc_id in zip(table.column("sha256").to_pylist(), table.column("doc_id").to_pylist()):
                        duplicate_of.append(first_seen.get(digest))
                        first_seen.setdefault(digest, f"{spec.name}:{doc_id}")
                    tally.add(table, duplicate_of)
                    tally.add_errors(_errors(store.sidecar(shard)))
                    writer.write_table(table.append_column(RESULT_SCHEMA.field("duplicate_of"),
                                                           pa.array(duplicate_of, pa.string())))
                tallies.append(tally.to_dict())
    summary = {
        "tool": {"name": "licenselens", "version": version("licenselens"), "scancode_index": index_version()},
        "manifest": manifest.source,
        "model": {"name": manifest.model, "description": manifest.description},
        "totals": totals(tallies),
        "datasets": tallies,
    }
    with atomic_output(os.path.join(output_dir, SUMMARY_FILE), binary=False) as fh:
        json.dump(summary, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    return summary


def _errors(sidecar: dict) -> list[DocumentError]:
    return [DocumentError(**e) for e in sidecar["errors"]]
