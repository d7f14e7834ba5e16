"""REUSE metadata that licenses other files: ``.license`` sidecars and ``REUSE.toml`` annotations.

These apply across files, so they run after the per-file detectors, on the
results (REUSE Specification 3.3).
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
import tomllib
from collections.abc import Sequence

from license_expression import ExpressionError

from licenselens.detectors.spdx_tags import parse_spdx_tag
from licenselens.expressions import combine_spdx
from licenselens.scancode.licensedb import license_db
from licenselens.sources.base import Entry
from licenselens.types.findings import Detection, FileError, LicenseMatch, Statement
from licenselens.types.scan import FileResult

NAME = "reuse"


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def reuse_glob(pattern: str) -> re.Pattern:
    """REUSE.toml globbing: ``*`` stays within a folder, ``**`` crosses folders, ``\\*`` is a star."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("\\*", i):
            out.append(re.escape("*"))
            i += 2
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def _detection(expression: str, where: str) -> Detection:
    spdx, keys = parse_spdx_tag(expression)
    match = LicenseMatch(keys, spdx, 0, 0, 100.0, len(expression.split()), where, NAME)
    return Detection(NAME, keys, spdx, license_db().category(keys), 100.0, 0, 0, (match,))


REUSE_INFO = ("spdx-tag", NAME)


def _with(
    result: FileResult, detections: list[Detection], statements: list[Statement], replace: bool = False
) -> FileResult:
    """``result`` with REUSE information added, or replacing the file's own tags when ``replace``."""
    kept = tuple(d for d in result.detections if not (replace and d.detector in REUSE_INFO))
    kept_statements = tuple(s for s in result.copyrights if not (replace and s.detector in REUSE_INFO))
    all_detections = kept + tuple(detections)
    return dataclasses.replace(
        result,
        detections=all_detections,
        copyrights=kept_statements + tuple(statements),
        license_expression_spdx=combine_spdx(d.license_expression_spdx for d in all_detections),
    )


def _annotations(result: FileResult, location: str):
    """Parsed annotations of one REUSE.toml, or an error for it."""
    try:
        with open(location, "rb") as fh:
            data = tomllib.load(fh)
        if data.get("version") != 1:
            raise ValueError(f"unsupported REUSE.toml version {data.get('version')!r}")
        parsed = []
        for n, ann in enumerate(data.get("annotations", []), start=1):
            if not isinstance(ann, dict) or "path" not in ann:
                raise ValueError(f"annotation {n} has no 'path'")
            precedence = ann.get("precedence", "closest")
            if precedence not in ("closest", "aggregate", "override"):
                raise ValueError(f"annotation {n}: unknown precedence {precedence!r}")
            where = f"REUSE.toml annotation {n}"
            detections = [_detection(e, where) for e in _as_list(ann.get("SPDX-License-Identifier"))]
            statements = [Statement("copyright", c, 0, 0, NAME) for c in _as_list(ann.get("SPDX-FileCopyrightText"))]
            parsed.append(([reuse_glob(p) for p in _as_list(ann["path"])], precedence, detections, statements))
        return parsed, None
    except (OSError, ValueError, TypeError, tomllib.TOMLDecodeError, ExpressionError) as exc:
        return [], FileError("invalid-reuse-toml", str(exc), NAME)
    except RecursionError:  # tomllib recurses once per nesting level
        return [], FileError("invalid-reuse-toml", "arrays or tables nested too deeply", NAME)


def apply_reuse(results: Sequence[FileResult], entries: Sequence[Entry]) -> list[FileResult]:
    by_path = {r.path: i for i, r in enumerate(results)}
    location = {e.path: e.location for e in entries}
    out = list(results)
    has_own = {r.path: any(d.seen_by("spdx-tag") for d in r.detections) for r in results}

    # a sidecar's tags replace the tags of the file it describes
    for r in results:
        target = r.path[: -len(".license")] if r.path.endswith(".license") else None
        if target in by_path:
            tags = [
                dataclasses.replace(d, detector=NAME, also_detected_by=())
                for d in r.detections
                if d.seen_by("spdx-tag")
            ]
            notes = [dataclasses.replace(s, detector=NAME) for s in r.copyrights if s.detector == "spdx-tag"]
            if tags or notes:
                out[by_path[target]] = _with(out[by_path[target]], tags, notes, replace=True)
                has_own[target] = True

    tomls = {}
    for r in results:
        if posixpath.basename(r.path) == "REUSE.toml" and r.path in location and r.sha256 is not None:
            annotations, error = _annotations(r, location[r.path])
            if error:
                out[by_path[r.path]] = dataclasses.replace(out[by_path[r.path]], errors=r.errors + (error,))
            else:
                tomls[posixpath.dirname(r.path)] = annotations
    if not tomls:
        return out

    for i, candidate in enumerate(out):
        applicable = []  # (depth, precedence, detections, statements), one per REUSE.toml
        for base, annotations in tomls.items():
            if base and not candidate.path.startswith(base + "/"):
                continue
            rel = candidate.path[len(base) + 1 :] if base else candidate.path
            chosen = None
            for globs, precedence, detections, statements in annotations:
                if any(g.match(rel) for g in globs):
                    chosen = (precedence, detections, statements)  # the last matching annotation wins
            if chosen:
                applicable.append((base.count("/") + 1 if base else 0, *chosen))
        if not applicable:
            continue
        overrides = sorted((a for a in applicable if a[1] == "override"), key=lambda a: a[0])
        if overrides:  # the outermost override wins over everything below it
            _, _, detections, statements = overrides[0]
            out[i] = _with(candidate, detections, statements, replace=True)
            continue
        _, precedence, detections, statements = max(applicable, key=lambda a: a[0])  # the closest REUSE.toml
        if precedence == "closest" and has_own[candidate.path]:
            continue
        out[i] = _with(candidate, detections, statements)
    return out
