"""JSON and JSON Lines: the documented contract (docs/scan-schema.md)."""

from __future__ import annotations

import json
from typing import IO

from licenselens.reporters.base import Reporter
from licenselens.types.convert import to_jsonable
from licenselens.types.scan import ScanResult

SCHEMA_VERSION = "1.0"


def header(result: ScanResult) -> dict:
    return {"schema_version": SCHEMA_VERSION, "tool": result.tool, "roots": list(result.roots)}


class JsonReporter(Reporter):
    def render(self, result: ScanResult, out: IO) -> None:
        doc = {**header(result), "summary": to_jsonable(result.summary), "files": to_jsonable(result.files)}
        if result.policy:
            doc["policy"] = to_jsonable(result.policy)
        json.dump(doc, out, indent=2, ensure_ascii=False)
        out.write("\n")


class JsonLinesReporter(Reporter):
    """One record a line: a header, one per file, the summary last."""

    def render(self, result: ScanResult, out: IO) -> None:
        def line(record: dict) -> None:
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")

        line({"type": "header", **header(result)})
        for f in result.files:
            line({"type": "file", **to_jsonable(f)})
        if result.policy:
            for finding in result.policy.findings:
                line({"type": "policy-finding", "policy": result.policy.policy, **to_jsonable(finding)})
        line({"type": "summary", **to_jsonable(result.summary)})
