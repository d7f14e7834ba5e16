"""Source-tree datasets: each tree is scanned once with ``scan_tree`` (the same scan as ``licenselens scan``,
cross-file steps included), and its documents take their file's findings from that scan."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache

from licenselens.atomic import atomic_output
from licenselens.privacy import redact
from licenselens.scan.options import ScanOptions
from licenselens.scan.runner import findings_of, scan_tree
from licenselens.sources.readers import display_path, expand_inputs
from licenselens.sources.tree import path_key
from licenselens.types.convert import to_jsonable
from licenselens.types.corpus import DatasetSpec
from licenselens.types.findings import Findings, findings_from_dict
from licenselens.types.scan import ScanResult


@dataclass(frozen=True)
class TreeScan:
    """The scan of one input (folder or file) of a source-tree dataset."""

    dataset: str
    location: str  # as the dataset's shards name it
    root: str  # as results show it (relative to the working folder when inside it)
    declared_license: str | None
    result: ScanResult
    findings_path: str  # per-file findings for the shard workers
    digest: str  # changes when any file's findings change: the tree's shards are redone


def scan_trees(spec: DatasetSpec, options: ScanOptions, directory: str) -> list[TreeScan]:
    """Scans every input of a source-tree dataset and writes each one's per-file findings into ``directory``."""
    scans = []
    os.makedirs(directory, exist_ok=True)
    inputs, _ = expand_inputs(spec)  # the errors are the dataset plan's to report
    for location in inputs:
        root = display_path(location)
        result = scan_tree([root], options)[0]
        # a work file too: paths as digests, findings masked (the documents' rows take them as they are)
        findings = {path_key(f.path): to_jsonable(redact(findings_of(f))) for f in result.files}
        data = json.dumps(findings, sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogatepass")
        digest = hashlib.sha256(data).hexdigest()[:16]
        path = os.path.join(directory, f"{digest}.json")
        if not os.path.exists(path):
            with atomic_output(path, binary=True) as fh:
                fh.write(data)
        scans.append(TreeScan(spec.name, location, root, spec.license, result, os.path.abspath(path), digest))
    return scans


@lru_cache(maxsize=4)
def tree_findings(path: str) -> dict[str, Findings]:
    """Findings by ``path_key`` of the file's path (relative to the tree's root), read once per worker."""
    with open(path, "rb") as fh:
        data = json.loads(fh.read().decode("utf-8", "surrogatepass"))
    return {name: findings_from_dict(value) for name, value in data.items()}
