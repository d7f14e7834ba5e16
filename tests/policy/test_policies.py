from __future__ import annotations

import pytest

from licenselens.policy.base import Subject
from licenselens.policy.evaluate import PolicyEvaluator
from licenselens.policy.loading import PolicyError, builtin_policies, load_policy, parse_policy


def verdict(policy: str, **subject) -> str:
    return PolicyEvaluator(load_policy(policy)).judge(Subject(**subject))[0]


def test_builtin_policies_load():
    assert {"default", "permissive-only", "commercial-model", "research"} <= set(builtin_policies())
    for name in builtin_policies():
        assert load_policy(name).rules


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("MIT", "allow"),
        ("GPL-2.0-only", "deny"),
        ("MIT OR GPL-2.0-only", "allow"),  # the recipient may choose MIT
        ("MIT AND GPL-2.0-only", "deny"),
        ("(MIT OR GPL-2.0-only) AND Apache-2.0", "allow"),
        ("GPL-2.0-or-later WITH Classpath-exception-2.0", "deny"),  # Copyleft Limited
        ("LicenseRef-scancode-unknown-license-reference", "review"),
        ("CC0-1.0", "allow"),
        ("LicenseRef-scancode-proprietary-license", "deny"),
    ],
)
def test_permissive_only(expression, expected):
    assert verdict("permissive-only", license_expression_spdx=expression) == expected


def test_default_flags_but_never_denies():
    assert verdict("default", license_expression_spdx="GPL-3.0-or-later") == "review"
    assert verdict("default", license_expression_spdx="AGPL-3.0-only") == "review"
    assert verdict("default", license_expression_spdx="LicenseRef-scancode-unknown") == "review"
    assert verdict("default", license_expression_spdx="MIT") == "allow"
    policy = load_policy("default")
    assert all(r.verdict != "deny" for r in policy.rules) and policy.default != "deny"


def test_commercial_model_signals():
    assert verdict("commercial-model", license_expression_spdx="CC-BY-NC-4.0") == "deny"
    assert verdict("commercial-model", license_expression_spdx="CC-BY-ND-4.0") == "deny"
    assert verdict("commercial-model", tdm_opt_out=True) == "deny"
    assert verdict("commercial-model", overlap_verdict="verbatim") == "deny"
    assert verdict("commercial-model", overlap_verdict="transformative") == "allow"
    assert verdict("commercial-model", personal_information=True) == "review"
    assert verdict("research", license_expression_spdx="CC-BY-NC-4.0") == "allow"


def test_missing_licence_in_file_is_allowed():
    for name in builtin_policies():
        assert verdict(name, missing_license=True) == "allow"


@pytest.mark.parametrize(
    "data, where",
    [
        ({"rules": [{"id": "x", "match": {"categories": ["Permissive"]}, "verdict": "block"}]}, "rules[1].verdict"),
        ({"rules": [{"id": "x", "match": {"colour": ["red"]}, "verdict": "deny"}]}, "rules[1].match"),
        ({"rules": [{"id": "x", "match": {"unknown": "yes"}, "verdict": "deny"}]}, "rules[1].match.unknown"),
        ({"rules": [{"id": "x", "match": {"overlap_verdicts": ["copied"]}, "verdict": "deny"}]}, "overlap_verdicts"),
        (
            {
                "rules": [
                    {"id": "a", "match": {"unknown": True}, "verdict": "deny"},
                    {"id": "a", "match": {"unknown": True}, "verdict": "deny"},
                ]
            },
            "duplicate id",
        ),
        ({"rules": [{"id": "x", "match": {"licenses": ["()"]}, "verdict": "deny"}]}, "rules[1].match.licenses"),
        ({"rules": [{"id": "x", "match": {"licenses": [" "]}, "verdict": "deny"}]}, "rules[1].match.licenses"),
        ({"rules": [{"id": "x", "match": {"licenses": ["MIT OR"]}, "verdict": "deny"}]}, "rules[1].match.licenses"),
        ({"default": "maybe"}, "default"),
        ({"rulez": []}, "unknown field"),
    ],
)
def test_invalid_policies_have_clear_errors(data, where):
    with pytest.raises(PolicyError, match=where.replace("[", r"\[").replace("]", r"\]")):
        parse_policy(data, "my-policy.yaml")


def test_unknown_policy_name():
    with pytest.raises(PolicyError, match="no policy 'nope'"):
        load_policy("nope")


def test_licence_ids_in_rules_are_normalised_like_scanned_expressions():
    policy = parse_policy(
        {"default": "allow", "rules": [{"id": "no-gpl2", "match": {"licenses": ["GPL-2.0+"]}, "verdict": "deny"}]}
    )
    judge = PolicyEvaluator(policy).judge
    assert judge(Subject(license_expression_spdx="GPL-2.0-or-later"))[0] == "deny"
    assert judge(Subject(license_expression_spdx="GPL-2.0+"))[0] == "deny"
    with pytest.raises(PolicyError, match="unknown SPDX identifier"):
        parse_policy({"rules": [{"id": "x", "match": {"licenses": ["Not-A-Licence"]}, "verdict": "deny"}]})
