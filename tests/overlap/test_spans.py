"""Verbatim spans against a brute-force reference on real English and Chinese text.

The reference knows nothing of hashes or indexes: it compares token strings of
every output position with every corpus position (a diagonal dynamic program in
numpy) and keeps the runs of at least n tokens that no other run contains.
"""

import json
import random

import numpy as np
import pytest

from licenselens.overlap import OverlapIndex
from licenselens.overlap.build import IndexSettings, build_index
from licenselens.sources.manifest import manifest_for
from licenselens.tokens import token_spans

from ..conftest import mencius_paragraphs, scancode_licence_text, shakespeare, strip_front_matter

N = 13


def corpus_documents():
    english = shakespeare()
    docs = [english[i : i + 20_000] for i in range(0, 300_000, 20_000)]
    chinese = mencius_paragraphs()
    docs += ["".join(chinese[i : i + 12]) for i in range(0, 240, 12)]
    docs.append(docs[2][5_000:9_000])  # text that occurs twice in the corpus
    return [{"id": f"d{i:03d}", "text": t} for i, t in enumerate(docs)]


def tokens_of(text):
    starts, ends = token_spans(text)
    return [text[s:e].lower() for s, e in zip(starts.tolist(), ends.tolist())], starts, ends


def brute_force(output, docs, n):
    vocabulary = {}
    corpus_ids, owner, position = [], [], []
    for d, doc in enumerate(docs):
        toks = tokens_of(doc["text"])[0]
        corpus_ids += [vocabulary.setdefault(t, len(vocabulary)) for t in toks] + [-1]
        owner += [d] * (len(toks) + 1)
        position += list(range(len(toks))) + [-1]
    corpus_ids = np.array(corpus_ids)
    out = [vocabulary.get(t, -2) for t in tokens_of(output)[0]]
    runs = {}  # (a, b) -> occurrences (doc, source token start)
    length = np.zeros(len(corpus_ids) + 1, dtype=np.int64)
    for i, token in enumerate(out + [-3]):
        match = corpus_ids == token
        new = np.zeros_like(length)
        new[1:] = np.where(match, length[:-1] + 1, 0)
        # length[k]: run of equal tokens ending at corpus position k - 1 and output token i - 1
        ended = np.flatnonzero((length[:-1] >= n) & (new[1:] == 0))  # ... that does not go on
        for k in ended.tolist():
            run = int(length[k])
            a, b = i - run, i
            runs.setdefault((a, b), []).append((owner[k - 1], position[k - 1] - run + 1))
        length = new
    maximal = {
        iv: occ for iv, occ in runs.items() if not any(o != iv and o[0] <= iv[0] and iv[1] <= o[1] for o in runs)
    }
    return maximal


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    root = tmp_path_factory.mktemp("overlap")
    docs = corpus_documents()
    with open(root / "corpus.jsonl", "w", encoding="utf-8") as fh:
        for doc in docs:
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    build_index(
        manifest_for(root / "corpus.jsonl"),
        str(root / "index"),
        IndexSettings(n=N, gram=8),
        jobs=1,
        shard_bytes=100_000,
    )
    return OverlapIndex(str(root / "index")), docs


def sample_outputs(docs, count, seed):
    rng = random.Random(seed)
    english = shakespeare()
    outputs = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 4)):
            doc = rng.choice(docs)["text"]
            start = rng.randrange(len(doc))
            piece = doc[start : start + rng.randint(10, 700)]
            if rng.random() < 0.4:  # an edit inside the copied piece
                cut = rng.randrange(len(piece) + 1)
                piece = piece[:cut] + " zzqx " + piece[cut:]
            parts.append(piece)
            parts.append(
                rng.choice(
                    ["", " The model adds words of its own here. ", "模型自己的話。", english[-rng.randint(1, 200) :]]
                )
            )
        outputs.append("".join(parts))
    return outputs


def assert_equals_reference(idx, docs, output):
    """Spans, counts, listed sources and offsets of a check against the brute-force reference."""
    expected = brute_force(output, docs, N)
    result = idx.check(output)
    _, starts, ends = tokens_of(output)
    got = {}
    for span in result.spans:
        a = int(np.searchsorted(starts, span.start_char))
        b = int(np.searchsorted(ends, span.end_char)) + 1
        assert span.tokens == b - a and span.chars == span.end_char - span.start_char
        got[(a, b)] = span
    assert set(got) == set(expected), output[:200]  # 100 % recall and precision of spans >= n tokens
    for interval, span in got.items():
        occurrences = expected[interval]
        assert span.source_count == len(occurrences)
        listed = {(int(s.doc_id[1:]), s.start_char) for s in span.sources}
        wanted = set()
        for d, p in occurrences:
            _, s_starts, _ = tokens_of(docs[d]["text"])
            wanted.add((d, int(s_starts[p])))
        assert listed <= wanted and len(listed) == min(len(wanted), 5)
        for source in span.sources:  # the offsets point at the same text
            doc_text = docs[int(source.doc_id[1:])]["text"]
            assert (
                doc_text[source.start_char : source.end_char].lower() == output[span.start_char : span.end_char].lower()
                or tokens_of(doc_text[source.start_char : source.end_char])[0]
                == tokens_of(output[span.start_char : span.end_char])[0]
            )
    coverage = len({t for a, b in expected for t in range(a, b)}) / max(1, len(starts))
    assert result.coverage == pytest.approx(coverage, abs=1e-6)
    return result, expected


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_spans_equal_the_brute_force_reference(index, seed):
    idx, docs = index
    for output in sample_outputs(docs, 12, seed):
        assert_equals_reference(idx, docs, output)


def test_an_output_equal_to_a_document_and_one_sharing_nothing(index):
    idx, docs = index
    whole = idx.check(docs[20]["text"])
    assert whole.verdict == "verbatim" and whole.coverage == 1.0 and whole.precision["50"] == 1.0
    assert whole.near_copies == ()  # one span covers the output: no chain is aligned
    # an exact copy of 150 characters or more but under 50 tokens is near-verbatim, block aligned or not
    spans = ((d["text"], *tokens_of(d["text"])[1:]) for d in docs)
    passage = next(
        text[starts[k] : ends[k + 39]]
        for text, starts, ends in spans
        for k in range(0, len(starts) - 40, 40)
        if ends[k + 39] - starts[k] >= 160
    )
    for output in (passage, "Here it is: " + passage + " Thanks"):
        short = idx.check(output)
        assert short.longest_span_tokens == 40 and short.verdict == "near-verbatim", output
    nothing = idx.check("licenselens keeps its own words here and copies none of them from any play or sage")
    assert nothing.verdict == "transformative" and nothing.spans == () and nothing.coverage == 0.0
    # n-grams of the corpus with other words on both sides: hits, but none can reach n tokens
    _, starts, ends = tokens_of(docs[20]["text"])
    pieces = [docs[20]["text"][starts[k] : ends[k + 7]] for k in range(0, 450, 9)]
    short = idx.check(" licenselens ".join(["here", *pieces, "there"]))
    assert short.spans == () and short.coverage == 0.0


# A passage that the corpus holds hundreds of times (a licence, generated code): every copy is an occurrence,
# many copies are cut short or edited (runs inside the span), some are laid out differently (same tokens,
# other text). The engine must give the reference's spans and counts while checking only the listed sources.
COPIES = 300


def boilerplate_documents():
    english = shakespeare()
    passage = strip_front_matter(scancode_licence_text("apache-2.0").read_text(encoding="utf-8"))[:2400]
    passage = passage[: passage.rindex(" ")]
    words = passage.split()
    docs = []
    for i in range(COPIES):
        before, after = english[i * 900 : i * 900 + 400], english[i * 900 + 400 : i * 900 + 800]
        if i % 10 == 3:  # the same tokens, other text: a comment block
            copy = "\n".join("# " + " ".join(words[j : j + 7]) + " --" for j in range(0, len(words), 7))
        elif i % 10 == 7:  # cut short: a run inside the whole passage's
            copy = " ".join(words[: 40 + 3 * i % 200])
        elif i % 10 == 5:  # one word changed: two runs
            cut = 20 + i % 150
            copy = " ".join(words[:cut] + ["zzqx"] + words[cut + 1 :])
        else:
            copy = passage
        docs.append(before + "\n" + copy + "\n" + after)
    return [{"id": f"d{i:03d}", "text": t} for i, t in enumerate(docs)], passage


@pytest.fixture(scope="module")
def boilerplate(tmp_path_factory):
    root = tmp_path_factory.mktemp("boilerplate")
    docs, passage = boilerplate_documents()
    with open(root / "corpus.jsonl", "w", encoding="utf-8") as fh:
        for doc in docs:
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    build_index(
        manifest_for(root / "corpus.jsonl"),
        str(root / "index"),
        IndexSettings(n=N, gram=8),
        jobs=1,
        shard_bytes=200_000,
    )
    return str(root / "index"), docs, passage


def boilerplate_outputs(docs, passage):
    english = shakespeare()
    words = passage.split()
    return [
        passage,
        " ".join(words[:90] + ["qqzx"] + words[91:]),  # an edit: two spans, each held hundreds of times
        docs[123]["text"],  # one whole document: one span, its own source
        docs[57]["text"][:600] + " " + " ".join(words[100:160]) + " " + english[-300:],
        docs[13]["text"],  # the comment-block layout
        english[200_000:200_500] + passage[300:1500] + english[100_000:100_400],
    ]


def test_a_passage_held_hundreds_of_times_gives_the_reference_spans(boilerplate):
    path, docs, passage = boilerplate
    idx = OverlapIndex(path)
    checked = []
    verified = idx.verified
    idx.verified = lambda *args: checked.append(args[1:]) or verified(*args)
    for output in boilerplate_outputs(docs, passage):
        checked.clear()
        result, expected = assert_equals_reference(idx, docs, output)
        # only the sources a span lists are read (every occurrence here is a true one, so none is skipped)
        assert len(checked) == sum(len(s.sources) for s in result.spans)
        starts = tokens_of(output)[1]
        for span in result.spans:  # the first five occurrences, in document order
            a = int(np.searchsorted(starts, span.start_char))
            first = sorted(expected[(a, a + span.tokens)])[:5]
            assert [int(s.doc_id[1:]) for s in span.sources] == [d for d, _ in first]
    whole = idx.check(passage)
    assert whole.spans[0].source_count > 200 and len(whole.spans[0].sources) == 5


def capped_reference(idx, docs, output, limit):
    """Spans as defined with a per-n-gram limit, the plain way: each of the first ``limit`` postings of each
    output n-gram whose tokens are equal seeds the maximal run of equal tokens through it (token strings
    compared one by one); runs of at least n tokens that no other run contains are spans."""
    from licenselens.overlap.hashing import ngram_hashes, token_hashes

    out_tokens = tokens_of(output)[0]
    _, _, hashes = token_hashes(output.lower())
    grams = ngram_hashes(hashes, idx.gram)
    (part,) = idx.arrays.parts  # one part (its arrays here): its postings are the index's
    postings = part.postings
    doc_tokens = {}
    runs = set()
    for p, g in enumerate(grams.tolist()):
        first = int(np.searchsorted(part.hashes, np.uint64(g)))
        for row in range(first, min(first + limit, len(postings))):
            if int(postings[row]["hash"]) != g:
                break
            doc, s = int(postings[row]["doc"]), int(postings[row]["pos"])
            src = doc_tokens.setdefault(doc, tokens_of(docs[int(idx.meta(doc)["doc_id"][1:])]["text"])[0])
            if src[s : s + idx.gram] != out_tokens[p : p + idx.gram]:
                continue
            a, b = p, p + idx.gram
            while a > 0 and a - 1 + s - p >= 0 and out_tokens[a - 1] == src[a - 1 + s - p]:
                a -= 1
            while b < len(out_tokens) and b + s - p < len(src) and out_tokens[b] == src[b + s - p]:
                b += 1
            if b - a >= idx.n:
                runs.add((a, b, doc, s - p))
    intervals = {(a, b) for a, b, _, _ in runs}
    maximal = {iv for iv in intervals if not any(o != iv and o[0] <= iv[0] and iv[1] <= o[1] for o in intervals)}
    return {iv: sorted((doc, d) for a, b, doc, d in runs if (a, b) == iv) for iv in maximal}


def test_runs_through_n_grams_beyond_the_per_n_gram_limit(boilerplate):
    """With a low limit most copies get hits only where the passage meets their own text: the runs are
    followed from there across the passage, and the pieces of one run between hits are joined."""
    path, docs, passage = boilerplate
    idx = OverlapIndex(path)
    idx.rules = {**idx.rules, "max_hits_per_ngram": 12}
    words = passage.split()
    outputs = boilerplate_outputs(docs, passage) + [
        docs[251]["text"],
        docs[288]["text"][:900],
        docs[250]["text"][-1500:] + docs[260]["text"][:1200],
    ]
    outputs.append(docs[200]["text"][:450] + " " + " ".join(words[:120]))
    for output in outputs:
        expected = capped_reference(idx, docs, output, 12)
        result = idx.check(output)
        _, starts, ends = tokens_of(output)
        got = {
            (int(np.searchsorted(starts, s.start_char)), int(np.searchsorted(ends, s.end_char)) + 1): s
            for s in result.spans
        }
        assert set(got) == set(expected), output[:200]
        for interval, span in got.items():
            assert span.source_count == len(expected[interval])
            assert [int(s.doc_id[1:]) for s in span.sources] == [d for d, _ in expected[interval][:5]]


def test_a_span_of_exactly_n_tokens_when_n_equals_gram(tmp_path):
    """With n equal to gram, a run of n tokens with other words on both sides is a span (the filter of hits
    whose neighbours differ applies only when n is longer than the n-gram)."""
    text = "First Citizen: Before we proceed any further, hear me speak. All: Speak, speak. You are all resolved."
    (tmp_path / "corpus.jsonl").write_text(json.dumps({"id": "d0", "text": text}) + "\n", encoding="utf-8")
    build_index(manifest_for(tmp_path / "corpus.jsonl"), str(tmp_path / "index"), IndexSettings(n=8, gram=8), jobs=1)
    result = OverlapIndex(str(tmp_path / "index")).check("xyzzy me speak. All: Speak, speak. You are all plugh")
    assert [span.tokens for span in result.spans] == [8]
