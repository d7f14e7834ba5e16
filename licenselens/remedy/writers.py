"""Writing the kept documents of a dataset back in its input's format (`licenselens clean`).

One writer per input file (or folder of files), registered by format in WRITERS beside the readers of
``sources.readers.READERS``. A writer writes under a temporary name and renames at ``close``, so a killed
run leaves no half-written file under its real name.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar, cast

import pyarrow as pa
import pyarrow.parquet as pq

from licenselens.sources.columnar import _arrow_files, _open_ipc
from licenselens.types.corpus import DatasetSpec, Document

Transform = Callable[[str], str]


def text_fields(spec: DatasetSpec, record: dict) -> list[str]:
    """The fields a record's document text was joined from (as ``sources.records.record_to_document`` reads)."""
    if spec.text_field_given:
        return list(spec.text_field)
    return [next((f for f in spec.text_field if f in record), spec.text_field[0])]


def transformed(spec: DatasetSpec, record: dict, change: Transform) -> dict:
    """``record`` with ``change`` applied to its text fields (strings, or lists of strings)."""
    out = dict(record)
    for name in text_fields(spec, record):
        value = out.get(name)
        if isinstance(value, str):
            out[name] = change(value)
        elif isinstance(value, list):
            out[name] = [change(v) if isinstance(v, str) else v for v in value]
    return out


class CorpusWriter(ABC):
    """The kept documents of one input, in its format, at ``target``."""

    name: ClassVar[str]
    writes_empty: ClassVar[bool] = False  # an input with no document kept is written all the same

    def __init__(self, spec: DatasetSpec, location: str, target: str):
        self.spec, self.location, self.target = spec, location, target
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        self.partial = f"{target}.partial"
        self.kept = 0

    def keep(self, document: Document, record: dict | None, text: str | None) -> None:
        """Write one kept document: its record as it now is (record formats), or its text when changed (None:
        the file as it is)."""
        self.kept += 1
        self.add(document, record, text)

    @abstractmethod
    def add(self, document: Document, record: dict | None, text: str | None) -> None: ...

    @abstractmethod
    def finish(self) -> None:
        """Complete the partial output."""

    def close(self) -> bool:
        """Put the output in place; False (and nothing written) when no document of the input was kept."""
        self.finish()
        _remove(self.target)
        if not self.kept and not self.writes_empty:
            _remove(self.partial)
            return False
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
            # mtime 0: the same corpus cleaned twice gives the same bytes
            self.fh = gzip.GzipFile(self.partial, "wb", mtime=0)
        elif target.endswith(".zst"):
            import zstandard

            self.fh = zstandard.ZstdCompressor().stream_writer(open(self.partial, "wb"), closefd=True)
        else:
            self.fh = open(self.partial, "wb")

    def add(self, document: Document, record: dict | None, text: str | None) -> None:
        assert record is not None
        self.fh.write(json.dumps(record, ensure_ascii=False).encode("utf-8", "surrogatepass") + b"\n")

    def finish(self) -> None:
        self.fh.close()


class JsonWriter(CorpusWriter):
    """A JSON array of the kept records (a file that held one object holds it again, or an empty array)."""

    name = "json"

    def __init__(self, spec: DatasetSpec, location: str, target: str):
        super().__init__(spec, location, target)
        self.records: list[dict] = []  # JSON record files are read whole too (ReadLimits.max_file_bytes)
        with open(location, "rb") as fh:
            self.single = fh.read(4096).lstrip().startswith(b"{")

    def add(self, document: Document, record: dict | None, text: str | None) -> None:
        assert record is not None
        self.records.append(record)

    def finish(self) -> None:
        data = self.records[0] if self.single and len(self.records) == 1 else self.records
        with open(self.partial, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1)
            fh.write("\n")


class _TableWriter(CorpusWriter):
    """Rows in batches, with the input's schema."""

    BATCH = 1024

    def __init__(self, spec: DatasetSpec, location: str, target: str, schema: pa.Schema):
        super().__init__(spec, location, target)
        self.schema, self.rows = schema, cast(list[dict], [])

    def add(self, document: Document, record: dict | None, text: str | None) -> None:
        assert record is not None
        self.rows.append(record)
        if len(self.rows) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.write(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []

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
    def folder_files(folder: str) -> list[str]:
        """The folder's files besides its Arrow files (state.json, dataset_info.json), copied as they are."""
        data = {os.path.abspath(p) for p in _arrow_files(folder)}
        return sorted(
            os.path.join(folder, f)
            for f in os.listdir(folder)
            if os.path.isfile(os.path.join(folder, f)) and os.path.abspath(os.path.join(folder, f)) not in data
        )


class FilesWriter(CorpusWriter):
    """A folder of whole-file documents: kept files at their paths; unchanged ones copied byte for byte."""

    name = "text"

    def __init__(self, spec: DatasetSpec, location: str, target: str):
        super().__init__(spec, location, target)
        self.folder = os.path.isdir(location)
        if self.folder:
            os.makedirs(self.partial, exist_ok=True)

    def add(self, document: Document, record: dict | None, text: str | None) -> None:
        relative = dict(document.metadata).get("path") or os.path.basename(document.location or document.doc_id)
        out = os.path.join(self.partial, relative) if self.folder else self.partial
        os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
        if text is None and document.location:
            shutil.copyfile(document.location, out)
        else:
            with open(out, "w", encoding="utf-8", errors="surrogatepass", newline="") as fh:
                fh.write(document.text if text is None else text)

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
