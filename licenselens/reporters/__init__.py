"""Output formats. Each reporter writes a ScanResult; the registry maps format names to them."""

from __future__ import annotations

from licenselens.reporters.base import Reporter
from licenselens.reporters.check_reporters import CheckJsonReporter, CheckTextReporter, SarifReporter
from licenselens.reporters.json_reporter import JsonLinesReporter, JsonReporter
from licenselens.reporters.parquet_reporter import ParquetReporter
from licenselens.reporters.table import TableReporter

REPORTERS: dict[str, type[Reporter]] = {
    "table": TableReporter,
    "json": JsonReporter,
    "jsonl": JsonLinesReporter,
    "parquet": ParquetReporter,
}

CHECK_REPORTERS: dict[str, type[Reporter]] = {
    "text": CheckTextReporter,
    "json": CheckJsonReporter,
    "sarif": SarifReporter,
}

__all__ = ["CHECK_REPORTERS", "REPORTERS", "Reporter"]
