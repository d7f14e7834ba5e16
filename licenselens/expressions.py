"""SPDX expression helpers on top of license-expression."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache

from license_expression import LicenseSymbol, LicenseWithExceptionSymbol, get_spdx_licensing

# get_spdx_licensing() rebuilds its licence table and tokeniser on every call (~25 ms): one per process
spdx_licensing = cache(get_spdx_licensing)


def combine_spdx(expressions: Iterable[str | None]) -> str | None:
    """The AND of the distinct expressions, flattened and simplified; None when there are none.

    Simplification is boolean: ``MIT AND (MIT OR Apache-2.0)`` is ``MIT``.
    """
    unique = sorted({e for e in expressions if e})
    if not unique:
        return None
    if len(unique) == 1:
        return unique[0]
    licensing = spdx_licensing()
    try:
        return str(licensing.parse(" AND ".join(f"({e})" for e in unique), validate=False).simplify())
    except Exception:  # an expression license-expression cannot parse: keep them side by side
        return " AND ".join(f"({e})" for e in unique)


def rename_keys(licensing, parsed, key_for: Callable[[str], str]) -> str:
    """Render a parsed expression with every licence and exception key replaced by ``key_for(key)``."""
    subs = {}
    for sym in licensing.license_symbols(parsed, unique=True, decompose=False):
        if isinstance(sym, LicenseWithExceptionSymbol):
            subs[sym] = LicenseWithExceptionSymbol(
                LicenseSymbol(key_for(sym.license_symbol.key)), LicenseSymbol(key_for(sym.exception_symbol.key))
            )
        else:
            subs[sym] = LicenseSymbol(key_for(sym.key))
    return parsed.subs(subs).render("{symbol.key}")
