"""Building an overlap index: corpus shards to parts of sorted, memory-mappable arrays and compressed texts.

Layout of INDEX_DIR::

    manifest.json              settings (tokeniser, n, gram, window, seeds), counts, sources, parts and
                               shards in index order; written last, atomically: what it lists is the index
                               (``manifest``; an index at a URI: ``remote``)
    parts/<name>/              a part's arrays (``parts``): postings, seeds, token hashes and offsets of
                               consecutive shards' documents; done.json last
    shards/<key>/texts.bin     each document's text, zstd-compressed, one frame per document
    shards/<key>/offsets.npy   where each document's frame starts and ends in texts.bin
    shards/<key>/docs.parquet  document metadata: dataset, doc_id, origin, url, path, license
    shards/<key>/postings.npy, seeds.npy, tokens.npy, token_offsets.npy   while building: the shard's arrays,
                               removed once its part is in the manifest
    shards/<key>/done.json     written last: the shard is complete
    licenses-<key>.parquet     licences ``licenselens corpus`` detected, by (dataset, origin); the manifest
                               names the current one

Shards and parts live in the execution layer's ShardStore (a folder appears
whole), so a killed build, add or compact restarts with the shards and parts it
has. ``index add`` appends parts for new datasets and leaves the others
untouched; ``index compact`` merges consecutive parts out of core.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import inspect
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from licenselens.atomic import TEMPORARY, atomic_output
from licenselens.execution.executors import ENGINES
from licenselens.execution.shards import ShardStore
from licenselens.overlap.hashing import ngram_hashes, token_hashes, winnow
from licenselens.overlap.manifest import FORMAT_VERSION, IndexBuildError, read_manifest, write_manifest
from licenselens.overlap.nearseeds import shard_seeds
from licenselens.overlap.parts import ARRAYS, MERGE_BUDGET, PartTooLarge, write_part
from licenselens.overlap.remote import push_part
from licenselens.signals.anchors import lowered
from licenselens.sources.readers import READERS, plan_dataset
from licenselens.stamp import tool_stamp
from licenselens.tokens import SETTINGS as TOKENISER
from licenselens.types.convert import asdict
from licenselens.types.corpus import DatasetSpec, DocumentError, Manifest, Shard

F = TypeVar("F", bound=Callable[..., Any])
POSTING = np.dtype([("hash", "<u8"), ("doc", "<u4"), ("pos", "<u4")])


@dataclass(frozen=True)
class IndexSettings:
    """``n``: every shared span of at least n tokens is found. gram + window - 1 = n.

    ``seed``, ``seed_sampling``: the near-copy search's seeds are windows of ``seed``
    tokens, one in ``seed_sampling`` kept (by hash). Two keeps the seeds at 4 bytes
    a corpus token and still finds a 50-word copy with a substitution every fifth
    word (ten runs of four tokens, about five seeds kept: two make a chain).
    """

    n: int = 13
    gram: int = 8
    seed: int = 4
    seed_sampling: int = 2

    @property
    def window(self) -> int:
        return self.n - self.gram + 1

    def check(self) -> None:
        if self.gram < 1 or self.window < 1:
            raise IndexBuildError(f"n ({self.n}) must be at least the n-gram length ({self.gram})")
        if self.seed < 2 or self.seed_sampling < 1:
            raise IndexBuildError(f"seeds of {self.seed} tokens sampled 1 in {self.seed_sampling}: at least 2 and 1")


@dataclass(frozen=True)
class IndexShardTask:
    shard: Shard
    spec: DatasetSpec
    directory: str
    settings: IndexSettings


def shard_name(task: IndexShardTask) -> str:
    s = task.settings
    return f"{task.shard.key}-n{s.n}g{s.gram}s{s.seed}x{s.seed_sampling}"


def index_shard(task: IndexShardTask) -> dict:
    store = ShardStore(task.directory)
    if _reusable(store, shard_name(task)):
        return {"key": task.shard.key, "reused": True}
    import zstandard

    started = time.perf_counter()
    compressor = zstandard.ZstdCompressor(level=3)
    postings: list[np.ndarray] = []
    frames: list[bytes] = []
    offsets = [0]
    rows: list[dict] = []
    errors: list[dict] = []
    token_arrays, token_offsets = [], [0]
    tokens_total = 0
    for item in READERS[task.shard.reader]().read(task.spec, task.shard):
        if isinstance(item, DocumentError):
            errors.append(asdict(item))
            continue
        doc = len(rows)
        _, _, token_hash = token_hashes(lowered(item.text))
        tokens_total += len(token_hash)
        token_arrays.append(token_hash.astype(np.uint32))
        token_offsets.append(tokens_total)
        grams = ngram_hashes(token_hash, task.settings.gram)
        if len(grams):
            kept = winnow(grams, task.settings.window)
            block = np.empty(len(kept), dtype=POSTING)
            block["hash"], block["doc"], block["pos"] = grams[kept], doc, kept
            postings.append(block)
        frame = compressor.compress(item.text.encode("utf-8", "surrogatepass"))
        frames.append(frame)
        offsets.append(offsets[-1] + len(frame))
        meta = dict(item.metadata)
        rows.append(
            {
                "dataset": item.dataset,
                "doc_id": item.doc_id,
                "origin": item.origin,
                "url": meta.get("url"),
                "path": meta.get("path"),
                "license": meta.get("license") or task.spec.license,
                "tokens": len(token_hash),
            }
        )
    table = np.concatenate(postings) if postings else np.zeros(0, dtype=POSTING)
    table = table[np.argsort(table["hash"], kind="stable")]
    all_tokens = np.concatenate(token_arrays) if token_arrays else np.zeros(0, dtype=np.uint32)
    try:
        seeds = shard_seeds(
            all_tokens, np.array(token_offsets, dtype=np.int64), task.settings.seed, task.settings.seed_sampling
        )
    except ValueError as exc:
        raise IndexBuildError(f"{task.shard.location}: {exc}") from exc
    stats = {
        "documents": len(rows),
        "tokens": tokens_total,
        "postings": len(table),
        "seconds": round(time.perf_counter() - started, 3),
    }
    with store.writing(shard_name(task), {"shard": asdict(task.shard), "errors": errors, "stats": stats}) as tmp:
        np.save(os.path.join(tmp, "postings.npy"), table)
        with open(os.path.join(tmp, "texts.bin"), "wb") as fh:
            for frame in frames:
                fh.write(frame)
        np.save(os.path.join(tmp, "offsets.npy"), np.array(offsets, dtype=np.int64))
        np.save(os.path.join(tmp, "tokens.npy"), all_tokens)
        np.save(os.path.join(tmp, "seeds.npy"), seeds)
        np.save(os.path.join(tmp, "token_offsets.npy"), np.array(token_offsets, dtype=np.int64))
        pq.write_table(pa.Table.from_pylist(rows, schema=DOC_SCHEMA), os.path.join(tmp, "docs.parquet"))
    return {"key": task.shard.key, "reused": False, **stats}


DOC_SCHEMA = pa.schema(
    [
        ("dataset", pa.string()),
        ("doc_id", pa.string()),
        ("origin", pa.string()),
        ("url", pa.string()),
        ("path", pa.string()),
        ("license", pa.string()),
        ("tokens", pa.int64()),
    ]
)


PART_TOKENS = 2**31  # a part holds fewer than 2**32 tokens (32-bit positions); build makes as few as it can


class IndexExists(IndexBuildError):
    pass


def one_writer(func: F) -> F:
    """One command at a time writes an index (build, add, compact): ``func`` holds a lock in its ``out_dir``."""
    signature = inspect.signature(func)

    @functools.wraps(func)
    def locked(*args, **kwargs):
        out_dir = signature.bind(*args, **kwargs).arguments["out_dir"]
        os.makedirs(out_dir, exist_ok=True)
        with open(os.path.join(out_dir, ".lock"), "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise IndexBuildError(f"{out_dir}: another licenselens command is writing this index") from exc
            return func(*args, **kwargs)

    return cast(F, locked)


@one_writer
def build_index(
    manifest: Manifest,
    out_dir: str,
    settings: IndexSettings = IndexSettings(),
    engine: str = "local",
    jobs: int = 1,
    shard_bytes: int = 16 * 2**20,
    ray_address: str | None = None,
    corpus_results: str | None = None,
    progress=None,
    append: bool = False,
    part_tokens: int = PART_TOKENS,
    budget: int = MERGE_BUDGET,
    publish: str | None = None,
) -> dict:
    """Index ``manifest``'s datasets into ``out_dir``: a new index, or with ``append`` new parts after the
    parts of the index there (whose settings then apply); each part also uploaded to ``publish`` (``remote``)
    as soon as it is written. The manifest is written last: until then an
    append leaves the index as it was, and a build leaves none."""
    previous = read_manifest(out_dir) if append else None
    if previous is not None:
        if previous["tokeniser"] != TOKENISER:
            raise IndexBuildError(
                f"{out_dir}: built with tokeniser {previous['tokeniser']}, this licenselens has {TOKENISER}: "
                "rebuild it to add to it"
            )
        settings = settings_of(previous)
        have = {s["dataset"] for s in previous["shards"]}
        again = sorted(have & {d.name for d in manifest.datasets})
        if again:
            raise IndexExists(f"{out_dir}: already holds dataset(s) {', '.join(again)}")
    settings.check()
    shards_dir = os.path.join(out_dir, "shards")
    os.makedirs(shards_dir, exist_ok=True)
    plan: list[IndexShardTask] = []
    errors: list[dict] = []
    for spec in manifest.datasets:
        shards, plan_errors = plan_dataset(spec, shard_bytes)
        plan.extend(IndexShardTask(s, spec, shards_dir, settings) for s in shards)
        errors.extend(e.__dict__ for e in plan_errors)
    store = ShardStore(shards_dir)
    kept = [s["name"] for s in previous["shards"]] if previous else []
    clash = set(kept) & {shard_name(t) for t in plan}
    if clash:
        raise IndexExists(f"{out_dir}: already holds input(s) {', '.join(sorted(clash))}")
    pending = [t for t in plan if not _reusable(store, shard_name(t))]
    _discard_leftovers(out_dir, rebuilding=previous is None)
    ENGINES[engine](index_shard, pending, jobs, progress or (lambda outcome: None), ray_address)
    store.prune([*kept, *(shard_name(t) for t in plan)])  # shards of inputs that changed, interrupted attempts
    shard_entries = []
    for task in plan:
        done = store.record(shard_name(task))
        errors.extend(done["errors"])
        shard_entries.append(
            {
                "name": shard_name(task),
                "dataset": task.spec.name,
                "input": task.shard.location,
                "documents": done["stats"]["documents"],
                "tokens": done["stats"]["tokens"],
                "postings": done["stats"]["postings"],
            }
        )
    groups = [[s["name"] for s in group] for group in _groups(shard_entries, part_tokens)]
    parts = list(previous["parts"]) if previous else []
    parts += _parts(
        out_dir,
        [(names, [os.path.join(shards_dir, n) for n in names]) for names in groups],
        budget,
        lambda func, tasks: ENGINES[engine](func, tasks, jobs, progress or (lambda outcome: None), ray_address),
        redone=frozenset(shard_name(t) for t in pending),
        publish=publish,
    )
    ShardStore(os.path.join(out_dir, "parts")).prune(p["name"] for p in parts)
    licenses = (previous or {}).get("licenses")
    if corpus_results:
        licenses = _attach_corpus_licences(corpus_results, out_dir, licenses)
    manifest_data = {
        "format_version": FORMAT_VERSION,
        "tool": tool_stamp(),
        "tokeniser": TOKENISER,
        "n": settings.n,
        "gram": settings.gram,
        "window": settings.window,
        "seed": settings.seed,
        "seed_sampling": settings.seed_sampling,
        "source": "; ".join(filter(None, [previous["source"] if previous else None, manifest.source])),
        "sources": sorted(
            {
                *(tuple(x) for x in (previous["sources"] if previous else [])),
                *((t.shard.location, t.shard.key) for t in plan),
            }
        ),
        "parts": parts,
        "shards": [*(previous["shards"] if previous else []), *shard_entries],
        "errors": [*(previous["errors"] if previous else []), *errors],
        "corpus_results": corpus_results or (previous or {}).get("corpus_results"),
        "licenses": licenses,
    }
    write_manifest(out_dir, manifest_data)
    for task in plan:  # in a part now; a later build redoes the shards (see _reusable)
        for name in ARRAYS:
            path = os.path.join(shards_dir, shard_name(task), name)
            if os.path.exists(path):
                os.unlink(path)
    return {**manifest_data, "run_errors": errors}  # what this run met (an append's manifest has all)


def _groups(shards: list[dict], part_tokens: int) -> list[list[dict]]:
    """Consecutive shards in parts of at most ``part_tokens`` tokens (a larger shard alone)."""
    groups: list[list[dict]] = []
    total = 0
    for shard in shards:
        if not groups or total + shard["tokens"] > part_tokens:
            groups.append([])
            total = 0
        groups[-1].append(shard)
        total += shard["tokens"]
    return groups


@dataclass(frozen=True)
class PartTask:
    """A part to write from ``sources`` (shard or part folders), on an engine's worker like a shard."""

    directory: str  # the index's parts store
    name: str
    sources: tuple[str, ...]
    members: tuple[str, ...]  # its shards, in order
    budget: int
    publish: str | None  # the URI of the index to upload the part to


def write_part_task(task: PartTask) -> dict:
    store = ShardStore(task.directory)
    if not store.is_done(task.name):  # a killed run may have written it
        write_part(store, task.name, list(task.sources), {"shards": list(task.members)}, task.budget)
    if task.publish:
        push_part(os.path.dirname(task.directory), task.publish, task.name)
    return {"part": task.name}


def _parts(
    out_dir: str,
    groups: list[tuple[list[str], list[str]]],
    budget: int,
    run,
    redone: frozenset[str] = frozenset(),
    publish: str | None = None,
) -> list[dict]:
    """The parts of ``groups`` (their members, the folders to merge), written by ``run`` (an engine) where
    missing or where a member was ``redone`` (so a part is only ever reused from the very shards it was
    merged from: a killed run's); their manifest entries."""
    directory = os.path.join(out_dir, "parts")
    store = ShardStore(directory)
    version = json.dumps([FORMAT_VERSION, TOKENISER], sort_keys=True)
    tasks = [
        PartTask(
            directory,
            "part-" + hashlib.sha256("\n".join([version, *members]).encode()).hexdigest()[:16],
            tuple(sources),
            tuple(members),
            budget,
            publish,
        )
        for members, sources in groups
    ]
    for task in tasks:
        if redone.intersection(task.members) and os.path.exists(store.path(task.name)):
            store.discard(task.name)
    try:
        run(write_part_task, [t for t in tasks if not store.is_done(t.name)])
    except PartTooLarge as exc:
        raise IndexBuildError(str(exc)) from exc
    entries = []
    for task in tasks:
        record = store.record(task.name)
        entries.append(
            {"name": task.name, "shards": list(task.members)}
            | {k: record[k] for k in ("documents", "tokens", "postings", "seeds")}
        )
    return entries


@one_writer
def compact_index(
    out_dir: str,
    part_tokens: int = PART_TOKENS,
    budget: int = MERGE_BUDGET,
    engine: str = "local",
    jobs: int = 1,
    ray_address: str | None = None,
    publish: str | None = None,
) -> dict:
    """Merge an index's consecutive parts, out of core, into as few as ``part_tokens`` allows; the manifest.

    Queries give the same results before and after. A killed compact leaves the index as it was and the
    parts it finished, which the next compact takes up (a part's name says which parts it merges)."""
    manifest = read_manifest(out_dir)
    store = ShardStore(os.path.join(out_dir, "parts"))
    groups = _groups(manifest["parts"], part_tokens)
    merged = iter(
        _parts(
            out_dir,
            [([s for p in g for s in p["shards"]], [store.path(p["name"]) for p in g]) for g in groups if len(g) > 1],
            budget,
            lambda func, tasks: ENGINES[engine](func, tasks, jobs, lambda outcome: None, ray_address),
            publish=publish,
        )
    )
    parts = [group[0] if len(group) == 1 else next(merged) for group in groups]
    manifest = {**manifest, "tool": tool_stamp(), "parts": parts}
    write_manifest(out_dir, manifest)
    store.prune(p["name"] for p in parts)
    return manifest


def settings_of(manifest: dict) -> IndexSettings:
    return IndexSettings(manifest["n"], manifest["gram"], manifest["seed"], manifest["seed_sampling"])


def _discard_leftovers(out_dir: str, rebuilding: bool) -> None:
    """Temporary files of a killed build go; and while shards are rebuilt the index is not complete,
    so its manifest (written last) goes first: a killed rebuild never looks like a finished index."""
    for name in os.listdir(out_dir):
        if name.startswith(TEMPORARY) and name.endswith(".tmp"):
            os.unlink(os.path.join(out_dir, name))
    if rebuilding and os.path.exists(os.path.join(out_dir, "manifest.json")):
        os.unlink(os.path.join(out_dir, "manifest.json"))


def _reusable(store: ShardStore, name: str) -> bool:
    """A finished shard whose arrays are still there (not yet in a part of a finished index)."""
    return store.is_done(name) and all(os.path.exists(os.path.join(store.path(name), f)) for f in ARRAYS)


def _attach_corpus_licences(corpus_results: str, out_dir: str, previous: str | None) -> str:
    """Licences detected by ``licenselens corpus``, by (dataset, origin), for the sources of spans
    (origins are unique; ids need not be: two files may both hold a record "1"), after the ``previous``
    file's rows; written under a new name that the manifest then lists, so a killed add changes nothing."""
    columns = ["dataset", "doc_id", "origin", "license_expression_spdx", "declared_license"]
    table = pq.read_table(corpus_results, columns=columns)
    if previous:
        before = pq.read_table(os.path.join(out_dir, previous), columns=columns)
        table = pa.concat_tables([before, table.cast(before.schema)])
    stat = os.stat(corpus_results)
    key = json.dumps([previous, os.path.abspath(corpus_results), stat.st_size, stat.st_mtime_ns])
    name = f"licenses-{hashlib.sha256(key.encode()).hexdigest()[:16]}.parquet"
    with atomic_output(os.path.join(out_dir, name), binary=True) as fh:
        pq.write_table(table, fh)
    return name
