"""`licenselens clean`: the corpus a policy allows, written in its input's formats, with what was removed and why.

The corpus pipeline measures every document (into OUTDIR/before: resumable per shard, any engine) and, in
the same read, decides what it can alone (remedy/prepare.py): excluded, opted out, personal data to drop,
denied by the policy; otherwise its personal data is masked or replaced by synthetic surrogates in every
field. Then one pass in manifest order (remedy/decide.py) keeps each remaining document unless its cleaned
text repeats, exactly or nearly, a document kept before it, and writes what it keeps.
"""

from __future__ import annotations

import dataclasses
import glob
import json
import os
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow.parquet as pq

from licenselens.atomic import atomic_output
from licenselens.corpus.runner import WORK_DIR, CorpusOptions, CorpusRun, Layout, run_corpus
from licenselens.corpus.surrogate_ledger import ledger_text, read_ledger
from licenselens.execution.shards import ShardStore
from licenselens.policy.loading import builtin_policies, load_policy
from licenselens.privacy import redact
from licenselens.remedy.cleaned_manifest import write_manifest
from licenselens.remedy.decide import REMOVED_SCHEMA, Cleaner, CleanError
from licenselens.remedy.prepare import CleanSettings
from licenselens.scancode.licensedb import index_version
from licenselens.sources.readers import expand_inputs
from licenselens.stamp import tool_stamp
from licenselens.types.corpus import Manifest

PII_MODES = ("mask", "synthetic", "drop")
BEFORE_DIR, DATA_DIR = "before", "data"
MANIFEST_FILE, REMOVED_FILE, SUMMARY_FILE, LEDGER_FILE, POLICY_FILE = (
    "licenselens.toml",
    "removed.parquet",
    "clean-summary.json",
    "pii-surrogates.txt",
    "policy.yaml",
)
# why a document is not in the cleaned corpus (besides reading errors, which keep their own codes)
REASONS = (
    "excluded",
    "opt-out",
    "personal-information",
    "policy",
    "personal-information-remains",
    "analysis-failed",
    "duplicate",
    "near-duplicate",
)
__all__ = ["CleanError", "CleanOptions", "CleanRun", "PII_MODES", "REMOVED_SCHEMA", "run_clean"]


@dataclass(frozen=True)
class CleanOptions:
    output_dir: str
    policy: str | None = None  # overrides the manifest's `policy`
    pii: str = "mask"
    exclude: frozenset[str] = frozenset()  # DATASET:DOC_ID keys (remedy/exclusions.py)
    seed: str = "licenselens"  # of the synthetic surrogates
    corpus: CorpusOptions = CorpusOptions()  # how the documents are measured first (its output_dir is ignored)


@dataclass(frozen=True)
class CleanRun:
    summary: dict
    manifest_path: str | None  # None when no document was kept
    removed_path: str
    summary_path: str
    before: CorpusRun


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _check_output(manifest: Manifest, out: str) -> None:
    """OUTDIR is replaced in part (data/, the manifest): it must share nothing with the inputs or the
    manifest, and hold nothing but an earlier clean's files."""
    root = os.path.realpath(out)
    if _inside(os.path.realpath(manifest.source), root):
        raise CleanError(f"output folder {out} holds the manifest {manifest.source}: choose another")
    for spec in manifest.datasets:
        inputs, _ = expand_inputs(spec)
        fixed = [p.split("*")[0].split("?")[0].split("[")[0] for p in spec.paths if glob.has_magic(p)]
        for path in inputs:
            if _inside(os.path.realpath(path), root):
                raise CleanError(f"output folder {out} holds {path} of dataset {spec.name!r}: choose another")
            if os.path.isdir(path) and _inside(root, os.path.realpath(path)):
                raise CleanError(f"output folder {out} is inside dataset {spec.name!r} ({path}); choose another")
        for prefix in fixed:
            where = os.path.realpath(prefix if os.path.isdir(prefix) else os.path.dirname(prefix) or ".")
            if _inside(root, where):
                raise CleanError(f"output folder {out} is where dataset {spec.name!r} globs for files; choose another")
    # an earlier clean's, finished, or stopped while measuring (its work folder is there: run again, it resumes)
    earlier = os.path.isfile(os.path.join(out, SUMMARY_FILE)) or os.path.isdir(os.path.join(out, BEFORE_DIR, WORK_DIR))
    if os.path.isdir(out) and os.listdir(out) and not earlier:
        raise CleanError(f"output folder {out} is not empty and was not written by licenselens clean: choose another")


def _policy_reference(name_or_path: str, out: str) -> str:
    """A built-in policy by name; a policy file copied beside the cleaned manifest, which names it."""
    if name_or_path in builtin_policies():
        return name_or_path
    shutil.copyfile(name_or_path, os.path.join(out, POLICY_FILE))
    return POLICY_FILE


def run_clean(manifest: Manifest, options: CleanOptions, progress: Callable[[dict], None] | None = None) -> CleanRun:
    if options.pii not in PII_MODES:
        raise CleanError(f"unknown --pii {options.pii!r} (known: {', '.join(PII_MODES)})")
    out = options.output_dir
    _check_output(manifest, out)
    policy_name = options.policy or manifest.policy or "default"
    policy = load_policy(policy_name)
    os.makedirs(out, exist_ok=True)
    earlier = frozenset(read_ledger(manifest.surrogates)) if manifest.surrogates else frozenset()  # cleaned before
    settings = CleanSettings(options.pii, options.exclude, options.seed, policy, earlier)
    before_dir = os.path.join(out, BEFORE_DIR)
    staging = os.path.join(out, f".{DATA_DIR}.partial")
    removed_path = os.path.join(out, REMOVED_FILE)
    removed_partial = os.path.join(out, f".{REMOVED_FILE}.partial")
    cleaner = Cleaner(
        settings,
        options.corpus.limits,
        staging,
        set(earlier),
        DATA_DIR,
        os.path.join(before_dir, WORK_DIR),
        options.corpus.dedup_memory,
    )
    datasets: list[dict] = []

    def decide(layout: Layout, store: str) -> None:
        """Meanwhile the measurements are merged into OUTDIR/before."""
        shutil.rmtree(staging, ignore_errors=True)
        os.makedirs(staging)
        shards = ShardStore(store)
        # published with data/, once the merge has finished too
        with pq.ParquetWriter(removed_partial, REMOVED_SCHEMA) as removed:
            try:
                datasets.extend(cleaner.dataset(spec, group, errors, shards, removed) for spec, group, errors in layout)
            finally:
                cleaner.close()

    corpus = dataclasses.replace(options.corpus, output_dir=before_dir)
    before = run_corpus(manifest, corpus, progress, extra=settings, then=decide)
    os.replace(removed_partial, removed_path)
    data = os.path.join(out, DATA_DIR)
    shutil.rmtree(data, ignore_errors=True)
    os.replace(staging, data)
    ledger = None
    if cleaner.ledger:
        ledger = os.path.join(out, LEDGER_FILE)
        with atomic_output(ledger, binary=False) as fh:
            fh.write(ledger_text(cleaner.ledger))
    manifest_path: str | None = os.path.join(out, MANIFEST_FILE)
    if any(d["paths"] for d in datasets):
        reference = _policy_reference(policy_name, out)
        write_manifest(manifest, reference, datasets, str(manifest_path), LEDGER_FILE if ledger else None)
    else:  # a manifest needs a dataset: nothing was kept, so there is no cleaned corpus to describe
        manifest_path = None
        if os.path.exists(os.path.join(out, MANIFEST_FILE)):
            os.unlink(os.path.join(out, MANIFEST_FILE))
    totals = {
        key: sum(d[key] for d in datasets)
        for key in ("documents", "kept", "bytes_in", "bytes_out", "documents_changed")
    }
    removed_counts: Counter = Counter()
    unread: Counter = Counter()
    for d in datasets:
        removed_counts.update(d["removed"])
        unread.update(d["not_documents"])
    summary = redact(
        {
            "tool": tool_stamp(index_version()),
            "manifest": manifest.source,
            "policy": policy.name,
            "pii": options.pii,
            "seed": options.seed if options.pii == "synthetic" else None,
            "exclusions": {"listed": len(options.exclude), "matched": len(cleaner.excluded)},
            "totals": {
                **totals,
                "removed": dict(sorted(removed_counts.items())),
                "not_documents": dict(sorted(unread.items())),
            },
            "datasets": datasets,
            "files": {
                "manifest": MANIFEST_FILE if manifest_path else None,
                "removed": REMOVED_FILE,
                "surrogates": LEDGER_FILE if ledger else None,
                "before": f"{BEFORE_DIR}/corpus.parquet",
            },
        }
    )
    summary_path = os.path.join(out, SUMMARY_FILE)
    with atomic_output(summary_path, binary=False) as fh:
        json.dump(summary, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    return CleanRun(summary, manifest_path, removed_path, summary_path, before)
