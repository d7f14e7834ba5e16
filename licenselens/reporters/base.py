"""The reporter interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import IO, ClassVar

from licenselens.privacy import redact
from licenselens.types.scan import ScanResult


class Reporter(ABC):
    binary: ClassVar[bool] = False
    needs_file: ClassVar[bool] = False  # cannot go to standard output

    def write(self, result: ScanResult, out: IO) -> None:
        """Write the whole result to an open stream, personal data masked (the one way out)."""
        self.render(redact(result), out)

    @abstractmethod
    def render(self, result: ScanResult, out: IO) -> None:
        """Render a result whose personal data is already masked."""
