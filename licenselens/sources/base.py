"""The source interface: something that yields the files (or documents) to analyse."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass


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
