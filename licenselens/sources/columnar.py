"""Parquet files (by row groups) and Hugging Face ``save_to_disk`` folders (Arrow IPC files, by record batches)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from licenselens.sources.base import DocumentReader, SourceRecord, Wanted
from licenselens.sources.records import make_shard, record_to_document
from licenselens.types.convert import printable
from licenselens.types.corpus import DatasetSpec, Document, DocumentError, Shard


def _wanted_columns(spec: DatasetSpec, names: list[str]) -> tuple[list[str], str | None]:
    """Columns to read, or a problem when the text column is not there."""
    texts = [f for f in spec.text_field if f in names]
    if spec.text_field_given and len(texts) < len(spec.text_field):
        missing = [f for f in spec.text_field if f not in names]
        return [], f"no column {', '.join(map(repr, missing))} (columns: {', '.join(names)})"
    if not texts:
        return [], f"no text column {' or '.join(map(repr, spec.text_field))} (columns: {', '.join(names)})"
    wanted = texts[: len(spec.text_field)] if spec.text_field_given else texts[:1]
    extra = [spec.id_field] + [field for _, field in spec.fields]
    return wanted + [c for c in dict.fromkeys(extra) if c in names and c not in wanted], None


def _records(batch) -> Iterator[dict | None]:
    """A batch's rows as dicts; None for a row whose strings are not UTF-8 (Arrow does not check on read)."""
    try:
        yield from batch.to_pylist()
    except UnicodeDecodeError:
        for i in range(batch.num_rows):
            try:
                yield batch.slice(i, 1).to_pylist()[0]
            except UnicodeDecodeError:
                yield None


Item = tuple[Document | DocumentError, SourceRecord | None]


def _rows(spec: DatasetSpec, batch, columns: list[str], location: str, first_row: int, keep: bool) -> Iterator[Item]:
    """Documents of the batch's ``columns`` (the only ones decoded); with ``keep``, each with its row."""
    row, location = first_row, printable(location)
    for i, record in enumerate(_records(batch.select(columns))):
        if record is None:
            error = DocumentError(spec.name, f"{location}#{row}", "bad-encoding", "a text value is not UTF-8")
            yield error, None
        else:
            document = record_to_document(spec, record, f"{location}#{row}", f"{spec.name}#{row}")
            yield document, SourceRecord(record, batch=batch, row=i) if keep else None
        row += 1


class ParquetReader(DocumentReader):
    name = "parquet"
    suffixes = (".parquet",)

    def plan(self, spec: DatasetSpec, location: str, shard_bytes: int) -> Iterator[Shard | DocumentError]:
        try:
            meta = pq.ParquetFile(location).metadata
        except (OSError, pa.ArrowException) as exc:
            yield DocumentError(spec.name, location, "corrupt-file", f"not a readable Parquet file: {exc}")
            return
        _, problem = _wanted_columns(spec, meta.schema.to_arrow_schema().names)
        if problem:
            yield DocumentError(spec.name, location, "missing-field", problem)
            return
        start, size, row, first_row = 0, 0, 0, 0
        for group in range(meta.num_row_groups):
            size += meta.row_group(group).total_byte_size
            row += meta.row_group(group).num_rows
            if size >= shard_bytes or group == meta.num_row_groups - 1:
                yield make_shard(spec, self.name, location, start, group + 1, first_row)
                start, size, first_row = group + 1, 0, row

    def read(self, spec: DatasetSpec, shard: Shard) -> Iterator[Document | DocumentError]:
        for item, _ in self._items(spec, shard, keep=False):
            yield item

    def records(self, spec: DatasetSpec, shard: Shard, wanted: Wanted | None = None) -> Iterator[Item]:
        return self._items(spec, shard, keep=True)

    def _items(self, spec: DatasetSpec, shard: Shard, keep: bool) -> Iterator[Item]:
        row = shard.first_record
        try:
            pf = pq.ParquetFile(shard.location)
        except (OSError, pa.ArrowException) as exc:
            yield (
                DocumentError(
                    spec.name, f"{shard.location}#{row}", "corrupt-file", f"not a readable Parquet file: {exc}"
                ),
                None,
            )
            return
        columns, _ = _wanted_columns(spec, pf.schema_arrow.names)
        for group in range(shard.start, shard.stop):  # a damaged row group costs only its own rows
            group_end = row + pf.metadata.row_group(group).num_rows
            try:
                # every column is read (not decoded) when the rows are kept for writing back
                for batch in pf.iter_batches(batch_size=512, row_groups=[group], columns=None if keep else columns):
                    yield from _rows(spec, batch, columns, shard.location, row, keep)
                    row += batch.num_rows
            except (OSError, pa.ArrowException) as exc:
                message = f"row group {group} unreadable from row {row} to {group_end - 1}: {exc}"
                yield DocumentError(spec.name, f"{shard.location}#{row}", "corrupt-file", message), None
            row = group_end


def _arrow_files(folder: str) -> list[str]:
    state = os.path.join(folder, "state.json")
    if os.path.isfile(state):
        with open(state, encoding="utf-8") as fh:
            files = [f["filename"] for f in json.load(fh).get("_data_files", [])]
        if files:
            return [os.path.join(folder, f) for f in files]
    return sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".arrow"))


def _open_ipc(location: str):
    """Hugging Face writes the IPC stream format; plain Arrow files are accepted too."""
    source = pa.memory_map(location)
    try:
        return pa.ipc.open_stream(source)
    except pa.ArrowInvalid:
        return pa.ipc.open_file(pa.memory_map(location))


def _batches(reader):
    if isinstance(reader, pa.ipc.RecordBatchFileReader):
        return (reader.get_batch(i) for i in range(reader.num_record_batches))
    return iter(reader)


class ArrowReader(DocumentReader):
    """A ``datasets.Dataset.save_to_disk`` folder: state.json names the Arrow files, in order."""

    name = "arrow"

    def plan(self, spec: DatasetSpec, location: str, shard_bytes: int) -> Iterator[Shard | DocumentError]:
        try:
            files = _arrow_files(location) if os.path.isdir(location) else [location]
        except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
            yield DocumentError(spec.name, location, "corrupt-file", f"unreadable dataset folder: {exc}")
            return
        if not files:
            yield DocumentError(spec.name, location, "missing-input", "no .arrow files in the folder")
        for path in files:
            try:
                reader = _open_ipc(path)
                _, problem = _wanted_columns(spec, reader.schema.names)
                if problem:
                    yield DocumentError(spec.name, path, "missing-field", problem)
                    continue
                start, size, row, first_row, index = 0, 0, 0, 0, 0
                for index, batch in enumerate(_batches(reader)):
                    size += batch.nbytes
                    row += batch.num_rows
                    if size >= shard_bytes:
                        yield make_shard(spec, self.name, path, start, index + 1, first_row)
                        start, size, first_row = index + 1, 0, row
                if size or start == 0:
                    yield make_shard(spec, self.name, path, start, index + 1, first_row)
            except (OSError, pa.ArrowException) as exc:
                yield DocumentError(spec.name, path, "corrupt-file", f"not a readable Arrow file: {exc}")

    def read(self, spec: DatasetSpec, shard: Shard) -> Iterator[Document | DocumentError]:
        for item, _ in self._items(spec, shard, keep=False):
            yield item

    def records(self, spec: DatasetSpec, shard: Shard, wanted: Wanted | None = None) -> Iterator[Item]:
        return self._items(spec, shard, keep=True)

    def _items(self, spec: DatasetSpec, shard: Shard, keep: bool) -> Iterator[Item]:
        row = shard.first_record
        try:
            reader = _open_ipc(shard.location)
            columns, _ = _wanted_columns(spec, reader.schema.names)
            for index, batch in enumerate(_batches(reader)):
                if index < shard.start:
                    continue
                if index >= shard.stop:
                    break
                yield from _rows(spec, batch, columns, shard.location, row, keep)
                row += batch.num_rows
        except (OSError, pa.ArrowException) as exc:
            message = f"cannot read past row {row}: {exc}"
            yield DocumentError(spec.name, f"{shard.location}#{row}", "corrupt-file", message), None
