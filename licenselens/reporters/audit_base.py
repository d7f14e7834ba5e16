"""The interface of the audit's output files: each renders one file of OUTDIR from results.json alone.

Writers take the ``results`` mapping that `licenselens audit` writes to results.json (docs/results-schema.md),
never the live scan objects, so `licenselens report RESULTS.json` re-renders exactly what the audit wrote.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import IO, ClassVar

from licenselens.privacy import redact
from licenselens.types.audit import AssessedResults


class AuditWriter(ABC):
    filename: ClassVar[str]  # name of the file in OUTDIR
    binary: ClassVar[bool] = False

    def wanted(self, results: AssessedResults) -> bool:
        """Whether this file has anything to describe (the source-tree formats need a source tree)."""
        return True

    def write(self, results: AssessedResults, out: IO) -> None:
        """Write the whole file to an open stream, personal data masked (the one way out)."""
        self.render(redact(results), out)

    @abstractmethod
    def render(self, results: AssessedResults, out: IO) -> None:
        """Render results whose personal data is already masked."""
