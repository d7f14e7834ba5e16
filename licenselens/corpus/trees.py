"""Source-tree datasets: each tree is scanned once with ``scan_tree`` (the same scan as ``licenselens scan``,
cross-file steps included), and its documents take their file's findings from that scan."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache

from licenselens.atomic import atomic_output
from licenselens.scan.options import ScanOptions
from licenselens.scan.runner import findings_of, scan_tree
from licenselens.scan.summary import summarise
from licenselens.signals.pii import mask_text
from licenselens.sources.readers import display_path, expand_inputs
from licenselens.types.convert import to_jsonable
from licenselens.types.corpus import DatasetSpec
from licenselens.types.findings import Findings, Statement, findings_from_dict
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
        result = masked(scan_tree([root], options)[0])
        findings = {f.path: to_jsonable(findings_of(f)) for f in result.files}
        data = json.dumps(findings, sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogatepass")
        digest = hashlib.sha256(data).hexdigest()[:16]
        path = os.path.join(directory, f"{digest}.json")
        if not os.path.exists(path):
            with atomic_output(path, binary=True) as fh:
                fh.write(data)
        scans.append(TreeScan(spec.name, location, root, spec.license, result, os.path.abspath(path), digest))
    return scans


def masked(result: ScanResult) -> ScanResult:
    """The scan with personal data in its statements masked: the tree is training data, and what its
    files say reaches the corpus's and the audit's outputs (copyrights, holders, NOTICE, SPDX)."""

    def mask(statements: tuple[Statement, ...]) -> tuple[Statement, ...]:
        return tuple(dataclasses.replace(s, value=mask_text(s.value)) for s in statements)

    files = tuple(
        dataclasses.replace(f, copyrights=mask(f.copyrights), holders=mask(f.holders), authors=mask(f.authors))
        for f in result.files
    )
    return dataclasses.replace(result, files=files, summary=summarise(files))


@lru_cache(maxsize=4)
def tree_findings(path: str) -> dict[str, Findings]:
    """Findings by file path (relative to the tree's root), read once per worker."""
    with open(path, "rb") as fh:
        data = json.loads(fh.read().decode("utf-8", "surrogatepass"))
    return {name: findings_from_dict(value) for name, value in data.items()}
