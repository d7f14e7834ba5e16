"""Verbatim spans against a brute-force reference on real English and Chinese text.

The reference knows nothing of hashes or indexes: it compares token strings of
every output position with every corpus position (a diagonal dynamic program in
numpy) and keeps the runs of at least n tokens that no other run contains.
"""

import json
import random

import numpy as np
import pytest

from licenselens.manifest import manifest_for
from licenselens.overlap import OverlapIndex
from licenselens.overlap.build import IndexSettings, build_index
from licenselens.tokens import token_spans

from ..conftest import mencius_paragraphs, shakespeare

N = 13


def corpus_documents():
    english = shakespeare()
    docs = [english[i:i + 20_000] for i in range(0, 300_000, 20_000)]
    chinese = mencius_paragraphs()
    docs += ["".join(chinese[i:i + 12]) for i in range(0, 240, 12)]
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
    maximal = {iv: occ for iv, occ in runs.items()
               if not any(o != iv and o[0] <= iv[0] and iv[1] <= o[1] for o in runs)}
    return maximal


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    root = tmp_path_factory.mktemp("overlap")
    docs = corpus_documents()
    with open(root / "corpus.jsonl", "w", encoding="utf-8") as fh:
        for doc in docs:
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    build_index(manifest_for(root / "corpus.jsonl"), str(root / "index"), IndexSettings(n=N, gram=8), jobs=1,
                shard_bytes=100_000)
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
            piece = doc[start:start + rng.randint(10, 700)]
            if rng.random() < 0.4:  # an edit inside the copied piece
                cut = rng.randrange(len(piece) + 1)
                piece = piece[:cut] + " zzqx " + piece[cut:]
            parts.append(piece)
            parts.append(rng.choice(["", " The model adds words of its own here. ", "模型自己的話。",
                                     english[-rng.randint(1, 200):]]))
        outputs.append("".join(parts))
    return outputs


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_spans_equal_the_brute_force_reference(index, seed):
    idx, docs = index
    for output in sample_outputs(docs, 12, seed):
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
                assert doc_text[source.start_char:source.end_char].lower() == \
                    output[span.start_char:span.end_char].lower() or \
                    tokens_of(doc_text[source.start_char:source.end_char])[0] == \
                    tokens_of(output[span.start_char:span.end_char])[0]
        coverage = len({t for a, b in expected for t in range(a, b)}) / max(1, len(starts))
        assert result.coverage == pytest.approx(coverage, abs=1e-6)


def test_an_output_equal_to_a_document_and_one_sharing_nothing(index):
    idx, docs = index
    whole = idx.check(docs[20]["text"])
    assert whole.verdict == "verbatim" and whole.coverage == 1.0 and whole.precision["50"] == 1.0
    nothing = idx.check("licenselens keeps its own words here and copies none of them from any play or sage")
    assert nothing.verdict == "transformative" and nothing.spans == () and nothing.coverage == 0.0
