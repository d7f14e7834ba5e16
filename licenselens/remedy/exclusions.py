"""The exclusion list: documents `clean --exclude` drops, as `trace` writes them.

One document a line, ``DATASET:DOC_ID`` (the form of corpus.parquet's ``duplicate_of``; dataset
names hold no colon, so the first one separates). ``#`` starts a comment line; blank lines are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO


class ExclusionListError(ValueError):
    pass


def document_key(dataset: str, doc_id: str) -> str:
    return f"{dataset}:{doc_id}"


def read_exclusions(path: str) -> frozenset[str]:
    keys = set()
    try:
        with open(path, encoding="utf-8") as fh:
            for number, raw in enumerate(fh, 1):
                line = raw.rstrip("\r\n")
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                dataset, colon, doc_id = line.partition(":")
                if not colon or not dataset or not doc_id:
                    raise ExclusionListError(f"{path}:{number}: expected DATASET:DOC_ID, found {line[:80]!r}")
                keys.add(document_key(dataset.strip(), doc_id))
    except (OSError, UnicodeDecodeError) as exc:
        raise ExclusionListError(f"{path}: {exc}") from exc
    return frozenset(keys)


def write_exclusions(fh: TextIO, keys: Iterable[str], header: str = "") -> None:
    for line in header.splitlines():
        fh.write(f"# {line}\n")
    for key in sorted(set(keys)):
        fh.write(key + "\n")
