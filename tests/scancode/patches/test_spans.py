"""Spans built and compared without the detours are ScanCode's, and its licences stay the same."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from intbitset import intbitset
from licensedcode.spans import Span

from licenselens.scancode.patches import spans

from ...conftest import SITE_PACKAGES, scancode_licence_text
from .licences import licences, licences_without

positions = st.sets(st.integers(0, 400), max_size=60)


def _outcome(call):
    try:
        return call()
    except TypeError as exc:  # an empty span has no start: the same error either way
        return ("TypeError", str(exc))


def _answers(a: set, b: set) -> list:
    first, second = Span(intbitset(a)), Span(intbitset(b))
    made = Span(first._set & second._set)
    return [
        sorted(first),
        sorted(made),
        made == Span(sorted(a & b)),
        _outcome(lambda: first.overlap(second)),
        _outcome(lambda: first.distance_to(second)),
        _outcome(lambda: second.distance_to(first)),
    ]


@settings(max_examples=500, deadline=None)
@given(positions, positions)
def test_the_same_answers_as_scancodes_span(a, b):
    spans.uninstall()
    try:
        expected = _answers(a, b)
    finally:
        spans.install()
    assert _answers(a, b) == expected


def test_a_span_made_from_a_set_is_a_copy():
    source = intbitset([1, 2, 3])
    span = Span(source)
    source.add(9)
    assert list(span) == [1, 2, 3]


@pytest.mark.slow
def test_licences_identical_with_and_without_it():
    files = [str(SITE_PACKAGES / n) for n in ("licensedcode/match.py", "rich/console.py", "pip/__init__.py")]
    files += [str(scancode_licence_text(k)) for k in ("apache-2.0", "gpl-2.0", "bsd-new")]
    expected = licences_without([spans], files)
    assert licences(files) == expected
    assert sum('"identifier": "' in r for r in expected) >= 4
