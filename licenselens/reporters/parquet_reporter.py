"""Parquet: one row per file, nested detections, a fixed schema (docs/scan-schema.md)."""

from __future__ import annotations

import json
from typing import IO

import pyarrow as pa
import pyarrow.parquet as pq

from licenselens.reporters.base import Reporter
from licenselens.reporters.json_reporter import header
from licenselens.types.convert import to_jsonable
from licenselens.types.scan import ScanResult

MATCH = pa.struct(
    [
        ("license_expression", pa.string()),
        ("license_expression_spdx", pa.string()),
        ("start_line", pa.int32()),
        ("end_line", pa.int32()),
        ("score", pa.float64()),
        ("matched_length", pa.int32()),
        ("rule_identifier", pa.string()),
        ("matcher", pa.string()),
    ]
)
DETECTION = pa.struct(
    [
        ("detector", pa.string()),
        ("license_expression", pa.string()),
        ("license_expression_spdx", pa.string()),
        ("category", pa.string()),
        ("score", pa.float64()),
        ("start_line", pa.int32()),
        ("end_line", pa.int32()),
        ("matches", pa.list_(MATCH)),
        ("also_detected_by", pa.list_(pa.string())),
    ]
)
STATEMENT = pa.struct(
    [
        ("kind", pa.string()),
        ("value", pa.string()),
        ("start_line", pa.int32()),
        ("end_line", pa.int32()),
        ("detector", pa.string()),
    ]
)
ERROR = pa.struct([("code", pa.string()), ("message", pa.string()), ("detector", pa.string())])

SCHEMA = pa.schema(
    [
        ("path", pa.string()),
        ("sha256", pa.string()),
        ("size", pa.int64()),
        ("file_type", pa.string()),
        ("license_expression_spdx", pa.string()),
        ("detections", pa.list_(DETECTION)),
        ("clues", pa.list_(MATCH)),
        ("copyrights", pa.list_(STATEMENT)),
        ("holders", pa.list_(STATEMENT)),
        ("authors", pa.list_(STATEMENT)),
        ("errors", pa.list_(ERROR)),
        ("warnings", pa.list_(ERROR)),
        ("skipped", pa.string()),
    ]
)


class ParquetReporter(Reporter):
    binary = True
    needs_file = True

    def render(self, result: ScanResult, out: IO) -> None:
        table = pa.Table.from_pylist([to_jsonable(f) for f in result.files], schema=SCHEMA)
        meta = {**header(result), "summary": to_jsonable(result.summary), "policy": to_jsonable(result.policy)}
        table = table.replace_schema_metadata({b"licenselens": json.dumps(meta).encode()})
        pq.write_table(table, out)
