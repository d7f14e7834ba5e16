"""The faster cluecode paths must give exactly ScanCode's copyright detections."""

from __future__ import annotations

import random

import pytest
from cluecode.copyrights import detect_copyrights
from pygmars import lex

from licenselens.scancode.patches import copyright_parsing

from ...conftest import SITE_PACKAGES, STDLIB


def real_files(count: int, seed: int = 11) -> list[str]:
    pool = sorted(str(p) for p in SITE_PACKAGES.glob("*.dist-info/*LICENSE*"))
    pool += sorted(str(p) for p in SITE_PACKAGES.glob("*.dist-info/licenses/**/*") if p.is_file())
    pool += sorted(str(p) for p in STDLIB.glob("*.py"))
    pool += sorted(str(p) for p in (SITE_PACKAGES / "cryptography").rglob("*.py"))
    random.Random(seed).shuffle(pool)
    return pool[:count]


def detections(location: str) -> list[tuple]:
    return [tuple(sorted(vars(d).items())) for d in detect_copyrights(location)]


@pytest.mark.slow
def test_detections_identical_to_cluecode_on_real_files():
    files = real_files(90)
    copyright_parsing.uninstall()
    try:
        expected = [detections(f) for f in files]
    finally:
        copyright_parsing.install()
    first = [detections(f) for f in files]
    again = [detections(f) for f in files]  # now from the memos
    assert first == expected
    assert again == expected
    assert sum(map(len, expected)) > 100  # the files do hold copyrights


def test_lexer_with_a_callable_matcher_is_not_memoised():
    calls = []

    def counting(value):
        calls.append(value)
        return value.isdigit()

    copyright_parsing.install()
    lexer = lex.Lexer([(counting, "CD"), (r".*", "NN")])
    for _ in range(2):
        labels = [t.label for t in lexer.lex_strings(["12", "ab"])]
        assert labels == ["CD", "NN"]
    assert calls == ["12", "ab", "12", "ab"]


def test_lexer_memo_gives_first_matching_label():
    copyright_parsing.install()
    lexer = lex.Lexer([(r"^[0-9]+$", "CD"), (r".*s$", "NNS"), (r".*", "NN")])
    words = ["2024", "rights", "holder", "2024", "rights"]
    assert [t.label for t in lexer.lex_strings(words)] == ["CD", "NNS", "NN", "CD", "NNS"]
