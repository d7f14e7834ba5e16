"""Matched-text tokens read on demand are ScanCode's tokens, and its licence results stay the same to the
detection identifiers (computed from every match's text)."""

from __future__ import annotations

from itertools import islice

import pytest

from licenselens.scancode.patches import matched_text
from licenselens.scancode.patches.state import query_scope

from ...conftest import SITE_PACKAGES, scancode_licence_text
from .licences import licences, licences_without


def real_files() -> list[str]:
    names = [
        "rich/console.py",  # no licence text: matched text of clues only
        "licensedcode/match.py",  # a header and licence words throughout
        "numpy/__init__.py",
        "pip/_vendor/distlib/util.py",
    ]
    found = [str(SITE_PACKAGES / n) for n in names if (SITE_PACKAGES / n).exists()]
    return found + [str(scancode_licence_text("apache-2.0")), str(scancode_licence_text("gpl-3.0"))]


@pytest.mark.slow
def test_tokens_are_scancodes_whoever_reads_them_and_how_far():
    from licensedcode.cache import get_index
    from licensedcode.match import _tokenize_matched_text

    dictionary = get_index().dictionary
    for location in real_files():
        expected = list(_tokenize_matched_text(location, None, dictionary))
        assert len(expected) > 600  # more than two chunks
        with query_scope():
            tokens = matched_text.tokenize_matched_text(location, None, dictionary)
            first, second = iter(tokens), iter(tokens)
            head = list(islice(first, 300))  # one reader stops early, another reads on past it
            assert list(second) == expected
            assert head + list(first) == expected
            # the same call in the same scope gets the same tokens, without reading the file again
            assert matched_text.tokenize_matched_text(location, None, dictionary) is tokens
        with query_scope():  # another call of ScanCode: read afresh
            assert matched_text.tokenize_matched_text(location, None, dictionary) is not tokens


@pytest.mark.slow
def test_licences_and_identifiers_identical_with_and_without_it():
    files = real_files()
    expected = licences_without([matched_text], files)
    assert licences(files) == expected
    assert sum('"identifier": "' in r for r in expected) >= 4


def test_a_changed_file_is_read_again_by_the_next_call(tmp_path):
    from licensedcode.cache import get_index

    dictionary = get_index().dictionary
    path = tmp_path / "NOTICE"
    path.write_text("Licensed under the MIT License\n", encoding="utf-8")
    with query_scope():
        before = [t.value for t in matched_text.tokenize_matched_text(str(path), None, dictionary)]
    path.write_text("Licensed under the BSD License\n", encoding="utf-8")
    with query_scope():
        after = [t.value for t in matched_text.tokenize_matched_text(str(path), None, dictionary)]
    assert "MIT" in before and "BSD" in after and "MIT" not in after
