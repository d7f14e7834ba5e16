"""The policy evaluator: any subject under any built-in policy gets a verdict among allow/review/deny and
never an exception; expressions are judged with their boolean meaning (OR the loosest, AND the strictest)."""

from functools import cache

from hypothesis import example, given, settings
from hypothesis import strategies as st

from licenselens.policy.base import Subject
from licenselens.policy.evaluate import SEVERITY, PolicyEvaluator
from licenselens.policy.loading import builtin_policies, load_policy
from licenselens.types.policy import VERDICTS

from .strategies import EXPRESSION_JUNK, expressions, simple_terms

POLICIES = sorted(builtin_policies())
OVERLAP = st.one_of(
    st.none(), st.sampled_from(["verbatim", "near-verbatim", "derivative", "transformative"]), st.text(max_size=10)
)
SUBJECTS = st.builds(
    Subject,
    license_expression_spdx=st.one_of(st.none(), expressions(), EXPRESSION_JUNK, st.text(max_size=40)),
    missing_license=st.booleans(),
    tdm_opt_out=st.one_of(st.none(), st.booleans()),
    personal_information=st.one_of(st.none(), st.booleans()),
    overlap_verdict=OVERLAP,
)


@cache
def evaluator(name):
    return PolicyEvaluator(load_policy(name))


def judge(policy, expression=None, **facts):
    return evaluator(policy).judge(Subject(license_expression_spdx=expression, **facts))


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(POLICIES), SUBJECTS)
def test_any_subject_gets_a_verdict(policy, subject):
    verdict, rule = evaluator(policy).judge(subject)
    assert verdict in VERDICTS
    assert rule is None or rule in evaluator(policy).policy.rules and rule.verdict == verdict


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(POLICIES), simple_terms(), expressions(max_leaves=4))
def test_or_with_an_allowed_licence_is_allowed(policy, term, other):
    if judge(policy, term)[0] != "allow":
        term = "MIT"  # allowed by every built-in policy
    assert judge(policy, term)[0] == "allow"
    assert judge(policy, f"{term} OR ({other})")[0] == "allow"
    assert judge(policy, f"({other}) OR {term}")[0] == "allow"


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(POLICIES), expressions(max_leaves=3), expressions(max_leaves=3))
def test_and_takes_the_stricter_verdict_and_or_the_looser(policy, a, b):
    va, vb = judge(policy, a)[0], judge(policy, b)[0]
    assert judge(policy, f"({a}) AND ({b})")[0] == max(va, vb, key=SEVERITY.get)
    assert judge(policy, f"({a}) OR ({b})")[0] == min(va, vb, key=SEVERITY.get)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(POLICIES), SUBJECTS)
def test_a_subject_is_judged_at_least_as_strictly_as_each_of_its_facts(policy, subject):
    verdict = evaluator(policy).judge(subject)[0]
    parts = [
        Subject(license_expression_spdx=subject.license_expression_spdx),
        Subject(missing_license=subject.missing_license),
        Subject(tdm_opt_out=subject.tdm_opt_out),
        Subject(personal_information=subject.personal_information),
        Subject(overlap_verdict=subject.overlap_verdict),
    ]
    assert SEVERITY[verdict] == max(SEVERITY[evaluator(policy).judge(p)[0]] for p in parts)


@cache
def licensing():
    from license_expression import get_spdx_licensing

    return get_spdx_licensing()


@settings(max_examples=300, deadline=None)
@given(EXPRESSION_JUNK)
@example("()")  # IndexError in the parser
@example(" ")  # AttributeError: the parser returns None
@example("MIT OR")  # ExpressionError
def test_an_expression_that_does_not_parse_is_judged_as_an_unknown_licence(junk):
    # it used to raise ExpressionError (or AttributeError for blank text) out of judge()
    from license_expression import ExpressionError

    try:
        parses = licensing().parse(junk, validate=False) is not None
    except ExpressionError:
        parses = False
    except Exception:  # the parser's own failures on malformed input, e.g. IndexError on "()"
        parses = False
    if not parses and junk.strip():
        for policy in POLICIES:
            # the same facts as an identifier nobody knows
            assert judge(policy, junk) == judge(policy, "LicenseRef-fuzz-not-a-licence")
