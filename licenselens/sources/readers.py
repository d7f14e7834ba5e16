"""Document readers by format, and planning a dataset's inputs into shards."""

from __future__ import annotations

import glob
import os
import stat
from pathlib import Path

from licenselens.sources.base import DocumentReader, ReadLimits
from licenselens.sources.columnar import ArrowReader, ParquetReader
from licenselens.sources.files import JsonRecordsReader, SourceTreeReader, TextFilesReader
from licenselens.sources.jsonl import JsonlReader
from licenselens.sources.tree import special_kind
from licenselens.types.corpus import DatasetSpec, DocumentError, Shard

READERS: dict[str, type[DocumentReader]] = {
    JsonlReader.name: JsonlReader,
    ParquetReader.name: ParquetReader,
    ArrowReader.name: ArrowReader,
    JsonRecordsReader.name: JsonRecordsReader,
    TextFilesReader.name: TextFilesReader,
    SourceTreeReader.name: SourceTreeReader,
}

# file names a folder given to a record format is searched for
SUFFIXES = {
    name: tuple(s + c for s in reader.suffixes for c in ("", *reader.compressions))
    for name, reader in READERS.items()
    if reader.suffixes
}
COMPRESSIONS = tuple(dict.fromkeys(c for reader in READERS.values() for c in reader.compressions))


def infer_format(path: Path) -> str:
    """The format of an input given without one: by file name ending, else a Hugging Face folder, a
    source tree, or text."""
    name = path.name.lower()
    for suffix in COMPRESSIONS:
        name = name.removesuffix(suffix)
    for format_name, reader in READERS.items():
        if reader.suffixes and name.endswith(reader.suffixes):
            return format_name
    try:
        if path.is_dir():
            is_arrow = (path / "state.json").is_file() or (path / "dataset_info.json").is_file()
            return ArrowReader.name if is_arrow else SourceTreeReader.name
    except OSError:  # e.g. a name too long to look up: reported as unreadable when the dataset is read
        pass
    return TextFilesReader.name


def _glob(pattern: str) -> list[str]:
    """glob.glob, except that ``**`` does not follow links to folders: a link loop would make it endless."""
    if "**" not in pattern:
        return sorted(glob.glob(pattern))
    parts = Path(pattern).parts
    fixed = next(i for i, part in enumerate(parts) if any(c in part for c in "*?["))
    root, rest = Path(*parts[:fixed]) if fixed else Path("."), "/".join(parts[fixed:])
    hidden_wanted = any(part.startswith(".") for part in parts[fixed:])
    return sorted(
        str(m)
        for m in root.glob(rest)  # pathlib's ** stays off links; glob's skips hidden names
        if hidden_wanted or not any(p.startswith(".") for p in m.relative_to(root).parts)
    )


def _not_regular(path: str) -> str | None:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None  # the reader reports it
    return None if stat.S_ISREG(mode) or stat.S_ISDIR(mode) else f"{special_kind(mode)}: not read"


def display_path(path: str) -> str:
    """Relative to the working folder when inside it, so results do not depend on where a clone lives."""
    relative = os.path.relpath(path)
    return (path if relative.startswith("..") and os.path.isabs(path) else relative).replace(os.sep, "/")


def expand_inputs(spec: DatasetSpec) -> tuple[list[str], list[DocumentError]]:
    """The files or folders a dataset's paths and globs name, in a stable order, each once."""
    found, errors, seen = [], [], set()
    for pattern in spec.paths:
        if any(c in pattern for c in "*?["):
            matches = _glob(pattern)
        elif os.path.isdir(pattern) and spec.format in SUFFIXES:
            matches = sorted(
                os.path.join(dirpath, name)
                for dirpath, dirnames, names in os.walk(pattern)
                for name in names
                if name.lower().endswith(SUFFIXES[spec.format])
            )
        else:
            matches = [pattern] if os.path.lexists(pattern) else []
        if not matches:
            errors.append(DocumentError(spec.name, pattern, "missing-input", "no file or folder matches this path"))
        for match in matches:
            if (problem := _not_regular(match)) is not None:
                errors.append(DocumentError(spec.name, match, "not-a-regular-file", problem))
            elif os.path.realpath(match) not in seen:  # the same file through a link is read once
                seen.add(os.path.realpath(match))
                found.append(match)
    return found, errors


def plan_dataset(
    spec: DatasetSpec, shard_bytes: int, limits: ReadLimits = ReadLimits()
) -> tuple[list[Shard], list[DocumentError]]:
    reader = READERS[spec.format](limits)
    inputs, errors = expand_inputs(spec)
    shards: list[Shard] = []
    for location in inputs:
        for item in reader.plan(spec, location, shard_bytes):
            if isinstance(item, DocumentError):
                errors.append(item)
            else:
                shards.append(item)
    return shards, errors


def read_documents(spec: DatasetSpec, shard_bytes: int = 64 * 2**20, limits: ReadLimits = ReadLimits()):
    """Every document of a dataset in order, with its planning and reading errors in between (one process)."""
    shards, errors = plan_dataset(spec, shard_bytes, limits)
    yield from errors
    for shard in shards:
        yield from READERS[shard.reader](limits).read(spec, shard)
