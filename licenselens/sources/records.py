"""From a record (a JSON object or a table row) to a Document, and shard keys."""

from __future__ import annotations

import hashlib
import os

from licenselens.types.convert import printable
from licenselens.types.corpus import DatasetSpec, Document, DocumentError, Shard


def record_to_document(spec: DatasetSpec, record, origin: str, fallback_id: str) -> Document | DocumentError:
    if not isinstance(record, dict):
        return DocumentError(spec.name, origin, "bad-record", f"expected an object, got {type(record).__name__}")
    parts = []
    fields = (
        spec.text_field
        if spec.text_field_given
        else [next((f for f in spec.text_field if f in record), spec.text_field[0])]
    )
    for field in fields:
        value = record.get(field)
        if value is None:
            wanted = " or ".join(repr(f) for f in spec.text_field) if not spec.text_field_given else repr(field)
            return DocumentError(spec.name, origin, "missing-field", f"no text field {wanted}")
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = "\n".join(value)
        if not isinstance(value, str):
            return DocumentError(
                spec.name, origin, "bad-field", f"text field {field!r} holds {type(value).__name__}, not text"
            )
        parts.append(value)
    raw_id = record.get(spec.id_field)
    doc_id = fallback_id if raw_id is None or isinstance(raw_id, (dict, list)) else str(raw_id)
    metadata = tuple(
        (meta, printable(str(record[field])))
        for meta, field in spec.fields
        if record.get(field) not in (None, "") and not isinstance(record.get(field), (dict, list))
    )
    # JSON may escape lone surrogates ("\\udcff"); rows are written as UTF-8
    return Document(spec.name, printable(doc_id), printable("\n\n".join(parts)), printable(origin), metadata)


def spec_fingerprint(spec: DatasetSpec) -> str:
    """What changes how a dataset's records are read (not its descriptive fields)."""
    return repr((spec.name, spec.format, spec.text_field, spec.text_field_given, spec.id_field, spec.fields))


def shard_key(spec: DatasetSpec, reader: str, location: str, start: int, stop: int, extra: str = "") -> str:
    try:
        st = os.stat(location)
        stamp = f"{st.st_size}:{st.st_mtime_ns}"
    except OSError:
        stamp = "missing"
    text = "\0".join((spec_fingerprint(spec), reader, os.path.abspath(location), stamp, str(start), str(stop), extra))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:24]


def make_shard(
    spec: DatasetSpec, reader: str, location: str, start: int, stop: int, first_record: int = 1, extra: str = ""
) -> Shard:
    return Shard(
        spec.name, reader, location, start, stop, shard_key(spec, reader, location, start, stop, extra), first_record
    )
