"""Near-duplicate signatures and decisions (corpus/neardup.py), on real text."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
from datasketch import MinHash

from licenselens.corpus.neardup import NONE, DedupSettings, band_keys, comparable, dedup_settings, signature
from licenselens.corpus.repeats import NearDuplicates
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


def _keys(values: np.ndarray, settings: DedupSettings) -> np.ndarray:
    return band_keys(values[None, :], settings)[0]


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
        match = found.match(values, _keys(values, settings))
        decisions.append(match.first if match else None)
        if match is None:
            found.keep(position, str(position), values, _keys(values, settings))
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
        if chain.match(values, _keys(values, settings)) is None:
            chain.keep(position, str(position), values, _keys(values, settings))
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
        found.keep(0, "a", va, _keys(va, settings))
        assert found.match(vb, _keys(vb, settings)) is not None
    assert over >= 40


def _windows(count: int, seed: int) -> list[str]:
    """Overlapping windows of the plays, some edited: many near duplicates, with many candidates each."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        start = rng.randrange(0, 60_000)
        text = PLAYS[start : start + rng.randrange(800, 3_000)]
        texts.append(_edited(text, rng.choice((50, 100, 400)), rng) if rng.random() < 0.3 else text)
    return texts


def _datasketch_decisions(signatures: np.ndarray, settings: DedupSettings) -> list[int | None]:
    """The oracle: datasketch's own MinHashLSH with the same banding; candidates checked in kept order."""
    from datasketch import LeanMinHash, MinHashLSH

    lsh = MinHashLSH(num_perm=settings.num_perm, params=(settings.lsh_bands, settings.lsh_rows))
    kept: dict[int, np.ndarray] = {}
    needed = int(np.ceil(settings.threshold * settings.num_perm - 1e-9))
    decisions: list[int | None] = []
    for position, values in enumerate(signatures):
        sketch = LeanMinHash(seed=settings.seed, hashvalues=values, scheme="affine32")
        first = next((c for c in sorted(lsh.query(sketch)) if np.count_nonzero(kept[c] == values) >= needed), None)
        decisions.append(first)
        if first is None:
            lsh.insert(position, sketch)
            kept[position] = values
    return decisions


def test_decisions_equal_datasketchs_in_memory_and_in_the_file(tmp_path):
    """The band tables give datasketch's MinHashLSH decisions, and the same once most of what was kept has
    moved to the SQLite file (memory_documents small), which is removed at close."""
    texts = _windows(400, seed=3)
    settings = DedupSettings()
    for memory in (10**6, 25):
        signatures = np.array([signature(t, settings) for t in texts])
        keys = band_keys(signatures, settings)
        found = NearDuplicates(settings, str(tmp_path), memory)
        decisions: list[int | None] = []
        for position, values in enumerate(signatures):
            match = found.match(values, keys[position])
            decisions.append(match.first if match else None)
            if match is None:
                found.keep(position, f"d{position}", values, keys[position])
        expected = _datasketch_decisions(signatures, settings)
        assert decisions == expected
        assert sum(d is not None for d in decisions) >= 100  # the case has many near duplicates
        if memory == 25:
            assert found.base >= 250 and len(found.positions) < 25  # most in the file, the rest in memory
            assert len(list(tmp_path.iterdir())) == 1
        found.close()
        assert not list(tmp_path.iterdir())


def test_seen_texts_keep_the_first_name_in_memory_and_in_the_file(tmp_path):
    from licenselens.corpus.repeats import SeenTexts

    seen = SeenTexts(str(tmp_path), memory=3)
    for n in range(10):
        if seen.first(f"digest{n % 7}") is None:  # as the merge and clean do
            seen.add(f"digest{n % 7}", f"doc{n}")
    assert [seen.first(f"digest{n}") for n in range(8)] == [f"doc{n}" for n in range(7)] + [None]
    seen.close()
    assert not list(tmp_path.iterdir())


def test_the_file_answers_lookups_with_more_candidates_than_a_query_can_name(tmp_path):
    """Boilerplate: 2,000 kept documents share one band; the similar one is the 1,500th (in the file)."""
    settings = DedupSettings()
    rng = np.random.default_rng(1)
    shared = rng.integers(0, 2**32 - 1, size=settings.lsh_rows, dtype=np.uint32)
    kept = rng.integers(0, 2**32 - 1, size=(2_000, settings.num_perm), dtype=np.uint32)
    kept[:, : settings.lsh_rows] = shared
    query = kept[1_500].copy()
    query[-10:] = rng.integers(0, 2**32 - 1, size=10, dtype=np.uint32)  # 118 of 128 equal
    found = NearDuplicates(settings, str(tmp_path), memory=100)
    keys = band_keys(kept, settings)
    for position in range(len(kept)):
        found.keep(position, f"d{position}", kept[position], keys[position])
    assert found.base >= 1_900
    match = found.match(query, band_keys(query[None, :], settings)[0])
    assert match is not None and (match.first, match.name) == (1_500, "d1500")
    found.close()
