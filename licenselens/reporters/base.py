"""The reporter interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import IO, ClassVar

from licenselens.types.scan import ScanResult


class Reporter(ABC):
    binary: ClassVar[bool] = False
    needs_file: ClassVar[bool] = False  # cannot go to standard output

    @abstractmethod
    def write(self, result: ScanResult, out: IO) -> None:
        """Write the whole result to an open stream."""
