"""Declared licences (record metadata or manifest) against what the text says."""

from __future__ import annotations

from functools import cache

from licenselens.scancode.licensedb import license_db
from licenselens.types.findings import Detection


@cache
def normalise_declared(value: str) -> str | None:
    """A declared licence as an SPDX expression with canonical case; None when it is not one."""
    from licenselens.expressions import spdx_licensing

    licensing = spdx_licensing()
    try:
        parsed = licensing.parse(value.strip(), validate=False, strict=False)
    except Exception:
        return None
    if parsed is None:
        return None
    return str(parsed)


@cache
def declared_keys(spdx_expression: str) -> frozenset[str]:
    """ScanCode keys of the licences a declared SPDX expression names."""
    from licenselens.expressions import spdx_licensing

    db = license_db()
    keys = set()
    for symbol in spdx_licensing().license_keys(spdx_expression):
        keys.add(db.key_for_spdx(symbol) or symbol.lower())
    return frozenset(keys)


def mismatch(declared: str | None, detections: tuple[Detection, ...], notices: tuple[str, ...]) -> str | None:
    """Why the text contradicts the declared licence, or None when it does not (or nothing is declared)."""
    if not declared:
        return None
    db = license_db()
    detected = {k for d in detections for k in db.keys_in(d.license_expression) if not db.is_unknown(k)}
    allowed = declared_keys(declared)
    extra = sorted(detected - allowed)
    if extra:
        spdx = sorted({db.by_key[k].spdx if k in db.by_key else k for k in extra})
        return f"text states {', '.join(spdx)}; declared {declared}"
    if not detected and "all-rights-reserved" in notices:
        categories = {db.category_of_key(k) for k in allowed}
        if not categories & {"Commercial", "Proprietary Free"}:
            return f"'all rights reserved' notice; declared {declared}"
    return None
