"""Output formats. Each reporter writes a ScanResult; the registry maps format names to them."""

from __future__ import annotations

from .base import Reporter
from .check_reporters import CheckJsonReporter, CheckTextReporter, SarifReporter
from .json_reporter import JsonLinesReporter, JsonReporter
from .parquet_reporter import ParquetReporter
from .table import TableReporter

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
