"""SPDX expression helpers on top of license-expression."""

from __future__ import annotations

from collections.abc import Iterable

from license_expression import combine_expressions, get_spdx_licensing


def combine_spdx(expressions: Iterable[str | None]) -> str | None:
    """AND of the distinct expressions, simplified the way ScanCode does; None when there are none."""
    unique = sorted({e for e in expressions if e})
    if not unique:
        return None
    if len(unique) == 1:
        return unique[0]
    try:
        return str(combine_expressions(unique, relation="AND", unique=True, licensing=get_spdx_licensing()))
    except Exception:
        return " AND ".join(f"({e})" if " " in e else e for e in unique)
