"""Every per-document signal: licences, copyrights, opt-outs, notices, personal information, size, hash.

One ``DocumentAnalyser`` per worker process; it holds the anchor scanner and
the region cache. ``analyse`` turns a Document into one row of the results
table (columns in docs/corpus-schema.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from licenselens.corpus.declared import mismatch, normalise_declared
from licenselens.detectors import DETECTORS
from licenselens.detectors.base import Content
from licenselens.detectors.merge import one_per_statement
from licenselens.detectors.spdx_tags import SpdxTagDetector
from licenselens.expressions import combine_spdx
from licenselens.privacy import redact
from licenselens.scan.analyse import analyse_file
from licenselens.signals.anchors import AnchorScanner, lowered
from licenselens.signals.machine_readable import machine_rules, machine_signals
from licenselens.signals.phrases import phrase_rules
from licenselens.signals.pii import PII_TYPES, find_pii
from licenselens.signals.regions import RegionMatcher, anchor_groups
from licenselens.signals.robots import robots_rules, robots_signals
from licenselens.sources.tree import path_key
from licenselens.tokens import count_tokens
from licenselens.types.corpus import DatasetSpec, Document
from licenselens.types.findings import Findings

TDM_RULES, NOTICE_RULES = "tdm_signals.yaml", "corpus_notices.yaml"


class DocumentAnalyser:
    def __init__(self, timeout: float = 30.0, surrogates: frozenset[str] | None = None):
        self.timeout = timeout
        self.surrogates = surrogates or frozenset()  # a cleaned corpus's synthetic values: not personal data
        self.tdm = phrase_rules(TDM_RULES)
        self.notices = phrase_rules(NOTICE_RULES)
        self.scanner = AnchorScanner({**anchor_groups(), "tdm": self.tdm.anchors, "notices": self.notices.anchors})
        self.regions = RegionMatcher(timeout)
        self.spdx_tags = SpdxTagDetector()
        self.robots = robots_rules(TDM_RULES)
        self.machine = machine_rules(TDM_RULES)

    def licence_findings(
        self, document: Document, low: str, anchors: dict[str, list[int]], files: Mapping[str, Findings] | None = None
    ) -> Findings:
        if document.location:  # a file of a source tree: exactly what ``scan`` reports for it
            scanned = files.get(path_key(dict(document.metadata).get("path", ""))) if files is not None else None
            if scanned is not None:
                return scanned
            # not in its tree's scan (it appeared since): this file's own analysis, as scan would do it
            return analyse_file(document.location, document.doc_id, self.timeout, tuple(DETECTORS))
        found = self.regions.findings(document.text, anchors)
        if "spdx-license-identifier" in low:
            content = Content(location="", name="", text=document.text, timeout=self.timeout)
            found = one_per_statement(found.merged(self.spdx_tags.detect(content)))
        return found

    def opt_outs(self, text: str, low: str, anchors: dict[str, list[int]], name: str | None) -> list[tuple[str, int]]:
        """(signal, line) of each opt-out, in the order of rules/tdm_signals.yaml: phrases, and robots files,
        TDMRep and robots directives parsed."""
        found = self.tdm.find(text, anchors["tdm"])
        parsed_forms = [robots_signals(text, low, name, self.robots)]
        if anchors["tdm"]:  # every trigger of the machine-readable forms is an anchor (phrase_rules checks)
            parsed_forms.append(machine_signals(text, low, name, self.machine, self.robots))
        for parsed in parsed_forms:
            seen = {signal for signal, _ in found}
            found += [s for s in parsed if s[0] not in seen]
        return sorted(found, key=lambda s: self.tdm.order[s[0]])

    def analyse(self, document: Document, spec: DatasetSpec, files: Mapping[str, Findings] | None = None) -> dict:
        """One row of the results table, personal data masked in every field (rows are written as they are);
        ``files``: the findings of a source tree's scan, by ``path_key``."""
        text = document.text
        low = lowered(text)
        anchors = self.scanner.scan(low)
        findings = self.licence_findings(document, low, anchors, files)
        notices = tuple(sorted({i for i, _ in self.notices.find(text, anchors["notices"])}))
        opt_outs = self.opt_outs(text, low, anchors, dict(document.metadata).get("path"))
        pii = find_pii(text, surrogates=self.surrogates)
        metadata = dict(document.metadata)
        declared_raw = metadata.get("license")
        declared = normalise_declared(declared_raw) if declared_raw else spec.license
        detections = findings.detections
        data = text.encode("utf-8", "surrogatepass")
        return redact(
            {
                "dataset": document.dataset,
                "stage": spec.stage,
                "kind": spec.kind,
                "doc_id": document.doc_id,
                "origin": document.origin,
                "url": metadata.get("url"),
                "path": metadata.get("path"),
                "source": metadata.get("source"),
                "repo": metadata.get("repo"),
                "chars": len(text),
                "bytes": len(data),
                "tokens": count_tokens(text),
                "declared_license": declared or (declared_raw if declared_raw else None),
                "declared_from": "record" if declared_raw else ("manifest" if spec.license else None),
                "license_expression_spdx": combine_spdx(d.license_expression_spdx for d in detections),
                "license_categories": sorted({d.category for d in detections}),
                "detections": [
                    {
                        "detector": d.detector,
                        "license_expression": d.license_expression,
                        "license_expression_spdx": d.license_expression_spdx,
                        "category": d.category,
                        "score": d.score,
                        "start_line": d.start_line,
                        "end_line": d.end_line,
                    }
                    for d in detections
                ],
                "license_clues": sorted({c.license_expression_spdx for c in findings.clues}),
                "notices": list(notices),
                "license_mismatch": mismatch(declared, detections, notices),
                "copyrights": _unique(s.value for s in findings.statements if s.kind == "copyright"),
                "holders": _unique(s.value for s in findings.statements if s.kind == "holder"),
                "tdm_opt_out": bool(opt_outs),
                "tdm_signals": [{"signal": signal, "line": line} for signal, line in opt_outs],
                **{f"pii_{t}": pii.counts.get(t, 0) for t in PII_TYPES},
                "pii_samples": list(pii.samples),
                "pii_surrogates": pii.surrogates,
                "errors": [{"code": e.code, "message": e.message, "detector": e.detector} for e in findings.errors],
            }
        ) | {"sha256": hashlib.sha256(data).hexdigest()}  # a digest holds no one's data: not searched


def _unique(values) -> list[str]:
    return list(dict.fromkeys(values))
