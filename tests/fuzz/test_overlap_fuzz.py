"""The span finder of the overlap engine on generated outputs, against a real index built by the CLI.

Properties: any text is checked without error; every span is >= n tokens, its tokens are those of the
named source at the given offsets, and it cannot be extended on that source; text copied from a
source is found."""

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from licenselens.overlap import OverlapIndex
from licenselens.overlap.verdict import VERDICTS
from licenselens.tokens import token_spans, tokens

from ..conftest import REPO, mencius_paragraphs, shakespeare

N = 13
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def corpus():
    english = shakespeare()
    docs = [english[i : i + 6_000] for i in range(0, 120_000, 6_000)]
    chinese = mencius_paragraphs()
    docs += ["".join(chinese[i : i + 10]) for i in range(0, 100, 10)]
    docs.append(docs[3][1_000:3_000])  # a passage that occurs twice
    return [{"id": f"d{i:03d}", "text": t} for i, t in enumerate(docs)]


class Docs(dict):
    def __repr__(self):  # a failing example prints this; the texts themselves would fill the screen
        return f"<{len(self)} corpus documents>"


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz-index")
    docs = corpus()
    with open(root / "corpus.jsonl", "w", encoding="utf-8") as fh:
        for doc in docs:
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "licenselens",
            "index",
            "build",
            str(root / "corpus.jsonl"),
            "-o",
            str(root / "index"),
            "-j",
            "1",
            "--shard-size",
            "0.05",
            "--n",
            str(N),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return OverlapIndex(str(root / "index")), Docs({d["id"]: d["text"] for d in docs})


def test_copies_around_n_tokens_long(index):
    # found by the properties below: 12 copied tokens crashed a rewrite of the seed search during its
    # development (IndexError); from 8 (a gram) to n - 1 tokens there are hits but no span
    idx, docs = index
    for doc_id in ("d000", "d020"):  # English and Chinese
        text = docs[doc_id]
        starts, ends = token_spans(text)
        for k in range(1, N + 3):
            output = text[starts[5] : ends[5 + k - 1]]
            result = idx.check(output)
            check_result(idx, docs, output, result)
            assert [s.tokens for s in result.spans] == ([k] if k >= N else []), (doc_id, k)


@st.composite
def outputs(draw, docs):
    """Pieces of corpus documents (some edited) mixed with arbitrary text."""
    ids = sorted(docs)
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            text = docs[draw(st.sampled_from(ids))]
            start = draw(st.integers(0, len(text) - 1))
            piece = text[start : start + draw(st.integers(1, 800))]
            if draw(st.booleans()):
                cut = draw(st.integers(0, len(piece)))
                piece = piece[:cut] + draw(st.text(max_size=8)) + piece[cut + draw(st.integers(0, 5)) :]
            parts.append(piece)
        else:
            parts.append(draw(st.text(max_size=60)))
    return "".join(parts)


def check_result(idx, docs, output, result):
    assert result.verdict in VERDICTS
    assert result.tokens == len(tokens(output)) and result.chars == len(output)
    assert 0.0 <= result.coverage <= 1.0 and all(0.0 <= p <= 1.0 for p in result.precision.values())
    starts, ends = token_spans(output)
    for span in result.spans:
        assert span.tokens >= N and span.chars == span.end_char - span.start_char
        piece = tokens(output[span.start_char : span.end_char])
        assert len(piece) == span.tokens
        assert span.start_char in starts.tolist() and span.end_char in ends.tolist()
        assert 1 <= len(span.sources) <= span.source_count
        a = starts.tolist().index(span.start_char)
        for source in span.sources:
            text = docs[source.doc_id]
            assert tokens(text[source.start_char : source.end_char]) == piece
            # maximal on this source: the tokens just before and after differ (or one side ends)
            s_starts, s_ends = token_spans(text)
            i = s_starts.tolist().index(source.start_char)
            j = s_ends.tolist().index(source.end_char) + 1
            src_tokens = [text[s:e].lower() for s, e in zip(s_starts.tolist(), s_ends.tolist())]
            out_tokens = [output[s:e].lower() for s, e in zip(starts.tolist(), ends.tolist())]
            b = a + span.tokens
            if i > 0 and a > 0:
                assert src_tokens[i - 1] != out_tokens[a - 1]
            if j < len(src_tokens) and b < len(out_tokens):
                assert src_tokens[j] != out_tokens[b]
    # no span contains another
    for x in result.spans:
        for y in result.spans:
            assert x is y or not (y.start_char <= x.start_char and x.end_char <= y.end_char)


@settings(FUZZ, max_examples=300)
@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=400))
def test_arbitrary_unicode_is_checked_without_error(index, text):
    idx, docs = index
    check_result(idx, docs, text, idx.check(text))


@settings(FUZZ, max_examples=300)
@given(st.data())
def test_reported_spans_occur_in_their_sources_and_are_maximal(index, data):
    idx, docs = index
    output = data.draw(outputs(docs))
    result = idx.check(output)
    event(f"outputs with spans: {bool(result.spans)}")  # the statistics show the property was exercised
    check_result(idx, docs, output, result)


@settings(FUZZ, max_examples=200)
@given(st.data())
def test_text_copied_from_a_source_is_found(index, data):
    idx, docs = index
    doc_id = data.draw(st.sampled_from(sorted(docs)))
    text = docs[doc_id]
    starts, ends = token_spans(text)
    i = data.draw(st.integers(0, len(starts) - N))
    j = data.draw(st.integers(i + N, min(len(starts), i + 300)))
    copy = text[starts[i] : ends[j - 1]]
    before, after = data.draw(st.text(max_size=80)), data.draw(st.text(max_size=80))
    output = before + "\n" + copy + "\n" + after
    result = idx.check(output)
    check_result(idx, docs, output, result)
    at = len(before) + 1
    covering = [s for s in result.spans if s.start_char <= at and at + len(copy) <= s.end_char]
    assert covering, (doc_id, i, j)
    assert covering[0].tokens >= j - i
    if covering[0].tokens == j - i and covering[0].source_count <= len(covering[0].sources):
        assert doc_id in {s.doc_id for s in covering[0].sources}
