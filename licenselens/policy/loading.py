"""Policy files (rules/policies/*.yaml or a user's own): loading and validation with clear errors."""

from __future__ import annotations

from pathlib import Path

import yaml

from licenselens.rules import rules_dir
from licenselens.types.overlap import OVERLAP_VERDICTS
from licenselens.types.policy import VERDICTS, Policy, PolicyRule, RuleMatch, Verdict

MATCH_LISTS = {"licenses", "categories", "overlap_verdicts"}
MATCH_FLAGS = {"unknown", "non_commercial", "missing", "tdm_opt_out", "personal_information"}


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file and the field."""


def builtin_policies() -> dict[str, Path]:
    return {p.stem: p for p in sorted((rules_dir() / "policies").glob("*.yaml"))}


def load_policy(name_or_path: str) -> Policy:
    builtin = builtin_policies()
    path = builtin.get(name_or_path) or Path(name_or_path)
    if not path.is_file():
        raise PolicyError(f"no policy {name_or_path!r}: not a file, and not one of {', '.join(builtin)}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {exc}") from exc
    return parse_policy(data, str(path))


def _fail(source: str, where: str, problem: str):
    raise PolicyError(f"{source}: {where}: {problem}")


def parse_policy(data, source: str = "<policy>") -> Policy:
    if not isinstance(data, dict):
        _fail(source, "top level", "must be a mapping with name, default and rules")
    unknown = set(data) - {"name", "description", "default", "rules"}
    if unknown:
        _fail(source, "top level", f"unknown field(s) {', '.join(sorted(unknown))}")
    default = data.get("default", Verdict.ALLOW.value)
    if default not in VERDICTS:
        _fail(source, "default", f"{default!r} is not one of {', '.join(VERDICTS)}")
    rules_data = data.get("rules") or []
    if not isinstance(rules_data, list):
        _fail(source, "rules", "must be a list")
    rules, seen = [], set()
    for n, item in enumerate(rules_data, start=1):
        where = f"rules[{n}]"
        if not isinstance(item, dict):
            _fail(source, where, "must be a mapping with id, match and verdict")
        extra = set(item) - {"id", "match", "verdict", "message", "obligation"}
        if extra:
            _fail(source, where, f"unknown field(s) {', '.join(sorted(extra))}")
        rule_id = item.get("id")
        if not isinstance(rule_id, str) or not rule_id:
            _fail(source, f"{where}.id", "must be a non-empty string")
        if rule_id in seen:
            _fail(source, f"{where}.id", f"duplicate id {rule_id!r}")
        seen.add(rule_id)
        if item.get("verdict") not in VERDICTS:
            _fail(source, f"{where}.verdict", f"{item.get('verdict')!r} is not one of {', '.join(VERDICTS)}")
        rules.append(
            PolicyRule(
                id=rule_id,
                match=_parse_match(item.get("match"), source, f"{where}.match"),
                verdict=item["verdict"],
                message=str(item.get("message") or ""),
                obligation=item.get("obligation"),
            )
        )
    return Policy(
        name=str(data.get("name") or Path(source).stem),
        description=str(data.get("description") or ""),
        default=default,
        rules=tuple(rules),
        source=source,
    )


def _canonical_id(value: str, source: str, where: str) -> str:
    """The form scanned expressions take (``GPL-2.0+`` is ``GPL-2.0-or-later``), so rules match them."""
    from licenselens.expressions import spdx_licensing

    try:
        parsed = spdx_licensing().parse(value, validate=False)
        if parsed is None:
            _fail(source, where, f"{value!r}: not a licence identifier")
        unknown = [
            k
            for k in spdx_licensing().unknown_license_keys(parsed)
            if not k.lower().startswith(("licenseref-", "documentref-"))
        ]
    except PolicyError:
        raise
    except Exception as exc:  # ExpressionError, and IndexError/AttributeError the parser raises on "()" or " "
        _fail(source, where, f"{value!r}: not a valid SPDX expression ({exc or type(exc).__name__})")
    if unknown:
        _fail(source, where, f"{value!r}: unknown SPDX identifier(s) {', '.join(unknown)}")
    return parsed.render("{symbol.key}")


def _parse_match(match, source: str, where: str) -> RuleMatch:
    if not isinstance(match, dict) or not match:
        _fail(source, where, "must be a non-empty mapping")
    extra = set(match) - MATCH_LISTS - MATCH_FLAGS
    if extra:
        _fail(source, where, f"unknown condition(s) {', '.join(sorted(extra))}")
    values = {}
    for key, value in match.items():
        if key in MATCH_LISTS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                _fail(source, f"{where}.{key}", "must be a list of strings")
            if key == "overlap_verdicts" and set(value) - set(OVERLAP_VERDICTS):
                _fail(
                    source,
                    f"{where}.{key}",
                    f"unknown verdict(s) {', '.join(sorted(set(value) - set(OVERLAP_VERDICTS)))}",
                )
            if key == "licenses":
                value = [_canonical_id(v, source, f"{where}.{key}") for v in value]
            values[key] = tuple(value)
        else:
            if not isinstance(value, bool):
                _fail(source, f"{where}.{key}", "must be true or false")
            values[key] = value
    return RuleMatch(**values)  # type: ignore[arg-type]  # each key was checked to be a list or a flag
