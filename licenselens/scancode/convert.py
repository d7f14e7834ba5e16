"""ScanCode's result mappings as licenselens types."""

from __future__ import annotations

from licenselens.scancode.licensedb import license_db
from licenselens.types.findings import Detection, LicenseMatch


def rule_facts(m: dict) -> dict:
    """What ScanCode's reference following needs from a match's rule (the index is loaded here)."""
    import licensedcode.cache

    index = licensedcode.cache._LICENSE_CACHE and licensedcode.cache.get_index()
    rule = index.rules_by_id.get(m.get("rule_identifier")) if index else None
    if rule is None:
        return {}
    # ScanCode's detection.is_license_intro, from the match mapping
    intro_rule = rule.is_license_intro or rule.is_license_clue or rule.license_expression == "free-unknown"
    exact = m.get("matcher") == "2-aho" or float(m.get("match_coverage") or 0) == 100
    return {
        "referenced_filenames": tuple(rule.referenced_filenames or ()),
        "is_license_intro": bool(intro_rule and exact),
    }


def to_match(m: dict) -> LicenseMatch:
    return LicenseMatch(
        license_expression=m["license_expression"],
        license_expression_spdx=m.get("license_expression_spdx") or "",
        start_line=int(m.get("start_line") or 0),
        end_line=int(m.get("end_line") or 0),
        score=float(m.get("score") or 0.0),
        matched_length=int(m.get("matched_length") or 0),
        rule_identifier=m.get("rule_identifier") or "",
        matcher=m.get("matcher") or "",
        **rule_facts(m),
    )


def to_detection(d: dict, detector: str) -> Detection:
    matches = tuple(to_match(m) for m in d.get("matches", []))
    total = sum(m.matched_length for m in matches)
    score = (sum(m.score * m.matched_length for m in matches) / total) if total else 100.0
    expression = d["license_expression"]
    return Detection(
        detector=detector,
        license_expression=expression,
        license_expression_spdx=d.get("license_expression_spdx") or "",
        category=license_db().category(expression),
        score=round(score, 2),
        start_line=min((m.start_line for m in matches), default=0),
        end_line=max((m.end_line for m in matches), default=0),
        matches=matches,
    )
