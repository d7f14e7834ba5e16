"""The source interface: something that yields the files (or documents) to analyse."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from licenselens.types.corpus import DatasetSpec, Document, DocumentError, Shard


@dataclass(frozen=True)
class Entry:
    """A file found by a source, before it is read. ``problem`` is set when it cannot be scanned."""

    location: str
    path: str
    problem: tuple[str, str] | None = None  # (error code, message)


class Source(ABC):
    @abstractmethod
    def entries(self) -> Iterator[Entry]:
        """Yield entries in a deterministic order."""


Wanted = Callable[[int], bool]  # which items of a shard, by place, a caller needs parsed


@dataclass(frozen=True)
class SourceRecord:
    """What a document was read from, for `clean` to write it back in the input's format."""

    fields: dict  # the record as parsed (JSON), or the columns the document was read from (tables)
    line: bytes | None = None  # JSON Lines: the line as it is in the file, copied when nothing changes
    batch: Any = None  # Parquet, Arrow: the row's record batch with every column, as read (not decoded)
    row: int = -1  # the row in ``batch``


@dataclass(frozen=True)
class ReadLimits:
    """What one document may cost a reader (docs/limits.md); larger items are reported and skipped, not read."""

    max_line_bytes: int = 16 * 1024 * 1024  # a JSON Lines record; longer lines are skipped in blocks
    max_file_bytes: int = 64 * 1024 * 1024  # a text file or a JSON record file, read whole


class DocumentReader(ABC):
    """Reads one input format as documents, in shards that can be processed and resumed independently."""

    name: ClassVar[str]
    # file name endings this format is recognised by, and the compressed forms it reads (".gz", ".zst")
    suffixes: ClassVar[tuple[str, ...]] = ()
    compressions: ClassVar[tuple[str, ...]] = ()

    def __init__(self, limits: ReadLimits = ReadLimits()):
        self.limits = limits

    @abstractmethod
    def plan(self, spec: DatasetSpec, location: str, shard_bytes: int) -> Iterator[Shard | DocumentError]:
        """Split one input (file or folder) into shards; an unreadable input yields a DocumentError."""

    @abstractmethod
    def read(self, spec: DatasetSpec, shard: Shard) -> Iterator[Document | DocumentError]:
        """Stream a shard's documents in order; a bad record yields a DocumentError and reading goes on."""

    def records(
        self, spec: DatasetSpec, shard: Shard, wanted: Wanted | None = None
    ) -> Iterator[tuple[Document | DocumentError | None, SourceRecord | None]]:
        """``read``'s items, the same ones in the same order, each with the record it came from (None for
        whole-file documents and errors): what `clean` writes back in the input's format. A reader may skip
        parsing the items whose place in the shard (0, 1, ...) ``wanted`` refuses, yielding (None, None)."""
        for item in self.read(spec, shard):
            yield item, None
