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

from ..expressions import combine_spdx
from ..licensedb import license_db
from ..sources.base import Entry
from ..types import Detection, FileError, FileResult, LicenseMatch, Statement
from .spdx_tags import parse_spdx_tag

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
            out.append(re.escape("*")); i += 2
        elif pattern.startswith("**", i):
            out.append(".*"); i += 2
        elif pattern[i] == "*":
            out.append("[^/]*"); i += 1
        else:
            out.append(re.escape(pattern[i])); i += 1
    return re.compile("".join(out) + r"\Z")


def _detection(expression: str, where: str) -> Detection:
    spdx, keys = parse_spdx_tag(expression)
    match = LicenseMatch(keys, spdx, 0, 0, 100.0, len(expression.split()), where, NAME)
    return Detection(NAME, keys, spdx, license_db().category(keys), 100.0, 0, 0, (match,))


def _with(result: FileResult, detections: list[Detection], statements: list[Statement]) -> FileResult:
    all_detections = result.detections + tuple(detections)
    return dataclasses.replace(
        result,
        detections=all_detections,
        copyrights=result.copyrights + tuple(statements),
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
    except (OSError, ValueError, tomllib.TOMLDecodeError, ExpressionError) as exc:
        return [], FileError("invalid-reuse-toml", str(exc), NAME)


def apply_reuse(results: Sequence[FileResult], entries: Sequence[Entry]) -> list[FileResult]:
    by_path = {r.path: i for i, r in enumerate(results)}
    location = {e.path: e.location for e in entries}
    out = list(results)

    for r in results:
        if r.path.endswith(".license") and r.path[: -len(".license")] in by_path:
            target = by_path[r.path[: -len(".license")]]
            tags = [dataclasses.replace(d, detector=NAME) for d in r.detections if d.detector == "spdx-tag"]
            notes = [dataclasses.replace(s, detector=NAME) for s in r.copyrights if s.detector == "spdx-tag"]
            if tags or notes:
                out[target] = _with(out[target], tags, notes)

    for r in results:
        if posixpath.basename(r.path) != "REUSE.toml" or r.path not in location:
            continue
        annotations, error = _annotations(r, location[r.path])
        if error:
            out[by_path[r.path]] = dataclasses.replace(out[by_path[r.path]], errors=r.errors + (error,))
            continue
        base = posixpath.dirname(r.path)
        for i, candidate in enumerate(out):
            if base and not candidate.path.startswith(base + "/"):
                continue
            rel = candidate.path[len(base) + 1:] if base else candidate.path
            chosen = None
            for globs, precedence, detections, statements in annotations:
                if any(g.match(rel) for g in globs):
                    chosen = (precedence, detections, statements)  # the last matching annotation wins
            if chosen is None:
                continue
            precedence, detections, statements = chosen
            has_own = any(d.detector in ("spdx-tag", NAME) for d in candidate.detections)
            if precedence == "closest" and has_own:
                continue
            out[i] = _with(candidate, detections, statements)
    return out
