"""Applying a policy: licence expressions are judged with their boolean meaning.

``MIT OR GPL-2.0-only`` is allowed when MIT is (the recipient may choose);
``MIT AND GPL-2.0-only`` takes the stricter verdict. Within a policy, the
first rule whose conditions all hold decides; ``default`` applies otherwise.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from license_expression import OR, LicenseSymbol, LicenseWithExceptionSymbol

from licenselens.expressions import spdx_licensing
from licenselens.policy.base import Subject
from licenselens.scancode.licensedb import license_db
from licenselens.types.policy import VERDICTS, Policy, PolicyFinding, PolicyRule, Verdict
from licenselens.types.scan import FileResult

SEVERITY = {v: i for i, v in enumerate(VERDICTS)}
Judgement = tuple[str, PolicyRule | None]


def _licence_facts(symbol) -> dict:
    db = license_db()
    if isinstance(symbol, LicenseWithExceptionSymbol):
        ids = {
            f"{symbol.license_symbol.key} WITH {symbol.exception_symbol.key}".lower(),
            symbol.license_symbol.key.lower(),
        }
        key = db.key_for_spdx(symbol.license_symbol.key) or "unknown-spdx"
        exception = db.key_for_spdx(symbol.exception_symbol.key)
        category = db.category(f"{key} WITH {exception}" if exception else key)
    else:
        ids = {symbol.key.lower()}
        key = db.key_for_spdx(symbol.key) or "unknown-spdx"
        category = db.category_of_key(key)
    return {
        "ids": ids,
        "category": category,
        "unknown": db.is_unknown(key),
        "non_commercial": db.is_non_commercial(key),
    }


def _unparsable_facts(expression: str) -> dict:
    db = license_db()
    return {
        "ids": {expression.lower()},
        "category": db.category_of_key("unknown-spdx"),
        "unknown": True,
        "non_commercial": False,
    }


def rule_applies(rule: PolicyRule, facts: dict) -> bool:
    m = rule.match
    checks = []
    if m.licenses:
        checks.append(bool(facts.get("ids", set()) & {x.lower() for x in m.licenses}))
    if m.categories:
        checks.append(facts.get("category") in m.categories)
    if m.overlap_verdicts:
        checks.append(facts.get("overlap_verdict") in m.overlap_verdicts)
    for flag in ("unknown", "non_commercial", "missing", "tdm_opt_out", "personal_information"):
        wanted = getattr(m, flag)
        if wanted is not None:
            checks.append(facts.get(flag) is wanted)
    return bool(checks) and all(checks)


class PolicyEvaluator:
    def __init__(self, policy: Policy):
        self.policy = policy

    def _first(self, facts: dict) -> Judgement:
        for rule in self.policy.rules:
            if rule_applies(rule, facts):
                return rule.verdict, rule
        return self.policy.default, None

    def _expression(self, node) -> Judgement:
        if isinstance(node, (LicenseSymbol, LicenseWithExceptionSymbol)) or not getattr(node, "args", None):
            return self._first(_licence_facts(node))
        parts = [self._expression(a) for a in node.args]
        pick = min if isinstance(node, OR) else max
        return pick(parts, key=lambda j: SEVERITY[j[0]])

    def judge(self, subject: Subject) -> Judgement:
        judgements: list[Judgement] = []
        expression = (subject.license_expression_spdx or "").strip()
        if expression:
            try:
                parsed = spdx_licensing().parse(expression, validate=False)
            except Exception:  # ExpressionError, and e.g. IndexError from the parser on "()"
                parsed = None
            # an expression that does not parse names no licence anyone could check: judged as unknown
            judgements.append(
                self._expression(parsed) if parsed is not None else self._first(_unparsable_facts(expression))
            )
        if subject.missing_license:
            judgements.append(self._first({"missing": True}))
        for name in ("tdm_opt_out", "personal_information"):
            if getattr(subject, name):
                judgements.append(self._first({name: True}))
        if subject.overlap_verdict:
            judgements.append(self._first({"overlap_verdict": subject.overlap_verdict}))
        if not judgements:
            return Verdict.ALLOW.value, None
        return max(judgements, key=lambda j: SEVERITY[j[0]])


def fingerprint(path: str, rule_id: str | None, expression: str | None) -> str:
    """Stable across line moves, so a baseline survives edits elsewhere in the file."""
    return hashlib.sha256(f"{path}\0{rule_id}\0{expression}".encode()).hexdigest()[:24]


def evaluate_files(policy: Policy, files: Iterable[FileResult]) -> list[PolicyFinding]:
    """A finding per licence detection (and per text file without one), every verdict included."""
    evaluator = PolicyEvaluator(policy)
    findings: list[PolicyFinding] = []
    for f in files:
        subjects: list[tuple[str | None, str | None, int, int, Subject]] = [
            (
                d.license_expression_spdx,
                d.detector,
                d.start_line,
                d.end_line,
                Subject(license_expression_spdx=d.license_expression_spdx),
            )
            for d in f.detections
            if d.license_expression_spdx
        ]
        if f.file_type == "text" and not f.detections:
            subjects.append((None, None, 0, 0, Subject(missing_license=True)))
        seen = set()
        for expression, detector, start, end, subject in subjects:
            verdict, rule = evaluator.judge(subject)
            rule_id = rule.id if rule else None
            fp = fingerprint(f.path, rule_id, expression)
            if (fp, start) in seen:
                continue
            seen.add((fp, start))
            findings.append(
                PolicyFinding(
                    path=f.path,
                    verdict=verdict,
                    rule=rule_id,
                    message=(rule.message if rule and rule.message else f"{policy.name}: default verdict"),
                    obligation=rule.obligation if rule else None,
                    license_expression_spdx=expression,
                    detector=detector,
                    start_line=start,
                    end_line=end,
                    fingerprint=fp,
                )
            )
    return findings


def worst_reached(verdict_counts: Iterable[Mapping[str, int]], threshold: str) -> str | None:
    """The most severe verdict, at or above ``threshold``, that any of the counts holds (for --fail-on)."""
    reached = [v for v in VERDICTS[VERDICTS.index(threshold) :] if any(c.get(v) for c in verdict_counts)]
    return reached[-1] if reached else None
