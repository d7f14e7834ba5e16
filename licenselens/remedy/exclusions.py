"""The exclusion list: documents `clean --exclude` drops, as `trace` writes them.

One document a line, ``DATASET:DOC_ID`` (the form of corpus.parquet's ``duplicate_of``; dataset
names hold no colon, so the first one separates). ``#`` starts a comment line; blank lines are skipped.
An id that holds personal data is listed as ``DATASET:sha256:HEX`` (``listed_key``): the list is written
like every output, without anyone's data, and still names exactly one document.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TextIO

from licenselens.signals.pii import mask_text


class ExclusionListError(ValueError):
    pass


def document_key(dataset: str, doc_id: str) -> str:
    return f"{dataset}:{doc_id}"


def digest_key(dataset: str, doc_id: str) -> str:
    return f"{dataset}:sha256:{hashlib.sha256(doc_id.encode('utf-8', 'surrogatepass')).hexdigest()[:32]}"


def listed_key(dataset: str, doc_id: str) -> str:
    """How a document is written on the list: its id, or the id's digest when the id holds personal data
    or a line break."""
    if "\n" in doc_id or "\r" in doc_id or mask_text(doc_id) != doc_id:
        return digest_key(dataset, doc_id)
    return document_key(dataset, doc_id)


def listed(keys: frozenset[str], dataset: str, doc_id: str) -> str | None:
    """The line of ``keys`` that names this document, if any."""
    for key in (document_key(dataset, doc_id), digest_key(dataset, doc_id)):
        if key in keys:
            return key
    return None


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
