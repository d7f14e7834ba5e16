"""Parquet: one row per file, nested detections, a fixed schema (docs/scan-schema.md)."""

from __future__ import annotations

import json
from functools import cache
from typing import IO

from licenselens.reporters.base import Reporter
from licenselens.reporters.json_reporter import header
from licenselens.types.convert import to_jsonable
from licenselens.types.scan import ScanResult


@cache
def scan_schema():
    """The fixed schema, built on first use: only a Parquet output imports pyarrow (a warm check stays fast)."""
    import pyarrow as pa

    match = pa.struct(
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
    detection = pa.struct(
        [
            ("detector", pa.string()),
            ("license_expression", pa.string()),
            ("license_expression_spdx", pa.string()),
            ("category", pa.string()),
            ("score", pa.float64()),
            ("start_line", pa.int32()),
            ("end_line", pa.int32()),
            ("matches", pa.list_(match)),
            ("also_detected_by", pa.list_(pa.string())),
        ]
    )
    statement = pa.struct(
        [
            ("kind", pa.string()),
            ("value", pa.string()),
            ("start_line", pa.int32()),
            ("end_line", pa.int32()),
            ("detector", pa.string()),
        ]
    )
    error = pa.struct([("code", pa.string()), ("message", pa.string()), ("detector", pa.string())])

    return pa.schema(
        [
            ("path", pa.string()),
            ("sha256", pa.string()),
            ("size", pa.int64()),
            ("file_type", pa.string()),
            ("license_expression_spdx", pa.string()),
            ("detections", pa.list_(detection)),
            ("clues", pa.list_(match)),
            ("copyrights", pa.list_(statement)),
            ("holders", pa.list_(statement)),
            ("authors", pa.list_(statement)),
            ("errors", pa.list_(error)),
            ("warnings", pa.list_(error)),
            ("skipped", pa.string()),
        ]
    )


class ParquetReporter(Reporter):
    binary = True
    needs_file = True

    def render(self, result: ScanResult, out: IO) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pylist([to_jsonable(f) for f in result.files], schema=scan_schema())
        meta = {**header(result), "summary": to_jsonable(result.summary), "policy": to_jsonable(result.policy)}
        table = table.replace_schema_metadata({b"licenselens": json.dumps(meta).encode()})
        pq.write_table(table, out)
