"""Building an overlap index: corpus shards to sorted, memory-mappable postings and compressed texts.

Layout of INDEX_DIR::

    manifest.json              settings (tokeniser, n, gram, window), counts, sources, shards in order
    postings.npy               kept n-grams of all shards: (hash, doc, pos) sorted by hash; doc is global
    seeds.npy                  sampled seeds of ``seed`` tokens for the near-copy search: (hash, global token
                               position) sorted, 32 bits each (see nearseeds)
    tokens.npy, token_offsets.npy   every document's token hashes (low 32 bits), by global doc
    shards/<key>/postings.npy  while building: the shard's kept n-grams (doc local); merged, then removed
    shards/<key>/texts.bin     each document's text, zstd-compressed, one frame per document
    shards/<key>/offsets.npy   where each document's frame starts and ends in texts.bin
    shards/<key>/tokens.npy, token_offsets.npy, seeds.npy   while building: the shard's token hashes and seeds
    shards/<key>/docs.parquet  document metadata: dataset, doc_id, origin, url, path, license
    shards/<key>/done.json     written last: the shard is complete

Shards live in the execution layer's ShardStore (a shard folder appears whole), so
a killed build restarts with the shards it has; the merged arrays are written
atomically before the manifest.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from licenselens.atomic import atomic_output
from licenselens.execution.executors import ENGINES
from licenselens.execution.shards import ShardStore
from licenselens.overlap.hashing import ngram_hashes, token_hashes, winnow
from licenselens.overlap.nearseeds import merge_seeds, shard_seeds
from licenselens.signals.anchors import lowered
from licenselens.sources.readers import READERS, plan_dataset
from licenselens.stamp import tool_stamp
from licenselens.tokens import SETTINGS as TOKENISER
from licenselens.types.convert import asdict
from licenselens.types.corpus import DatasetSpec, DocumentError, Manifest, Shard

POSTING = np.dtype([("hash", "<u8"), ("doc", "<u4"), ("pos", "<u4")])
FORMAT_VERSION = 4


class IndexBuildError(ValueError):
    pass


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
) -> dict:
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
    pending = [t for t in plan if not _reusable(store, shard_name(t))]
    _discard_leftovers(out_dir, rebuilding=bool(pending))
    ENGINES[engine](index_shard, pending, jobs, progress or (lambda outcome: None), ray_address)
    store.prune(shard_name(t) for t in plan)  # shards of inputs that changed, and interrupted attempts
    totals = {"documents": 0, "tokens": 0, "postings": 0}
    shard_entries = []
    for task in plan:
        done = store.record(shard_name(task))
        errors.extend(done["errors"])
        for key in totals:
            totals[key] += done["stats"][key]
        shard_entries.append(
            {
                "name": shard_name(task),
                "dataset": task.spec.name,
                "input": task.shard.location,
                "documents": done["stats"]["documents"],
                "tokens": done["stats"]["tokens"],
            }
        )
    _merge(out_dir, [os.path.join(shards_dir, shard_name(t)) for t in plan])
    if corpus_results:
        _attach_corpus_licences(corpus_results, out_dir)
    # the data a query reads (done.json holds timings, so it would make equal builds differ)
    # (and not the shards' copies of the merged arrays, removed below)
    index_bytes = sum(
        os.path.getsize(os.path.join(dirpath, f))
        for dirpath, _, files in os.walk(out_dir)
        for f in files
        if f not in ("done.json", "manifest.json") and not (dirpath != out_dir and f in MERGED)
    )
    manifest_data = {
        "format_version": FORMAT_VERSION,
        "tool": tool_stamp(),
        "tokeniser": TOKENISER,
        "n": settings.n,
        "gram": settings.gram,
        "window": settings.window,
        "seed": settings.seed,
        "seed_sampling": settings.seed_sampling,
        "source": manifest.source,
        "sources": sorted({(t.shard.location, t.shard.key) for t in plan}),
        "counts": {
            **totals,
            "bytes": index_bytes,
            "bytes_per_token": round(index_bytes / totals["tokens"], 3) if totals["tokens"] else None,
        },
        "shards": shard_entries,
        "errors": errors,
        "corpus_results": corpus_results,
    }
    with atomic_output(os.path.join(out_dir, "manifest.json"), binary=False) as fh:
        json.dump(manifest_data, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    for task in plan:  # merged now; a later build redoes the shards (see _reusable)
        for name in MERGED:
            path = os.path.join(shards_dir, shard_name(task), name)
            if os.path.exists(path):
                os.unlink(path)
    return manifest_data


MERGED = ("postings.npy", "tokens.npy", "token_offsets.npy", "seeds.npy")
TEMPORARY_PREFIX = ".licenselens-"  # atomic_output's temporary files


def _discard_leftovers(out_dir: str, rebuilding: bool) -> None:
    """Temporary files of a killed build go; and while shards are rebuilt the index is not complete,
    so its manifest (written last) goes first: a killed rebuild never looks like a finished index."""
    for name in os.listdir(out_dir):
        if name.startswith(TEMPORARY_PREFIX) and name.endswith(".tmp"):
            os.unlink(os.path.join(out_dir, name))
    if rebuilding and os.path.exists(os.path.join(out_dir, "manifest.json")):
        os.unlink(os.path.join(out_dir, "manifest.json"))


def _reusable(store: ShardStore, name: str) -> bool:
    """A finished shard whose postings and token hashes are still there (not yet merged)."""
    return store.is_done(name) and all(os.path.exists(os.path.join(store.path(name), f)) for f in MERGED)


def _merge(out_dir: str, shard_dirs: list[str]) -> None:
    """One sorted postings array, token hashes, token offsets and seeds for the whole index, with global doc ids.

    One binary search per n-gram instead of one per shard: a check costs the
    same whatever the number of shards. (Peak memory: about twice the postings.)
    """
    postings, tokens, offsets, base, token_base = [], [], [np.zeros(1, dtype=np.int64)], 0, 0
    seeds = []
    for directory in shard_dirs:
        seeds.append((np.load(os.path.join(directory, "seeds.npy")), token_base))
        part = np.load(os.path.join(directory, "postings.npy"))
        part["doc"] += base
        postings.append(part)
        tokens.append(np.load(os.path.join(directory, "tokens.npy")))
        shard_offsets = np.load(os.path.join(directory, "token_offsets.npy"))
        offsets.append(shard_offsets[1:] + token_base)
        base += len(shard_offsets) - 1
        token_base += int(shard_offsets[-1])
    with ThreadPoolExecutor(1) as pool:  # numpy sorts without the GIL: the seeds merge beside the postings
        seeds_merged = pool.submit(merge_seeds, seeds)
        merged = np.concatenate(postings) if postings else np.zeros(0, dtype=POSTING)
        merged = merged[np.argsort(merged["hash"], kind="stable")]
        try:
            seed_table = seeds_merged.result()
        except ValueError as exc:
            raise IndexBuildError(str(exc)) from exc
    del seeds
    for name, array in (
        ("postings.npy", merged),
        ("tokens.npy", np.concatenate(tokens) if tokens else np.zeros(0, dtype=np.uint32)),
        ("token_offsets.npy", np.concatenate(offsets)),
        ("seeds.npy", seed_table),
    ):
        with atomic_output(os.path.join(out_dir, name), binary=True) as fh:
            np.save(fh, array)


def _attach_corpus_licences(corpus_results: str, out_dir: str) -> None:
    """Licences detected by ``licenselens corpus``, by (dataset, origin), for the sources of spans
    (origins are unique; ids need not be: two files may both hold a record "1")."""
    table = pq.read_table(
        corpus_results, columns=["dataset", "doc_id", "origin", "license_expression_spdx", "declared_license"]
    )
    with atomic_output(os.path.join(out_dir, "licenses.parquet"), binary=True) as fh:
        pq.write_table(table, fh)
