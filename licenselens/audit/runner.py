"""`licenselens audit`: every layer over one manifest, then every output file of OUTDIR.

corpus signals (all datasets) -> licence scan (source trees) -> overlap index -> model outputs
checked against it -> policy -> results.json -> reports. Each step reuses its own command's
runner, so the audit reports exactly what `corpus`, `scan`, `index build` and `overlap` report.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ..corpus.runner import CorpusOptions, run_corpus
from ..engine import ScanOptions, scan
from ..overlap.build import IndexSettings, build_index
from ..overlap.query import OverlapIndex
from ..policy.loading import load_policy
from ..sources.readers import read_documents
from ..types import DocumentError, Manifest
from .results import assemble

INDEX_DIR = "index"


@dataclass(frozen=True)
class AuditOptions:
    output_dir: str
    policy: str | None = None  # overrides the manifest's `policy`
    engine: str = "local"
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    ray_address: str | None = None
    timeout: float = 30.0
    fresh: bool = False
    use_cache: bool = True
    cache_dir: str | None = None
    max_documents: int = 20_000  # rows of the document table in results.json and the report


def created_timestamp() -> str:
    """SOURCE_DATE_EPOCH when set (reproducible builds), else now; UTC to the second."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch else datetime.now(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def display_path(path: str) -> str:
    """Relative to the working folder when inside it, so results do not depend on where a clone lives."""
    relative = os.path.relpath(path)
    return (path if relative.startswith("..") and os.path.isabs(path) else relative).replace(os.sep, "/")


def _scan_trees(manifest: Manifest, policy, options: AuditOptions) -> list[dict]:
    trees = []
    for spec in manifest.datasets:
        if spec.format != "tree":
            continue
        for path in spec.paths:
            result, _ = scan([display_path(path)], ScanOptions(jobs=options.jobs, use_cache=options.use_cache,
                                                              cache_dir=options.cache_dir), None, policy)
            trees.append({"dataset": spec.name, "root": display_path(path), "declared_license": spec.license,
                          "scan": result.to_dict()})
    return trees


def _check_outputs(manifest: Manifest, index: OverlapIndex) -> tuple[list[tuple[str, object]], list[DocumentError]]:
    checked, errors = [], []
    for spec in manifest.outputs:
        for item in read_documents(spec):
            if isinstance(item, DocumentError):
                if not item.code.startswith("skipped-"):
                    errors.append(item)
            else:
                checked.append((item, index.check(item.text, item.doc_id)))
    return checked, errors


def run_audit(manifest: Manifest, options: AuditOptions, log: Callable[[str], None] = lambda message: None) -> dict:
    policy = load_policy(options.policy or manifest.policy or "default")
    os.makedirs(options.output_dir, exist_ok=True)
    timings = {}

    started = time.perf_counter()
    corpus = run_corpus(manifest, CorpusOptions(output_dir=options.output_dir, engine=options.engine,
                                                jobs=options.jobs, ray_address=options.ray_address,
                                                timeout=options.timeout, fresh=options.fresh))
    timings["corpus"] = time.perf_counter() - started
    log(f"corpus: {corpus.summary['totals']['documents']:,} documents in "
        f"{len(manifest.datasets)} datasets ({corpus.shards_reused} of {corpus.shards} shards reused)")

    started = time.perf_counter()
    trees = _scan_trees(manifest, policy, options)
    timings["scan"] = time.perf_counter() - started
    log(f"scan: {sum(len(t['scan']['files']) for t in trees):,} files in {len(trees)} source trees")

    started = time.perf_counter()
    index_dir = os.path.join(options.output_dir, INDEX_DIR)
    index_manifest = build_index(manifest, index_dir, IndexSettings(), options.engine, options.jobs,
                                 ray_address=options.ray_address, corpus_results=corpus.results_path)
    index = OverlapIndex(index_dir)
    checked, output_errors = _check_outputs(manifest, index)
    timings["overlap"] = time.perf_counter() - started
    log(f"overlap: {index_manifest['counts']['tokens']:,} corpus tokens indexed, {len(checked)} outputs checked")

    return assemble(
        manifest=manifest, policy=policy, corpus_summary=corpus.summary, corpus_results=corpus.results_path,
        trees=trees, index=index, index_manifest=index_manifest, checked=checked, output_errors=output_errors,
        created=created_timestamp(), max_documents=options.max_documents,
    )
