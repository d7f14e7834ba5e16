"""The obligations that the licences of a dataset carry (rules/obligations.yaml)."""

from __future__ import annotations

from fnmatch import fnmatchcase

from license_expression import ExpressionError

from licenselens.expressions import spdx_licensing
from licenselens.rules import load_yaml
from licenselens.scancode.licensedb import license_db


def licence_ids(expression: str) -> list[str]:
    try:
        return sorted({s.key for s in spdx_licensing().license_symbols(expression, unique=True, decompose=True)})
    except ExpressionError:
        return []


def _applies(rule: dict, spdx_id: str) -> bool:
    lowered = spdx_id.lower()
    if any(lowered == x.lower() for x in rule.get("except", [])):
        return False
    if any(fnmatchcase(lowered, p.lower()) for p in rule.get("licenses", [])):
        return True
    db = license_db()
    key = db.key_for_spdx(spdx_id) or ""
    if rule.get("non_commercial") and db.is_non_commercial(key):
        return True
    return db.category_of_key(key) in rule.get("categories", []) if key else False


def obligations(license_counts: dict[str, int]) -> list[dict]:
    """Per obligation: the licences that carry it and how many documents (or files) have them."""
    found = []
    for rule in load_yaml("obligations.yaml")["obligations"]:
        licences: dict[str, int] = {}
        for expression, count in license_counts.items():
            for spdx_id in licence_ids(expression) if expression != "none" else []:
                if _applies(rule, spdx_id):
                    licences[spdx_id] = licences.get(spdx_id, 0) + count
        if licences:
            found.append(
                {
                    "id": rule["id"],
                    "label": rule["label"],
                    "explanation": rule["explanation"],
                    "licenses": dict(sorted(licences.items())),
                    "documents": sum(licences.values()),
                }
            )
    return found
