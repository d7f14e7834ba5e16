"""Licence and copyright statements in corpus documents, found by ScanCode in the regions that can hold them.

The anchors of ``rules/corpus_anchors.yaml`` are found in a document in one vectorised
pass (``anchors.AnchorScanner``); the lines around each anchor form regions, and
only those go through ScanCode's licence index and copyright parser. Regions
repeat across documents (footers, headers, licence files), so each distinct
region is matched once per worker.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from functools import cache

from licenselens.rules import load_yaml
from licenselens.scancode.api import text_copyrights, text_licenses
from licenselens.signals.own_script import in_own_script, own_script
from licenselens.types.findings import Detection, Findings, LicenseMatch, Statement

DETECTOR_LICENSE, DETECTOR_COPYRIGHT = "licensedcode", "copyright"


@cache
def anchor_groups() -> dict[str, dict]:
    table = load_yaml("corpus_anchors.yaml")
    return {"license": table["license"], "copyright": table["copyright"]}


@cache
def _context() -> dict:
    return load_yaml("corpus_anchors.yaml")["context"]


def regions(text: str, positions: list[int], context: dict) -> list[tuple[int, int]]:
    """Character spans around anchor positions, merged; whole lines unless a line is very long."""
    spans: list[tuple[int, int]] = []
    around, long_line, budget = context["lines_around"], context["long_line_chars"], context["context_chars"]
    merge_gap = context["merge_gap_chars"]
    for pos in sorted(set(positions)):
        line_start = text.rfind("\n", 0, pos) + 1
        line_end = text.find("\n", pos)
        line_end = len(text) if line_end < 0 else line_end
        if line_end - line_start > 2 * long_line:
            start, end = max(line_start, pos - long_line), min(line_end, pos + long_line)
            start = text.find(" ", start, pos) + 1 if start > line_start and " " in text[start:pos] else start
            cut = text.rfind(" ", pos, end)
            end = cut if end < line_end and cut > pos else end
        else:
            start, end = line_start, line_end
            # neighbouring lines, while they are short: a licence is set in short lines, prose in long
            # paragraphs, and prose around a notice only makes ScanCode find fragments of other rules
            # (a blank line ends a paragraph: a footer's region stays the same on every page, so it is cached)
            for _ in range(around):
                before = text.rfind("\n", 0, start - 1) + 1 if start else 0
                if start == 0 or start - before > budget or not text[before:start].strip():
                    break
                start = before
            for _ in range(around):
                after = text.find("\n", end + 1)
                after = len(text) if after < 0 else after
                if end >= len(text) or after - end > budget or not text[end:after].strip():
                    break
                end = after
        if spans and start <= spans[-1][1] + merge_gap:  # e.g. a licence paragraph without anchors
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    limit = context["max_region_chars"]
    return [(s, min(s + limit, e)) for start, e in spans for s in range(start, e, limit)]


class RegionMatcher:
    """Per-worker state: the region cache. ScanCode's index is loaded on the first region only."""

    def __init__(self, timeout: float):
        self.timeout = timeout
        self.context = _context()
        self.cache: OrderedDict[tuple[str, bytes], Findings] = OrderedDict()
        self.matched = self.reused = 0

    def findings(self, text: str, anchors: dict[str, list[int]]) -> Findings:
        """Statements in ``text``, given the positions of its "license" and "copyright" anchors."""
        result = Findings()
        for kind in ("license", "copyright"):
            positions = anchors.get(kind)
            for start, end in regions(text, positions, self.context) if positions else ():
                first_line = text.count("\n", 0, start) + 1
                found = self._region(kind, text[start:end])
                result = result.merged(_shifted(found, first_line - 1))
        return result

    def _region(self, kind: str, region: str) -> Findings:
        key = (kind, hashlib.blake2b(region.encode("utf-8", "surrogatepass"), digest_size=16).digest())
        if key in self.cache:
            self.cache.move_to_end(key)
            self.reused += 1
            return self.cache[key]
        self.matched += 1
        found = (
            text_licenses(region, self.timeout, DETECTOR_LICENSE)
            if kind == "license"
            else in_own_script(text_copyrights(region, self.timeout, DETECTOR_COPYRIGHT), region, own_script())
        )
        self.cache[key] = found
        if len(self.cache) > self.context["cache_entries"]:
            self.cache.popitem(last=False)
        return found


def _shifted(findings: Findings, offset: int) -> Findings:
    if not offset:
        return findings

    def match(m: LicenseMatch) -> LicenseMatch:
        return LicenseMatch(**{**m.__dict__, "start_line": m.start_line + offset, "end_line": m.end_line + offset})

    def detection(d: Detection) -> Detection:
        return Detection(
            **{
                **d.__dict__,
                "start_line": d.start_line + offset,
                "end_line": d.end_line + offset,
                "matches": tuple(match(m) for m in d.matches),
            }
        )

    return Findings(
        detections=tuple(detection(d) for d in findings.detections),
        clues=tuple(match(m) for m in findings.clues),
        statements=tuple(
            Statement(s.kind, s.value, s.start_line + offset, s.end_line + offset, s.detector)
            for s in findings.statements
        ),
        errors=findings.errors,
        warnings=findings.warnings,
    )
