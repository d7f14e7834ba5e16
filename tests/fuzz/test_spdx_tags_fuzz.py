"""SPDX tags: any value parses or raises ExpressionError (never another exception); valid expressions
survive comment closers and render to a fixed point; the detector turns any line into findings."""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from license_expression import ExpressionError

from licenselens.detectors.spdx_tags import CLOSERS, clean_tag_value, parse_spdx_tag
from licenselens.scan.analyse import analyse_file

from .strategies import EXPRESSION_JUNK, expressions

ANY = st.one_of(st.text(max_size=80), EXPRESSION_JUNK)
# text that stays on one line of a text file (no control characters, no line or paragraph separators)
ONE_LINE = st.one_of(
    st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=80),
    EXPRESSION_JUNK.map(lambda v: v.replace("\x00", "").replace("\t", " ")),
)


def parse_or_reject(value):
    try:
        return parse_spdx_tag(value)
    except ExpressionError:
        return None


@settings(max_examples=500, deadline=None)
@given(ANY)
@example("()")  # found by this test: IndexError from the parser of license-expression
@example("MIT AND ( )")
def test_any_value_parses_or_is_rejected_with_expression_error(value):
    parsed = parse_or_reject(value)
    if parsed is not None:
        spdx, keys = parsed
        assert isinstance(spdx, str) and spdx and isinstance(keys, str) and keys
        assert parse_spdx_tag(spdx)[0] == spdx  # what it renders parses to itself


@settings(max_examples=300, deadline=None)
@given(expressions())
def test_valid_expressions_parse_and_render_to_a_fixed_point(expression):
    spdx, keys = parse_spdx_tag(expression)
    assert parse_spdx_tag(spdx) == (spdx, keys)
    assert spdx.count("(") == spdx.count(")")


@settings(max_examples=300, deadline=None)
@given(
    expressions(),
    st.lists(st.sampled_from(CLOSERS + (" ",)), max_size=4).map("".join),
    st.sampled_from(["", " ", "\t", "\n"]),
)
def test_comment_closers_are_removed_and_the_expression_kept(expression, trailer, space):
    # "(MIT OR Apache-2.0)" used to lose its closing parenthesis
    assert clean_tag_value(space + expression + trailer) == expression
    assert parse_spdx_tag(clean_tag_value(expression + trailer)) == parse_spdx_tag(expression)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=80))
def test_cleaning_is_idempotent_and_keeps_a_piece_of_the_value(raw):
    clean = clean_tag_value(raw)
    assert clean_tag_value(clean) == clean
    assert clean in raw and clean == clean.strip()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("spdx-fuzz")


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.one_of(ONE_LINE, expressions()).map(lambda v: f"# SPDX-License-Identifier: {v}"), max_size=4),
    st.lists(ONE_LINE, max_size=3),
)
def test_the_detector_turns_any_tag_line_into_findings(folder, tags, other):
    path = folder / "tagged.py"
    lines = tags + [f"# SPDX-FileCopyrightText: {t}" for t in other]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    findings = analyse_file(str(path), "tagged.py", 30, ("spdx-tag",))
    assert not findings.errors
    found = [d for d in findings.detections if d.detector == "spdx-tag"]
    # every tag line is a detection or a warning, never lost silently (empty values aside)
    values = [clean_tag_value(t.split(":", 1)[1]) for t in tags]
    assert len(found) + len([w for w in findings.warnings if w.code == "invalid-spdx-tag"]) == len(
        [v for v in values if v]
    )
