"""ScanCode's reference following: "see LICENSE" takes the licence found in LICENSE.

ScanCode does this after the per-file scan (licensedcode.plugin_license.
process_codebase): a licence detection whose rules reference other files
gets the matches of the referenced file (a sibling, else one at the scanned
root), and its expression is recomputed without the reference and intro
matches. This module applies the same rules to licenselens results, in
ScanCode's walk order, so that the results agree with ``scancode -l``.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Sequence

from license_expression import Licensing, combine_expressions

from licenselens.expressions import combine_spdx, rename_keys
from licenselens.scancode.licensedb import license_db
from licenselens.types.findings import Detection, LicenseMatch
from licenselens.types.scan import FileResult

_KEYS = Licensing()
MAX_REFERENCED_KEYS = 5  # ScanCode does not follow a reference to a file with more licences than this


def walk_order(path: str) -> tuple:
    """ScanCode's bottom-up walk: at each level files first, then folders (each after its contents), by name."""
    parts = path.split("/")
    return tuple((1, p) for p in parts[:-1]) + ((0, parts[-1]),)


def _combine(expressions: list[str]) -> str | None:
    combined = combine_expressions(expressions, relation="AND", unique=True, licensing=_KEYS)
    return str(combined) if combined is not None else None


def use_referenced(referenced: str | None, detection: Detection) -> bool:
    """licensedcode.detection.use_referenced_license_expression."""
    if referenced is None:
        return False
    if "unknown" in detection.license_expression or referenced == detection.license_expression:
        return True
    keys = set(_KEYS.license_keys(detection.license_expression))
    referenced_keys = set(_KEYS.license_keys(referenced))
    if keys == referenced_keys:
        return False
    return len(referenced_keys) <= MAX_REFERENCED_KEYS


def expression_after_reference(matches: Sequence[LicenseMatch]) -> str | None:
    """The detection's expression without bare intros and the reference matches themselves."""
    kept = [m for m in matches if not m.is_license_intro] or list(matches)
    kept = [m for m in kept if not m.referenced_filenames] or kept
    return _combine([m.license_expression for m in kept])


def _to_spdx(expression: str) -> str:
    db = license_db()

    def spdx(key: str) -> str:
        info = db.by_key.get(key)
        return info.spdx if info else f"LicenseRef-scancode-{key}"

    return rename_keys(_KEYS, _KEYS.parse(expression), spdx)


def _find(name: str, path: str, by_path: dict[str, int]) -> int | None:
    name = posixpath.normpath(name.replace("\\", "/").rstrip("/"))
    for base in (posixpath.dirname(path), ""):
        candidate = posixpath.join(base, name) if base else name
        if candidate in by_path:  # ScanCode follows a file's reference to itself too
            return by_path[candidate]
    return None


def follow_references(results: Sequence[FileResult]) -> list[FileResult]:
    out = list(results)
    by_path = {r.path: i for i, r in enumerate(out)}
    for i in sorted(range(len(out)), key=lambda k: walk_order(out[k].path)):
        current = out[i]
        changed = False
        detections = list(current.detections)
        for n, detection in enumerate(detections):
            if detection.detector != "licensedcode":
                continue
            names = list(dict.fromkeys(f for m in detection.matches for f in m.referenced_filenames))
            if not names or len({m.from_file for m in detection.matches}) >= 2:
                continue
            referenced: list[tuple[str, Detection]] = []
            for name in names:
                target = _find(name, current.path, by_path)
                if target is not None:
                    referenced += [
                        (out[target].path, d) for d in out[target].detections if d.detector == "licensedcode"
                    ]
            if not referenced:
                continue
            if not use_referenced(_combine([d.license_expression for _, d in referenced]), detection):
                continue
            matches = detection.matches + tuple(
                dataclasses.replace(m, from_file=source) for source, d in referenced for m in d.matches
            )
            expression = expression_after_reference(matches)
            if expression is None:
                continue
            detections[n] = dataclasses.replace(
                detection,
                matches=matches,
                license_expression=expression,
                license_expression_spdx=_to_spdx(expression),
                category=license_db().category(expression),
            )
            changed = True
        if changed:
            out[i] = dataclasses.replace(
                current,
                detections=tuple(detections),
                license_expression_spdx=combine_spdx(d.license_expression_spdx for d in detections),
            )
    return out
