"""Writing the kept documents of a dataset back in its input's format (`licenselens clean`).

One writer per input file (or folder of files), registered by format in WRITERS beside the readers of
``sources.readers.READERS``. A writer writes under a temporary name and renames at ``close``, so a killed
run leaves no half-written file under its real name. What nothing changed is copied as it was: a JSON
Lines line byte for byte, a table row with its Arrow values (no round trip through Python objects), a file
byte for byte.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.parquet as pq

from licenselens.sources.base import SourceRecord
from licenselens.sources.columnar import _open_ipc
from licenselens.types.corpus import DatasetSpec, Document

HF_METADATA = ("state.json", "dataset_info.json")  # what a save_to_disk folder holds besides its Arrow files


def text_fields(spec: DatasetSpec, record: dict) -> list[str]:
    """The fields a record's document text was joined from (as ``sources.records.record_to_document`` reads)."""
    if spec.text_field_given:
        return list(spec.text_field)
    return [next((f for f in spec.text_field if f in record), spec.text_field[0])]


@dataclass(frozen=True)
class Kept:
    """A document to write, and what cleaning changed in it."""

    document: Document
    record: SourceRecord | None  # None for whole-file documents
    fields: dict | None = None  # top-level fields of the record with new values
    text: str | None = None  # a whole-file document's new text
    path: str | None = None  # a whole-file document's path in its folder, when its name had to change


def _json(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False).encode("utf-8").decode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\udcff" in the input): escaped, so the file stays UTF-8
        return json.dumps(value)


class CorpusWriter(ABC):
    """The kept documents of one input, in its format, at ``target``."""

    name: ClassVar[str]
    writes_empty: ClassVar[bool] = False  # an input with no document kept is written all the same

    def __init__(self, spec: DatasetSpec, location: str, target: str):
        self.spec, self.location, self.target = spec, location, target
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        self.partial = f"{target}.partial"
        self.kept = 0

    def keep(self, kept: Kept) -> None:
        self.kept += 1
        self.add(kept)

    @abstractmethod
    def add(self, kept: Kept) -> None: ...

    @abstractmethod
    def finish(self) -> None:
        """Complete the partial output."""

    def close(self) -> bool:
        """Put the output in place; False (and nothing written) when no document of the input was kept."""
        self.finish()
        if not self.kept and not self.writes_empty:
            _remove(self.partial)
            return False
        _remove(self.target)
        os.replace(self.partial, self.target)
        return True


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


class JsonlWriter(CorpusWriter):
    name = "jsonl"

    def __init__(self, spec: DatasetSpec, location: str, target: str):
        super().__init__(spec, location, target)
        self.fh: Any  # a gzip, zstandard or plain binary file
        if target.endswith(".gz"):
            # the real name in the header, mtime 0: the same corpus cleaned twice gives the same bytes
            raw = open(self.partial, "wb")
            self.fh = gzip.GzipFile(os.path.basename(target), "wb", fileobj=raw, mtime=0)
            self.raw: Any = raw
        elif target.endswith(".zst"):
            import zstandard

            self.fh, self.raw = zstandard.ZstdCompressor().stream_writer(open(self.partial, "wb"), closefd=True), None
        else:
            self.fh, self.raw = open(self.partial, "wb"), None

    def add(self, kept: Kept) -> None:
        assert kept.record is not None
        line = kept.record.line
        if kept.fields is None and line is not None:
            self.fh.write(line if line.endswith(b"\n") else line + b"\n")
        else:
            self.fh.write(_json({**kept.record.fields, **(kept.fields or {})}).encode("utf-8") + b"\n")

    def finish(self) -> None:
        self.fh.close()
        if self.raw is not None:
            self.raw.close()


class JsonWriter(CorpusWriter):
    """A JSON array of the kept records (a file that held one object holds it again, or an empty array)."""

    name = "json"

    def __init__(self, spec: DatasetSpec, location: str, target: str):
        super().__init__(spec, location, target)
        self.records: list[dict] = []  # JSON record files are read whole too (ReadLimits.max_file_bytes)
        with open(location, "rb") as fh:
            self.single = fh.read(4096).lstrip().startswith(b"{")

    def add(self, kept: Kept) -> None:
        assert kept.record is not None
        self.records.append({**kept.record.fields, **(kept.fields or {})})

    def finish(self) -> None:
        data = self.records[0] if self.single and len(self.records) == 1 else self.records
        with open(self.partial, "w", encoding="utf-8") as fh:
            fh.write(_json(data) + "\n")


class _TableWriter(CorpusWriter):
    """Kept rows taken from their record batches with every value as it was; changed string columns rebuilt."""

    BATCH = 4096

    def __init__(self, spec: DatasetSpec, location: str, target: str, schema: pa.Schema):
        super().__init__(spec, location, target)
        self.schema = schema
        self.pending: list[tuple[Any, int, dict | None]] = []

    def add(self, kept: Kept) -> None:
        assert kept.record is not None
        if self.pending and self.pending[-1][0] is not kept.record.batch:
            self.flush()
        self.pending.append((kept.record.batch, kept.record.row, kept.fields))
        if len(self.pending) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        batch = self.pending[0][0]
        taken = batch.take(pa.array([row for _, row, _ in self.pending], pa.int64()))
        columns = list(taken.columns)
        for name in {key for _, _, fields in self.pending for key in fields or {}}:
            at = taken.schema.get_field_index(name)
            values = columns[at].to_pylist()
            for i, (_, _, fields) in enumerate(self.pending):
                if fields and name in fields:
                    values[i] = fields[name]
            columns[at] = pa.array(values, type=taken.schema.field(name).type)
        self.write(pa.Table.from_arrays(columns, schema=taken.schema).cast(self.schema))
        self.pending = []

    @abstractmethod
    def write(self, table: pa.Table) -> None: ...


class ParquetWriter(_TableWriter):
    name = "parquet"

    def __init__(self, spec: DatasetSpec, location: str, target: str):
        super().__init__(spec, location, target, pq.ParquetFile(location).schema_arrow)
        self.writer = pq.ParquetWriter(self.partial, self.schema)

    def write(self, table: pa.Table) -> None:
        self.writer.write_table(table)

    def finish(self) -> None:
        self.flush()
        self.writer.close()


class ArrowWriter(_TableWriter):
    """One Arrow file of a Hugging Face ``save_to_disk`` folder, in the IPC stream format it uses."""

    name = "arrow"
    writes_empty = True  # state.json names every Arrow file of the folder

    def __init__(self, spec: DatasetSpec, location: str, target: str):
        super().__init__(spec, location, target, _open_ipc(location).schema)
        self.sink = pa.OSFile(self.partial, "wb")
        self.writer = pa.ipc.new_stream(self.sink, self.schema)

    def write(self, table: pa.Table) -> None:
        self.writer.write_table(table)

    def finish(self) -> None:
        self.flush()
        self.writer.close()
        self.sink.close()

    @staticmethod
    def write_metadata(folder: str, target: str, written: list[str]) -> None:
        """state.json (naming the Arrow files written, in its order) and dataset_info.json; nothing else of
        the folder is copied: `datasets` caches beside the data hold the original rows."""
        for name in HF_METADATA:
            source = os.path.join(folder, name)
            if not os.path.isfile(source):
                continue
            if name == "state.json":
                with open(source, encoding="utf-8") as fh:
                    state = json.load(fh)
                present = {os.path.basename(p) for p in written}
                state["_data_files"] = [f for f in state.get("_data_files", []) if f.get("filename") in present]
                with open(os.path.join(target, name), "w", encoding="utf-8") as fh:
                    json.dump(state, fh, indent=2)
                    fh.write("\n")
            else:
                shutil.copyfile(source, os.path.join(target, name))


class FilesWriter(CorpusWriter):
    """A folder of whole-file documents: kept files at their paths; unchanged ones copied byte for byte."""

    name = "text"

    def __init__(self, spec: DatasetSpec, location: str, target: str):
        super().__init__(spec, location, target)
        self.folder = os.path.isdir(location)
        if self.folder:
            os.makedirs(self.partial, exist_ok=True)

    def add(self, kept: Kept) -> None:
        document = kept.document
        relative = kept.path or dict(document.metadata).get("path") or os.path.basename(document.location or "")
        out = os.path.join(self.partial, relative) if self.folder else self.partial
        os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
        if kept.text is None and document.location:
            shutil.copyfile(document.location, out)
        else:
            with open(out, "w", encoding="utf-8", errors="surrogatepass", newline="") as fh:
                fh.write(document.text if kept.text is None else kept.text)

    def finish(self) -> None:
        pass


class TreeWriter(FilesWriter):
    name = "tree"


WRITERS: dict[str, type[CorpusWriter]] = {
    JsonlWriter.name: JsonlWriter,
    JsonWriter.name: JsonWriter,
    ParquetWriter.name: ParquetWriter,
    ArrowWriter.name: ArrowWriter,
    FilesWriter.name: FilesWriter,
    TreeWriter.name: TreeWriter,
}
