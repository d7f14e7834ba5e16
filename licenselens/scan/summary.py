"""The scan summary: what a reviewer wants to know about a tree at a glance."""

from __future__ import annotations

import fnmatch
from collections import Counter
from collections.abc import Sequence

from licenselens.expressions import combine_spdx
from licenselens.rules import load_yaml
from licenselens.scancode.licensedb import license_db
from licenselens.types.scan import FileResult, LicenseCount, ScanSummary


def is_declaring_file(result: FileResult) -> bool:
    if "/" in result.path:
        return False
    name = result.path.lower()
    if any(fnmatch.fnmatchcase(name, p) for p in load_yaml("summary.yaml")["declared_license_files"]):
        return True
    return any(d.seen_by("manifest") for d in result.detections)


def summarise(results: Sequence[FileResult]) -> ScanSummary:
    db = license_db()
    per_expression: Counter[tuple[str, str]] = Counter()
    categories: Counter[str] = Counter()
    holders: Counter[str] = Counter()
    copyleft: set[str] = set()
    non_commercial: set[str] = set()
    declared_sources: list[str] = []
    declared: list[str] = []
    without = []
    for r in results:
        if r.file_type == "text" and not r.detections:
            without.append(r.path)
        seen_expr, seen_cat = set(), set()
        for d in r.detections:
            seen_expr.add((d.license_expression_spdx, d.category))
            seen_cat.add(d.category)
            for key in db.keys_in(d.license_expression):
                spdx = db.by_key[key].spdx if key in db.by_key else key
                if db.is_non_commercial(key):
                    non_commercial.add(spdx)
                if db.category_of_key(key) in db.copyleft_categories:
                    copyleft.add(spdx)
        per_expression.update(seen_expr)
        categories.update(seen_cat)
        holders.update({s.value for s in r.holders})
        if r.detections and is_declaring_file(r):
            declared_sources.append(r.path)
            declared.extend(d.license_expression_spdx for d in r.detections)
    licenses = tuple(
        LicenseCount(expr, cat, n) for (expr, cat), n in sorted(per_expression.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    return ScanSummary(
        files=len(results),
        scanned=sum(1 for r in results if r.file_type == "text"),
        binary=sum(1 for r in results if r.file_type == "binary"),
        failed=sum(1 for r in results if r.errors),
        declared_license_expression_spdx=combine_spdx(declared),
        declared_license_sources=tuple(declared_sources),
        licenses=licenses,
        categories=dict(sorted(categories.items())),
        files_without_license=tuple(without),
        copyleft=tuple(sorted(copyleft)),
        non_commercial=tuple(sorted(non_commercial)),
        holders=dict(sorted(holders.items(), key=lambda kv: (-kv[1], kv[0]))),
    )
