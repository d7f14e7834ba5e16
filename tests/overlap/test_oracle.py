"""The near-copy oracle against brute force (every pair of segments), and on real text."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Levenshtein

from licenselens.tokens import token_spans

from ..conftest import mencius_paragraphs, shakespeare
from .edit_model import Doc, indel, rename, substitute, vocabulary
from .near_truth import code_docs
from .oracle import MIN_SIMILARITY, Oracle

WORDS = ["a", "bb", "ccc", "dddd", "e", "中", "文"]


def brute_force(output: str, source: str, min_chars: int) -> tuple[set[int], set[int], dict[int, int]]:
    """Starts and ends of every qualifying output segment, and each start's furthest end, by trying all pairs."""
    starts, ends = token_spans(output)
    out = [output[s:e].lower() for s, e in zip(starts.tolist(), ends.tolist())]
    s2, e2 = token_spans(source)
    src = [source[s:e].lower() for s, e in zip(s2.tolist(), e2.tolist())]
    firsts: set[int] = set()
    lasts: set[int] = set()
    furthest: dict[int, int] = {}
    for a in range(len(out)):
        for b in range(a + 1, len(out) + 1):
            if ends[b - 1] - starts[a] < min_chars:
                continue
            if any(
                Levenshtein.normalized_similarity(out[a:b], src[c:d]) >= MIN_SIMILARITY
                for c in range(len(src))
                for d in range(c + 1, len(src) + 1)
            ):
                firsts.add(a)
                lasts.add(b)
                furthest[a] = max(furthest.get(a, 0), b)
    return firsts, lasts, furthest


def texts(max_tokens: int):
    return st.lists(st.sampled_from(WORDS), min_size=1, max_size=max_tokens).map(" ".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=texts(9),
    output=texts(9),
    edits=st.lists(st.tuples(st.integers(0, 20), st.sampled_from(WORDS)), max_size=3),
    copy=st.booleans(),
    min_chars=st.integers(1, 14),
    whole=st.booleans(),
)
def test_oracle_equals_brute_force(source, output, edits, copy, min_chars, whole):
    if copy:  # mostly-equal pairs are where the rule's edges are
        words = source.split()
        for position, word in edits:
            words[position % len(words)] = word
        output = " ".join(words)
    firsts, lasts, furthest = brute_force(output, source, min_chars)
    result = Oracle([source], min_chars=min_chars, whole=whole).check(output)
    block = result.blocks.get(0)
    assert (block is not None) == bool(firsts)
    if block is not None:
        starts, ends = token_spans(output)
        a = min(firsts)
        assert block.tokens == (a, furthest[a])
        assert block.extent == (int(starts[a]), int(ends[max(lasts) - 1]))
        assert block.similarity >= MIN_SIMILARITY


def embed(passage: str, rng: random.Random, filler: str) -> tuple[str, int]:
    start = rng.randrange(len(filler) - 3000)
    before, after = filler[start : start + 1500], filler[start + 1500 : start + 3000]
    return before + "\n\n" + passage + "\n\n" + after, len(before) + 2


def test_periodic_substitutions_every_fifth_token_are_a_block_every_fourth_not():
    """Every 5th token replaced: similarity exactly 0.8, a block; every 4th: 0.75, none (runs of 3 tokens)."""
    plays = shakespeare()
    source, filler = plays[:200_000], plays[600_000:]
    vocab = vocabulary([Doc("x", "filler", "en", filler[:50_000])], "en")
    rng = random.Random(5)
    passage = source[100_000:101_500]
    oracle = Oracle([source])
    for rate, expected in ((1 / 5, True), (1 / 4, False)):
        edited, _ = substitute(passage, "en", rng, vocab, rate, "periodic")
        output, at = embed(edited, rng, filler)
        result = oracle.check(output)
        assert (0 in result.blocks) is expected
        if expected:
            block = result.blocks[0]
            assert block.extent[0] <= at + 20 and block.extent[1] >= at + len(edited) - 20
            assert abs(block.source_start_char - 100_000) < 200


def test_regions_find_what_the_whole_search_finds_on_real_text():
    """The seeds' regions are a shortcut: on real edited copies they give the whole search's answer."""
    rng = random.Random(11)
    mencius = "\n".join(mencius_paragraphs())
    plays = shakespeare()
    code = code_docs(6)
    vocab_zh = vocabulary([Doc("x", "zh", "zh", mencius[-20_000:])], "zh")
    vocab_code = vocabulary(code[3:], "code")
    cases = []
    zh_source = mencius[:3_000]
    edited, _ = indel(zh_source[1_000:1_300], "zh", rng, vocab_zh, 1 / 8)
    cases.append((zh_source, mencius[-3_000:-2_700] + edited + mencius[-2_000:-1_800]))
    doc = code[0].text
    start = doc.find("\n", len(doc) // 3) + 1
    end = doc.find("\n", start + 1_000) + 1
    edited, _ = rename(doc, start, end, rng, vocab_code, 2)
    cases.append((doc[start - 1_000 : end + 1_000], code[4].text[:600] + edited + code[5].text[:400]))
    en_source = plays[:4_000]
    vocab_en = vocabulary([Doc("x", "e", "en", plays[-30_000:])], "en")
    edited, _ = substitute(en_source[1_000:2_000], "en", rng, vocab_en, 1 / 6, "random")
    cases.append((en_source, plays[-9_000:-8_400] + edited + plays[-4_000:-3_600]))
    for source, output in cases:
        fast = Oracle([source]).check(output).blocks
        whole = Oracle([source], whole=True).check(output).blocks
        assert whole, "the case must hold a block"
        assert {k: (v.tokens, v.extent) for k, v in fast.items()} == {k: (v.tokens, v.extent) for k, v in whole.items()}


def test_unrelated_text_holds_no_block_and_exact_runs_are_counted():
    plays = shakespeare()
    oracle = Oracle([plays[:100_000], "\n".join(mencius_paragraphs())])
    assert oracle.check(plays[900_000:903_000]).blocks == {}
    start = plays.index("\n", 50_000) + 1
    copied = plays[start : plays.index("\n", start + 600)]
    result = oracle.check("Some words of our own first. " + copied)
    assert result.longest_run[0] == len(token_spans(copied)[0])
    output = "Some words of our own first. " + copied
    block = result.blocks[0]  # the copy and the words before it: 6 more tokens keep the similarity above 0.8
    assert block.tokens == (0, len(token_spans(output)[0])) and block.end_char == len(output)
    assert block.similarity == 1 - 6 / block.tokens[1]
