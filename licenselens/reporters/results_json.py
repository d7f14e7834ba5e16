"""results.json: the audit's measurements and assessment, enough to re-render every other file."""

from __future__ import annotations

import json
from typing import IO

from licenselens.reporters.audit_base import AuditWriter


class ResultsJson(AuditWriter):
    filename = "results.json"

    def write(self, results: dict, out: IO) -> None:
        json.dump(results, out, indent=1, ensure_ascii=False, sort_keys=False)
        out.write("\n")
