"""Documents that are whole files: JSON record files, folders of text files, and source trees."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from functools import lru_cache

from licenselens.sources.base import DocumentReader, Entry, SourceRecord, Wanted
from licenselens.sources.reading import classify, decode
from licenselens.sources.records import make_shard, record_to_document
from licenselens.sources.tree import TreeSource
from licenselens.types.convert import printable
from licenselens.types.corpus import DatasetSpec, Document, DocumentError, Shard

FILES_PER_SHARD = 256


class JsonRecordsReader(DocumentReader):
    """A file holding one JSON array of records, or one record. Read whole: meant for small files."""

    name = "json"
    suffixes = (".json",)

    def plan(self, spec: DatasetSpec, location: str, shard_bytes: int) -> Iterator[Shard | DocumentError]:
        try:
            size = os.path.getsize(location)
        except OSError as exc:
            yield DocumentError(spec.name, location, "unreadable", exc.strerror or str(exc))
            return
        if size > self.limits.max_file_bytes:  # parsed whole: its objects take several times its size
            yield DocumentError(
                spec.name,
                location,
                "too-large",
                f"{size} bytes is over the {self.limits.max_file_bytes}-byte limit for a JSON file (--max-file-size)",
            )
            return
        yield make_shard(spec, self.name, location, 0, -1)

    def read(self, spec: DatasetSpec, shard: Shard) -> Iterator[Document | DocumentError]:
        for item, _ in self.records(spec, shard):
            assert item is not None  # every item is parsed when none is refused
            yield item

    def records(
        self, spec: DatasetSpec, shard: Shard, wanted: Wanted | None = None
    ) -> Iterator[tuple[Document | DocumentError | None, SourceRecord | None]]:
        try:
            with open(shard.location, "rb") as fh:
                data = json.load(fh)
        except OSError as exc:
            yield DocumentError(spec.name, shard.location, "unreadable", exc.strerror or str(exc)), None
            return
        except RecursionError:
            yield DocumentError(spec.name, shard.location, "malformed-json", "nested too deeply"), None
            return
        except ValueError as exc:
            yield DocumentError(spec.name, shard.location, "malformed-json", str(exc)), None
            return
        records = data if isinstance(data, list) else [data]
        for row, record in enumerate(records):
            yield (
                record_to_document(spec, record, f"{printable(shard.location)}#{row}", f"{spec.name}#{row}"),
                SourceRecord(record) if isinstance(record, dict) else None,
            )


@lru_cache(maxsize=8)
def _listing(root: str) -> tuple[Entry, ...]:
    return tuple(TreeSource(root).entries())


def _stamp(entries) -> str:
    digest = hashlib.sha256()
    for entry in entries:
        try:
            st = os.lstat(entry.location)
            digest.update(f"{entry.path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "replace"))
        except OSError:
            digest.update(f"{entry.path}\0gone\n".encode("utf-8", "replace"))
    return digest.hexdigest()


class TextFilesReader(DocumentReader):
    """One document per text file of a folder (git-aware walk, as ``scan``); binary files are skipped."""

    name = "text"

    def plan(self, spec: DatasetSpec, location: str, shard_bytes: int) -> Iterator[Shard | DocumentError]:
        _listing.cache_clear()  # plan sees the tree as it is now
        entries = _listing(location)
        start, size = 0, 0
        for index, entry in enumerate(entries):
            try:
                size += os.lstat(entry.location).st_size
            except OSError:
                pass
            if index + 1 - start >= FILES_PER_SHARD or size >= shard_bytes or index == len(entries) - 1:
                yield make_shard(
                    spec, self.name, location, start, index + 1, start + 1, _stamp(entries[start : index + 1])
                )
                start, size = index + 1, 0
        if not entries:
            yield DocumentError(spec.name, location, "missing-input", "no files")

    def read(self, spec: DatasetSpec, shard: Shard) -> Iterator[Document | DocumentError]:
        prefix = printable(os.path.basename(os.path.normpath(shard.location))) if os.path.isdir(shard.location) else ""
        limit = self.limits.max_file_bytes
        for entry in _listing(shard.location)[shard.start : shard.stop]:
            origin = entry.path if not prefix else f"{prefix}/{entry.path}"
            if entry.problem:
                yield DocumentError(spec.name, origin, *entry.problem)
                continue
            try:
                size = os.path.getsize(entry.location)
                if size > limit:
                    yield DocumentError(
                        spec.name, origin, "too-large", f"{size} bytes is over the {limit}-byte limit (--max-file-size)"
                    )
                    continue
                with open(entry.location, "rb") as fh:
                    data = fh.read()
            except OSError as exc:
                yield DocumentError(spec.name, origin, "unreadable", exc.strerror or str(exc))
                continue
            kind = classify(data)
            if kind != "text":
                yield DocumentError(spec.name, origin, f"skipped-{kind}", f"{kind} file: not a text document")
                continue
            text, _ = decode(data)
            # ids are unique within a dataset: with several roots, each is prefixed like `scan` prefixes its PATHs
            doc_id = origin if len(spec.paths) > 1 or any(c in spec.paths[0] for c in "*?[") else entry.path
            yield Document(spec.name, doc_id, text, origin, (("path", entry.path),), entry.location)


class SourceTreeReader(TextFilesReader):
    """Files of a repository; documents keep their location so the file-level detectors run as in ``scan``."""

    name = "tree"
