import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from licenselens.tokens import TOKEN_PATTERN, count_tokens, token_spans, tokens

from .conftest import mencius_paragraphs, shakespeare


def reference(text):
    return [(m.start(), m.end()) for m in TOKEN_PATTERN.finditer(text)]


def spans(text):
    starts, ends = token_spans(text)
    return list(zip(starts.tolist(), ends.tolist()))


def test_vectorised_tokens_equal_the_pattern_on_real_english_and_chinese():
    english = shakespeare()
    chinese = "\n".join(mencius_paragraphs())
    rng = random.Random(7)
    for text in (english, chinese):
        assert spans(text) == reference(text)
        for _ in range(20):
            a = rng.randrange(len(text))
            piece = text[a : a + rng.randrange(1, 3000)]
            assert spans(piece) == reference(piece)
            assert count_tokens(piece) == len(reference(piece))


def test_each_cjk_character_is_a_token_and_words_keep_offsets():
    text = "孟子見梁惠王。Hello, WORLD_2 café 東京タワー x²"
    assert tokens(text) == [
        "孟",
        "子",
        "見",
        "梁",
        "惠",
        "王",
        "hello",
        "world",
        "2",
        "café",
        "東",
        "京",
        "タ",
        "ワ",
        "ー",
        "x²",
    ]
    for start, end in spans(text):
        assert text[start:end].strip() == text[start:end]


def test_empty_and_tokenless_texts():
    assert spans("") == [] and count_tokens("") == 0
    assert spans(" \n\t—!") == [] and count_tokens("...") == 0


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_vectorised_tokens_equal_the_pattern_on_any_text(text):
    assert spans(text) == reference(text)
    assert count_tokens(text) == len(reference(text))
    starts, ends = token_spans(text)
    assert starts.dtype == np.int64 and np.all(ends > starts)
