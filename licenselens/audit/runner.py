"""`licenselens audit`: every layer over one manifest, then every output file of OUTDIR.

corpus signals (all datasets; source trees through scan_tree, as `scan` scans them) -> overlap index
-> model outputs checked against it -> policy -> results.json -> assessment -> reports. Each step
reuses its own command's runner, so the audit reports exactly what `corpus`, `scan`, `index build`
and `overlap` report.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from licenselens.audit.remediation import before_of
from licenselens.audit.results import assemble
from licenselens.corpus.runner import CorpusOptions, run_corpus
from licenselens.overlap.build import IndexSettings, build_index
from licenselens.overlap.query import OverlapIndex
from licenselens.policy.evaluate import evaluate_files
from licenselens.policy.loading import load_policy
from licenselens.sources.readers import read_documents
from licenselens.types.audit import Results
from licenselens.types.corpus import Document, DocumentError, Manifest
from licenselens.types.overlap import OutputResult
from licenselens.types.policy import Policy, PolicyReport

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
    before: str | None = None  # the corpus before cleaning (audit.remediation); found beside a cleaned manifest


def created_timestamp() -> str:
    """SOURCE_DATE_EPOCH when set (reproducible builds), else now; UTC to the second."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _tree_sections(trees, policy: Policy) -> list[dict]:
    """The corpus run's scans of source trees, judged by the audit's policy."""
    sections = []
    for tree in trees:
        report = PolicyReport(policy.name, tuple(evaluate_files(policy, tree.result.files)))
        sections.append(
            {
                "dataset": tree.dataset,
                "root": tree.root,
                "declared_license": tree.declared_license,
                "scan": dataclasses.replace(tree.result, policy=report).to_dict(),
            }
        )
    return sections


def _check_outputs(
    manifest: Manifest, index: OverlapIndex
) -> tuple[list[tuple[Document, OutputResult]], list[DocumentError]]:
    checked: list[tuple[Document, OutputResult]] = []
    errors: list[DocumentError] = []
    for spec in manifest.outputs:
        for item in read_documents(spec):
            if isinstance(item, DocumentError):
                if not item.code.startswith("skipped-"):
                    errors.append(item)
            else:
                checked.append((item, index.check(item.text, item.doc_id)))
    return checked, errors


def run_audit(manifest: Manifest, options: AuditOptions, log: Callable[[str], None] = lambda message: None) -> Results:
    policy = load_policy(options.policy or manifest.policy or "default")
    os.makedirs(options.output_dir, exist_ok=True)
    corpus = run_corpus(
        manifest,
        CorpusOptions(
            output_dir=options.output_dir,
            engine=options.engine,
            jobs=options.jobs,
            ray_address=options.ray_address,
            timeout=options.timeout,
            fresh=options.fresh,
            use_cache=options.use_cache,
            cache_dir=options.cache_dir,
        ),
    )
    log(
        f"corpus: {corpus.summary['totals']['documents']:,} documents in "
        f"{len(manifest.datasets)} datasets ({corpus.shards_reused} of {corpus.shards} shards reused)"
    )

    trees = _tree_sections(corpus.trees, policy)
    log(f"scan: {sum(len(t['scan']['files']) for t in trees):,} files in {len(trees)} source trees")

    index_dir = os.path.join(options.output_dir, INDEX_DIR)
    index_info = build_index(
        manifest,
        index_dir,
        IndexSettings(),
        options.engine,
        options.jobs,
        ray_address=options.ray_address,
        corpus_results=corpus.results_path,
    )
    index = OverlapIndex(index_dir)
    checked, output_errors = _check_outputs(manifest, index)
    log(f"overlap: {index_info['counts']['tokens']:,} corpus tokens indexed, {len(checked)} outputs checked")

    return assemble(
        manifest=manifest,
        policy=policy,
        corpus_summary=corpus.summary,
        corpus_results=corpus.results_path,
        trees=trees,
        index=index,
        index_info=index_info,
        checked=checked,
        output_errors=output_errors,
        created=created_timestamp(),
        max_documents=options.max_documents,
        before=before_of(manifest.source, options.before),
    )
