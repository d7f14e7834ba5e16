"""Personal data in every field of a record (`clean`): the text a corpus run measures, and the ids, metadata and
other strings beside it, which no measurement covers but the cleaned corpus must not keep either."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from licenselens.remedy.surrogates import Replacer
from licenselens.signals.pii import mask_text, pii_hits

Change = Callable[[str], str]


class Scrubber:
    """Masks (as reports do) or replaces by surrogates the personal data of one document, counting it by type."""

    def __init__(self, synthetic: bool, seed: str, document: str):
        self.replacer = Replacer(seed, document) if synthetic else None
        self.masked: Counter = Counter()

    def __call__(self, text: str) -> str:
        if self.replacer is not None:
            return self.replacer(text)
        masked = mask_text(text)
        if masked != text:
            self.masked.update(kind for _, _, kind, _ in pii_hits(text))
        return masked

    @property
    def counts(self) -> Counter:
        return self.replacer.counts if self.replacer is not None else self.masked

    def ledger(self) -> set[str]:
        return self.replacer.ledger() if self.replacer is not None else set()


def scrub(value: Any, change: Change) -> Any:
    """``value`` with ``change`` applied to every string in it (dicts and lists walked)."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {k: scrub(v, change) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, change) for v in value]
    return value


def changed(fields: dict, change: Change) -> dict:
    """The top-level fields whose value ``change`` alters, with their new values."""
    out = {}
    for key, value in fields.items():
        new = scrub(value, change)
        if new != value:
            out[key] = new
    return out


def holds_personal(value: Any) -> bool:
    if isinstance(value, str):
        return mask_text(value) != value
    if isinstance(value, dict):
        return any(holds_personal(v) for v in value.values())
    if isinstance(value, list):
        return any(holds_personal(v) for v in value)
    return False


def string_columns(batch: pa.RecordBatch) -> dict[str, list]:
    """The batch's top-level string columns as Python values; a column that is not valid UTF-8 is left out
    (it is written back as it is)."""
    found = {}
    for name, column in zip(batch.schema.names, batch.columns):
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            try:
                found[name] = column.to_pylist()
            except UnicodeDecodeError:
                continue
    return found
