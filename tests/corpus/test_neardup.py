"""Near-duplicate signatures and decisions (corpus/neardup.py), on real text."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
from datasketch import MinHash

from licenselens.corpus.neardup import NONE, DedupSettings, NearDuplicates, comparable, dedup_settings, signature
from licenselens.overlap.hashing import ngram_hashes, token_hashes
from licenselens.signals.anchors import lowered

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
PLAYS = (SHARED / "tinyshakespeare.txt").read_text(encoding="utf-8")


def _shingles(text: str, k: int) -> set[int]:
    tokens = token_hashes(lowered(text))[2]
    return set(ngram_hashes(tokens, k).astype(np.uint32).tolist())


def test_signature_is_datasketchs():
    """The vectorised signature equals datasketch's own update_batch, value for value."""
    settings = dedup_settings()
    for start in (0, 50_000, 400_000):
        text = PLAYS[start : start + 6_000]
        sketch = MinHash(num_perm=settings.num_perm, seed=settings.seed, scheme="affine32", hashfunc=int)
        sketch.update_batch(sorted(_shingles(text, settings.shingle_tokens)))
        assert np.array_equal(sketch.hashvalues, signature(text, settings))


def test_short_documents_are_not_compared():
    settings = dedup_settings()
    assert not comparable(signature("Thank you very much!", settings))
    assert (signature("", settings) == NONE).all()


def _edited(text: str, every: int, rng: random.Random) -> str:
    words = text.split(" ")
    return " ".join("zzz" + w if i % every == 0 and rng.random() < 0.9 else w for i, w in enumerate(words))


def test_estimate_tracks_true_jaccard():
    """On 40 real passage pairs, edited at several rates, the estimate is within 4 standard errors."""
    settings, rng = dedup_settings(), random.Random(7)
    for i in range(40):
        start = rng.randrange(0, len(PLAYS) - 5_000)
        a = PLAYS[start : start + 4_000]
        b = _edited(a, rng.choice((8, 15, 30, 60)), rng)
        true = len(_shingles(a, 5) & _shingles(b, 5)) / len(_shingles(a, 5) | _shingles(b, 5))
        estimate = float(np.mean(signature(a, settings) == signature(b, settings)))
        assert abs(estimate - true) <= 4 * (true * (1 - true) / settings.num_perm) ** 0.5 + 0.01, (i, true, estimate)


def test_first_kept_document_wins_and_chains_do_not_drop_the_far_end():
    settings = DedupSettings(threshold=0.8)
    base = PLAYS[10_000:14_000]
    near = base.replace(" the ", " thee ", 4)
    other = PLAYS[200_000:204_000]
    found = NearDuplicates(settings)
    decisions = []
    for position, text in enumerate((base, other, near, near)):
        values = signature(text, settings)
        match = found.match(values)
        decisions.append(match.first if match else None)
        if match is None:
            found.keep(position, values)
    assert decisions == [None, None, 0, 0]
    # A ~ B and B ~ C but not A ~ C: B is dropped, so C is compared with A only and kept
    words = PLAYS[300_000:310_000].split()
    a = " ".join(words)
    b = " ".join(w if i % 50 else "B" + w for i, w in enumerate(words))
    c = " ".join(w if i % 50 != 25 else "C" + w for i, w in enumerate(b.split(" ")))
    sim = {
        pair: float(np.mean(signature(x, settings) == signature(y, settings)))
        for pair, (x, y) in {"ab": (a, b), "bc": (b, c), "ac": (a, c)}.items()
    }
    assert sim["ab"] >= 0.8 and sim["bc"] >= 0.8 and sim["ac"] < 0.8, sim  # the case is what it claims
    chain = NearDuplicates(settings)
    kept = []
    for position, text in enumerate((a, b, c)):
        values = signature(text, settings)
        if chain.match(values) is None:
            chain.keep(position, values)
            kept.append(position)
    assert kept == [0, 2]


def test_lsh_finds_every_pair_over_the_threshold():
    """The banding is a prefilter only: of 80 real pairs whose signatures agree on >= threshold, none is missed."""
    settings, rng = dedup_settings(), random.Random(11)
    over = 0
    for _ in range(80):
        start = rng.randrange(0, len(PLAYS) - 4_000)
        a = PLAYS[start : start + 3_000]
        b = _edited(a, rng.choice((40, 60, 100, 200)), rng)
        va, vb = signature(a, settings), signature(b, settings)
        if float(np.mean(va == vb)) < settings.threshold:
            continue
        over += 1
        found = NearDuplicates(settings)
        found.keep(0, va)
        assert found.match(vb) is not None
    assert over >= 40
