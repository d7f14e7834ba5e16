"""Turning domain types into JSON-ready data and back."""

from __future__ import annotations

import re
from dataclasses import asdict, fields
from enum import Enum
from typing import Any

_SURROGATES = re.compile("[\ud800-\udfff]")


def printable(text: str) -> str:
    """Text that can be written as UTF-8: lone surrogates (undecodable bytes of a file name kept by
    ``surrogateescape``, or ``\\udcff`` escapes in JSON) become U+FFFD."""
    if text.isascii():  # the common cases first: a scan with the expression costs more than reading the text
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return _SURROGATES.sub("\ufffd", text)


def to_jsonable(obj: Any) -> Any:
    """asdict with tuples as lists and enums as their values, for JSON and Parquet writers."""
    if hasattr(obj, "__dataclass_fields__"):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(x) for x in obj]
    if isinstance(obj, dict):
        return {k: to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, Enum):
        return obj.value
    return obj


__all__ = ["asdict", "printable", "to_jsonable"]
