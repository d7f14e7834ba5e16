"""results.json: the audit's measurements and assessment, enough to re-render every other file."""

from __future__ import annotations

import json
from typing import IO

from licenselens.reporters.audit_base import AuditWriter
from licenselens.types.audit import AssessedResults


class ResultsJson(AuditWriter):
    filename = "results.json"

    def render(self, results: AssessedResults, out: IO) -> None:
        json.dump(results, out, indent=1, ensure_ascii=False, sort_keys=False)
        out.write("\n")
