"""The one masking pass every output goes through: personal data in any string of a result is masked.

Writers call ``redact`` on what they are given before they render it (the writer interfaces do it for
their reporters; the corpus pipeline for the rows, work files and summary it writes), so a value that
entered through any field a document can carry (its text, id, URL, path, metadata, copyright lines, a
file name) leaves masked. Pipelines keep working on real values: ids and paths are join keys, and the
overlap index is a copy of the training data itself (docs/privacy.md).
"""

from __future__ import annotations

import dataclasses
import os
from enum import Enum
from functools import lru_cache
from typing import Any, TypeVar, cast

from rich.console import Console

from licenselens.signals.pii import mask_text

T = TypeVar("T")
_SCALARS = frozenset({int, float, bool, bytes})


def redact(value: T) -> T:
    """``value`` with every string in it masked (mapping keys included); dataclasses are rebuilt, never
    changed in place; numbers, enums and bytes pass unchanged."""
    return _redact(value)


@lru_cache(maxsize=1 << 16)
def _mask_short(text: str) -> str:
    """Column names, dataset names and licence ids come back on every row: masked once per process."""
    return mask_text(text)


def _redact(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        return _mask_short(value) if len(value) < 256 else mask_text(value)
    if value is None or kind in _SCALARS or isinstance(value, Enum):
        return value
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        out: dict = {}
        for k, v in value.items():
            k, v = _redact(k), v if v is None or type(v) in _SCALARS else _redact(v)
            if k in out and isinstance(v, (int, float)) and isinstance(out[k], (int, float)):
                v += out[k]  # two holders that mask alike: their counts add up, none is lost
            elif k in out:
                k = f"{k} ({sum(1 for x in out if x == k or str(x).startswith(f'{k} (')) + 1})"
            out[k] = v
        return out
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple
        return cast(Any, value)._make(_redact(v) for v in value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return type(value)(_redact(v) for v in value) if value else value
    if isinstance(value, os.PathLike):
        return cast(Any, type(value))(mask_text(os.fspath(value)))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in dataclasses.fields(value):
            if f.init:
                old = getattr(value, f.name)
                new = _redact(old)
                if new is not old:
                    changes[f.name] = new
        return dataclasses.replace(value, **changes) if changes else value
    return value


class MaskedConsole(Console):
    """The terminal's way out: a rich console that masks personal data in every string it prints (an error
    naming a document whose id or path holds an address, say)."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        super().print(*(redact(o) if isinstance(o, str) else o for o in objects), **kwargs)
