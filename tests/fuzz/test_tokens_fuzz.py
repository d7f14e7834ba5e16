"""Properties of the tokeniser beyond tests/test_tokens.py (which checks numpy against the pattern on text
without surrogates): lone surrogates and astral text, the shape of every token, and concatenation."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from licenselens.signals.anchors import lowered
from licenselens.tokens import CJK_RANGES, TOKEN_PATTERN, count_tokens, token_spans, tokens

# every code point, surrogates included: a document decoded with surrogateescape can hold them
ANY_TEXT = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=300)
# mostly the characters that make token boundaries interesting
TRICKY = st.text(
    alphabet=st.sampled_from(
        list("aZ9_ -.\n\t")
        + [
            "é",
            "ß",
            "İ",
            "ǅ",
            "²",
            "٣",
            "\u0301",
            "\u200b",
            "孟",
            "子",
            "タ",
            "ー",
            "한",
            "\U00020000",
            "\U0001f600",
            "\ud800",
            "\udc80",
            "\x00",
            "ﬀ",
        ]
    ),
    max_size=200,
)


def spans(text):
    starts, ends = token_spans(text)
    return list(zip(starts.tolist(), ends.tolist()))


def is_cjk(char):
    return any(a <= ord(char) <= b for a, b in CJK_RANGES)


@settings(max_examples=300, deadline=None)
@given(st.one_of(ANY_TEXT, TRICKY))
def test_any_text_including_surrogates_tokenises_like_the_pattern(text):
    assert spans(text) == [(m.start(), m.end()) for m in TOKEN_PATTERN.finditer(text)]
    assert count_tokens(text) == len(spans(text))


@settings(max_examples=300, deadline=None)
@given(st.one_of(ANY_TEXT, TRICKY))
def test_tokens_are_ordered_disjoint_maximal_runs_and_cjk_stands_alone(text):
    found = spans(text)
    for (s, e), nxt in zip(found, found[1:] + [None]):
        token = text[s:e]
        assert token and all(c.isalnum() for c in token) or is_cjk(token)
        assert all(not is_cjk(c) for c in token) or len(token) == 1
        if nxt is not None:
            assert e <= nxt[0]
        # maximal: the characters just outside a word token are not letters or digits of a word
        if not is_cjk(token[0]):
            for outside in (s - 1, e):
                if 0 <= outside < len(text):
                    c = text[outside]
                    assert is_cjk(c) or not TOKEN_PATTERN.fullmatch(c)
    # nothing between tokens is a token
    gaps = "".join(text[a:b] for a, b in zip([0] + [e for _, e in found], [s for s, _ in found] + [len(text)]))
    assert not any(TOKEN_PATTERN.fullmatch(c) for c in gaps)


@settings(max_examples=200, deadline=None)
@given(st.one_of(ANY_TEXT, TRICKY), st.one_of(ANY_TEXT, TRICKY), st.sampled_from([" ", "\n", " — ", "_", "\x00"]))
def test_texts_joined_by_a_separator_tokenise_as_their_parts(a, b, separator):
    joined = a + separator + b
    shift = len(a) + len(separator)
    assert spans(joined) == spans(a) + [(s + shift, e + shift) for s, e in spans(b)]
    assert count_tokens(joined) == count_tokens(a) + count_tokens(b)


@settings(max_examples=200, deadline=None)
@given(st.one_of(ANY_TEXT, TRICKY))
def test_lowering_keeps_offsets_so_tokens_keep_their_places(text):
    # the overlap engine tokenises the lowered text and reports offsets in the original
    low = lowered(text)
    assert len(low) == len(text)
    assert spans(low) == spans(text)
    assert tokens(text) == [t.lower() for t in (text[s:e] for s, e in spans(text))]
    starts, ends = token_spans(text)
    assert starts.dtype == ends.dtype == np.int64


def test_every_code_point_keeps_its_token_class_when_lowered():
    # exhaustive, so the property above holds for all text, not just the examples drawn
    from licenselens.tokens import _class_table

    table = _class_table()
    changed = [cp for cp in range(0x110000) if len(low := chr(cp).lower()) == 1 and table[ord(low)] != table[cp]]
    assert changed == []
