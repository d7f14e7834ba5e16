"""An exhaustive near-copy oracle, written apart from licenselens's engine: the ground truth that measures it.

The rule (rules/overlap.yaml): an output passage ``out[a:b]`` (tokens) is a near copy of a source passage
``src[c:d]`` when ``rapidfuzz.distance.Levenshtein.normalized_similarity(out[a:b], src[c:d]) >= 0.8`` on the
lowercased tokens and the output passage spans at least ``min_chars`` characters (150).

Exactness. ``1 - lev / max(L1, L2) >= 4/5`` holds iff ``5 lev <= L1`` or ``5 lev <= L2``. An alignment of the
two passages with M matches, S substitutions, D output tokens left out and I source tokens left out has
``L1 = M + S + D`` and ``L2 = M + S + I``, so the pair qualifies iff some alignment scores ``>= 0`` under one of
two linear scorings: match +1, substitution -4, and (D, I) costing (-4, -5) or (-5, -4). Whether a start ``a``
begins some qualifying block is then one dynamic programme per start: the best score of alignments from
``(a, any c)`` through row ``bmin(a)`` (the first end giving ``min_chars``) plus the best continuation from there
(a backward local-alignment matrix floored at 0, ending anywhere) is ``>= 0``. Run on the reversed texts it
gives the qualifying ends. No similarity is estimated: the score test is the rule, and every block returned is
checked again with rapidfuzz on its tokens.

Where to look. A qualifying block of L1 >= 16 tokens contains an exact run of 4 tokens (M >= 4 (S + D + I)
leaves at most E + 1 runs for M matches); the seed length q is chosen per output so that the shortest block of
``min_chars`` characters is long enough (4, 3, 2 or 1 tokens), so no document with a block goes unseen. Seeds of
a document are clustered into regions: the rows around the seeds with a margin, and every diagonal a block
through one of the seeds can drift to (indels <= L1 / 4); a region whose qualifying starts or ends come near its
cut edge grows until they do not. Regions are skipped when they cannot hold a block: fewer seed rows than any
block holds (at least M (5 - q) / 4 - (q - 1)), or no stretch of ``min_chars`` where 4 rows in 5 match a token
of the band. The margins are the one shortcut that is not a proof: ``whole=True`` searches every row and every
diagonal of every document, and the tests hold the two equal on real edited copies and on random small inputs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import Levenshtein

from licenselens.tokens import token_spans

MIN_SIMILARITY = 0.8  # the scorings below are derived for 4/5
MATCH, SUBSTITUTION = 1, 4
SCORINGS = ((4, 5), (5, 4))  # (an output token left out, a source token left out)
NEG = -(1 << 28)
_MULT = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class Block:
    """The block of one document: the earliest qualifying start, to its furthest qualifying end."""

    doc: int
    start_char: int  # in the output
    end_char: int
    source_start_char: int
    source_end_char: int
    tokens: tuple[int, int]  # output token range [a, b)
    source_tokens: tuple[int, int]
    similarity: float  # rapidfuzz, on the lowercased tokens
    extent: tuple[int, int]  # output characters from the earliest qualifying start to the latest qualifying end


@dataclass(frozen=True)
class OracleResult:
    tokens: int
    blocks: dict[int, Block]  # doc -> its block, for every document holding one
    longest_run: dict[int, int]  # doc -> longest exact run of equal tokens (counted from q tokens on)
    seed: int  # q used for this output


class _Text:
    def __init__(self, text: str, vocab: dict[str, int]):
        self.text = text
        self.starts, self.ends = token_spans(text)
        words = [text[s:e].lower() for s, e in zip(self.starts.tolist(), self.ends.tolist())]
        self.ids = np.array([vocab.setdefault(w, len(vocab)) for w in words], dtype=np.int64)
        self.words = words

    def __len__(self) -> int:
        return len(self.ids)


def _gram_keys(ids: np.ndarray, q: int) -> np.ndarray:
    """A hash of every q tokens (collisions only add seeds: each is compared token by token)."""
    if len(ids) < q:
        return np.zeros(0, dtype=np.uint64)
    key = np.zeros(len(ids) - q + 1, dtype=np.uint64)
    for k in range(q):
        key = key * _MULT + ids[k : len(ids) - q + 1 + k].astype(np.uint64) + np.uint64(1)
    return key


def seed_length(min_tokens: int) -> int:
    """The longest seed every qualifying block of ``min_tokens`` output tokens or more is sure to contain."""
    if min_tokens >= 16:
        return 4
    if min_tokens >= 6:
        return 3
    return 2 if min_tokens >= 2 else 1


def required_seeds(min_tokens: int, q: int) -> int:
    """Seed positions (distinct output rows) any qualifying block of ``min_tokens`` tokens holds at least."""
    matches = math.ceil(0.8 * min_tokens)
    return max(1, math.ceil(matches * (5 - q) / 4 - (q - 1)))


class _Region:
    """Rows [r0, r1) of the output and diagonals j - i in [lo, hi] (boundary indices)."""

    def __init__(self, r0: int, r1: int, lo: int, hi: int):
        self.r0, self.r1, self.lo, self.hi = r0, r1, lo, hi


class _Scores:
    """A region's cell scores, made once: ``diag[t, k]`` aligns out[r0 + t] with src[j] where j = r0 + t + lo + k
    (NEG where j is outside the source), ``valid[t, k]`` says whether boundary cell (r0 + t, j) exists."""

    def __init__(self, X: np.ndarray, Y: np.ndarray, region: _Region):
        self.ks = np.arange(region.hi - region.lo + 1)
        rows = np.arange(region.r0, region.r1 + 1)
        j = rows[:, None] + region.lo + self.ks[None, :]
        self.valid = (j >= 0) & (j <= len(Y))
        inside = (j[:-1] >= 0) & (j[:-1] < len(Y))
        same = np.zeros(inside.shape, dtype=bool)
        same[inside] = Y[j[:-1][inside]] == np.broadcast_to(X[region.r0 : region.r1, None], inside.shape)[inside]
        self.diag = np.where(same, MATCH, -SUBSTITUTION)
        self.diag[~inside] = NEG
        self.same = same


def _backward(scores: _Scores, region: _Region, wd: int, wi: int) -> np.ndarray:
    """B[i - r0, k]: best score of an alignment starting at boundary cell (i, j), ending anywhere (floored at 0)."""
    ks = scores.ks
    K, rows = len(ks), region.r1 - region.r0
    B = np.full((rows + 1, K), NEG, dtype=np.int64)
    B[rows] = np.where(scores.valid[rows], 0, NEG)
    down = np.full(K, NEG, dtype=np.int64)
    for t in range(rows - 1, -1, -1):
        nxt = B[t + 1]
        E = nxt + scores.diag[t]  # to (i + 1, j + 1): same k
        down[1:] = nxt[:-1] - wd  # to (i + 1, j): k - 1
        np.maximum(E, down, out=E)
        np.maximum(E, 0, out=E)  # stop here
        # to (i, j + 1) (a source token left out): k + 1, a suffix maximum
        row = np.maximum.accumulate((E - wi * ks)[::-1])[::-1] + wi * ks
        row[~scores.valid[t]] = NEG
        B[t] = np.maximum(row, NEG)
    return B


def _qualifying_starts(scores: _Scores, region: _Region, bmin: np.ndarray, wd: int, wi: int) -> set[int]:
    """Starts a in the region such that some block [a, b) with b >= bmin[a], b <= r1, scores >= 0."""
    B = _backward(scores, region, wd, wi)
    ks = scores.ks
    K = len(ks)
    found: set[int] = set()
    H = np.zeros((0, K), dtype=np.int64)
    starts = np.zeros(0, dtype=np.int64)
    for i in range(region.r0, region.r1 + 1):
        t = i - region.r0
        if len(starts):
            new = H + scores.diag[t - 1]  # from (i - 1, j - 1): same k
            up = np.full_like(H, NEG)
            up[:, : K - 1] = H[:, 1:] - wd  # from (i - 1, j): k + 1
            np.maximum(new, up, out=new)
            new[:, ~scores.valid[t]] = NEG
            H = np.maximum.accumulate(new + wi * ks, axis=1) - wi * ks  # from (i, j - 1): k - 1
            H[:, ~scores.valid[t]] = NEG
            np.maximum(H, NEG, out=H)
            best = (H + B[t]).max(axis=1)  # best score of any alignment through row i, per start
            done = bmin[starts] == i
            found.update(starts[done & (best >= 0)].tolist())
            keep = ~done & (best >= 0)  # a start whose best through row i is < 0 can never qualify
            H, starts = H[keep], starts[keep]
        if i < region.r1 and bmin[i] <= region.r1:
            row = np.where(scores.valid[t], 0, NEG)[None, :]
            H, starts = np.concatenate([H, row]), np.append(starts, i)
    return found


def _may_hold_block(scores: _Scores, region: _Region, bmin: np.ndarray) -> bool:
    """A cheap necessary test: a block [a, b) has at least 4/5 of its rows matching a source token of the band."""
    matchable = scores.same.any(axis=1).astype(np.int64)
    gain = np.concatenate(([0], np.cumsum(5 * matchable - 4)))  # gain[b - r0] - gain[a - r0] >= 0 for a block
    best_after = np.maximum.accumulate(gain[::-1])[::-1]
    a = np.arange(region.r0, region.r1)
    b = bmin[a]
    ok = b <= region.r1
    return bool((best_after[b[ok] - region.r0] >= gain[a[ok] - region.r0]).any())


def _furthest(scores: _Scores, region: _Region, a: int, wd: int, wi: int) -> tuple[int, int, int, int] | None:
    """From start a: the furthest end b with an alignment scoring >= 0, and its source range (c, d); or None."""
    ks = scores.ks
    K = len(ks)
    H = np.where(scores.valid[a - region.r0], 0, NEG).astype(np.int64)
    C = a + region.lo + ks  # the source start of each cell's best alignment
    best = None
    up = np.full(K, NEG, dtype=np.int64)
    for i in range(a + 1, region.r1 + 1):
        t = i - region.r0
        diag = H + scores.diag[t - 1]
        up[: K - 1] = H[1:] - wd
        take_up = up > diag
        E = np.where(take_up, up, diag)
        EC = np.where(take_up, np.append(C[1:], 0), C)
        E[~scores.valid[t]] = NEG
        shifted = E + wi * ks
        running = np.maximum.accumulate(shifted)
        origin = np.maximum.accumulate(np.where(shifted == running, ks, -1))
        H = np.maximum(running - wi * ks, NEG)
        H[~scores.valid[t]] = NEG
        C = EC[origin]
        k = int(np.argmax(H))
        if H[k] >= 0:
            best = (i, int(C[k]), i + region.lo + k)
    if best is None:
        return None
    b, c, d = best
    return a, b, c, d


class Oracle:
    """Documents tokenised once; ``check(text)`` gives each document's block in an output, if it has one."""

    def __init__(self, docs: Sequence[str], min_chars: int = 150, whole: bool = False):
        self.vocab: dict[str, int] = {}
        self.docs = [_Text(text, self.vocab) for text in docs]
        self.min_chars = min_chars
        self.whole = whole
        self._tables: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def _table(self, q: int):
        if q not in self._tables:
            keys, docs, pos = [], [], []
            for d, doc in enumerate(self.docs):
                k = _gram_keys(doc.ids, q)
                keys.append(k)
                docs.append(np.full(len(k), d, dtype=np.int64))
                pos.append(np.arange(len(k), dtype=np.int64))
            key, doc_of, pos_of = (np.concatenate(x) if x else np.zeros(0, np.int64) for x in (keys, docs, pos))
            order = np.argsort(key, kind="stable")
            self._tables[q] = (key[order].astype(np.uint64), doc_of[order], pos_of[order])
        return self._tables[q]

    def _seeds(self, out: _Text, q: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every (output position, document, source position) where q tokens are equal."""
        keys, docs, pos = self._table(q)
        mine = _gram_keys(out.ids, q)
        left = np.searchsorted(keys, mine, "left")
        right = np.searchsorted(keys, mine, "right")
        counts = right - left
        total = int(counts.sum())
        if not total:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        i = np.repeat(np.arange(len(mine)), counts)
        first = np.repeat(left - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
        where = first + np.arange(total)
        d, j = docs[where], pos[where]
        same = np.ones(total, dtype=bool)
        for doc in np.unique(d):
            sel = d == doc
            ids = self.docs[int(doc)].ids
            for k in range(q):
                same[sel] &= ids[j[sel] + k] == out.ids[i[sel] + k]
        return i[same], d[same], j[same]

    def check(self, text: str) -> OracleResult:
        out = _Text(text, self.vocab)
        n = len(out)
        if not n:
            return OracleResult(0, {}, {}, 0)
        # bmin[a]: the first end b giving min_chars characters from token a (n + 1 when none does)
        bmin = np.searchsorted(out.ends, out.starts + self.min_chars, "left") + 1
        bmin = np.where(bmin <= n, bmin, n + 1).astype(np.int64)
        reachable = bmin <= n
        if not reachable.any():
            return OracleResult(n, {}, {}, 0)
        min_tokens = int((bmin - np.arange(n))[reachable].min())
        q = seed_length(min_tokens)
        i_pos, d_of, j_pos = self._seeds(out, q)
        longest = _longest_runs(i_pos, d_of, j_pos, q)
        need = required_seeds(min_tokens, q)
        blocks: dict[int, Block] = {}
        for doc in np.unique(d_of).tolist() if not self.whole else range(len(self.docs)):
            src = self.docs[doc]
            if self.whole:
                regions = [_Region(0, n, -n, len(src))] if len(src) else []
            else:
                sel = d_of == doc
                regions = _regions(i_pos[sel], j_pos[sel], q, n, need)
            block = self._doc_block(out, src, doc, regions, bmin)
            if block is not None:
                blocks[doc] = block
        return OracleResult(n, blocks, longest, q)

    def _doc_block(self, out: _Text, src: _Text, doc: int, regions: list[_Region], bmin: np.ndarray) -> Block | None:
        n, m = len(out), len(src)
        X, Y = out.ids, src.ids
        # the same search on the reversed texts gives the qualifying ends: rbmin[s'] for reversed start s' = n - b
        a_max = np.searchsorted(out.starts, out.ends - self.min_chars, "right") - 1  # per end token b - 1
        rbmin = np.full(n + 1, n + 1, dtype=np.int64)
        ok = a_max >= 0
        rbmin[:n][ok[::-1]] = (n - a_max[::-1])[ok[::-1]]
        Xr, Yr = X[::-1].copy(), Y[::-1].copy()
        starts: set[int] = set()
        ends: set[int] = set()
        best: tuple[int, int, int, int] | None = None
        bmin_all = np.append(bmin, n + 1)
        done: list[_Region] = []
        for region in regions:
            if any(_contains(big, region) for big in done):
                continue  # every alignment inside it was already searched
            for _ in range(12):
                scores = _Scores(X, Y, region)
                region_starts: set[int] = set()
                region_ends: set[int] = set()
                if not _may_hold_block(scores, region, bmin_all):
                    break
                for wd, wi in SCORINGS:
                    region_starts |= _qualifying_starts(scores, region, bmin_all, wd, wi)
                if not region_starts:
                    break
                reversed_region = _Region(n - region.r1, n - region.r0, m - n - region.hi, m - n - region.lo)
                reversed_scores = _Scores(Xr, Yr, reversed_region)
                for wd, wi in SCORINGS:
                    found = _qualifying_starts(reversed_scores, reversed_region, rbmin, wd, wi)
                    region_ends |= {n - s for s in found}
                grow = _edge_room(region, region_starts, region_ends, n)
                if not grow or self.whole:
                    break
                region = _grown(region, grow, n)
            done.append(region)
            starts |= region_starts
            ends |= region_ends
            if region_starts:
                a = min(region_starts)
                for wd, wi in SCORINGS:
                    block = _furthest(scores, region, a, wd, wi)
                    if block and out.ends[block[1] - 1] - out.starts[a] >= self.min_chars:
                        if best is None or (block[0], -block[1]) < (best[0], -best[1]):
                            best = block
        if best is None:
            return None
        a, b, c, d = best
        similarity = Levenshtein.normalized_similarity(out.words[a:b], src.words[c:d])
        assert similarity >= MIN_SIMILARITY, (doc, a, b, c, d, similarity)
        return Block(
            doc,
            int(out.starts[a]),
            int(out.ends[b - 1]),
            int(src.starts[c]),
            int(src.ends[d - 1]),
            (a, b),
            (c, d),
            similarity,
            (int(out.starts[min(starts)]), int(out.ends[max(ends) - 1])),
        )


EDGE = 8  # a block closer than this to a region's cut edge may go on past it: the region grows


def _edge_room(region: _Region, starts: set[int], ends: set[int], n: int) -> tuple[bool, bool] | None:
    top = region.r0 > 0 and bool(starts) and min(starts) < region.r0 + EDGE
    bottom = region.r1 < n and bool(ends) and max(ends) > region.r1 - EDGE
    return (top, bottom) if top or bottom else None


def _contains(big: _Region, small: _Region) -> bool:
    return big.r0 <= small.r0 and small.r1 <= big.r1 and big.lo <= small.lo and small.hi <= big.hi


def _grown(region: _Region, grow: tuple[bool, bool], n: int) -> _Region:
    rows = region.r1 - region.r0
    r0 = max(0, region.r0 - rows) if grow[0] else region.r0
    r1 = min(n, region.r1 + rows) if grow[1] else region.r1
    pad = (r1 - r0) // 4 + 2 - ((region.r1 - region.r0) // 4 + 2)
    return _Region(r0, r1, region.lo - pad, region.hi + pad)


def _regions(i_pos: np.ndarray, j_pos: np.ndarray, q: int, n: int, need: int) -> list[_Region]:
    """Seeds of one document clustered (near in the output, on near diagonals) into regions worth aligning."""
    order = np.lexsort((j_pos, i_pos))
    clusters: list[list] = []  # [last i, last diagonal, rows set, i min, i max, diag min, diag max]
    active: list[list] = []
    for i, j in zip(i_pos[order].tolist(), j_pos[order].tolist()):
        diag = j - i
        # a seedless stretch of a qualifying block is short beside the seeded rest (each edit there costs more
        # than its runs of < q matches gain): a cluster reaches as far as 4 tokens per seed row, and more
        active = [c for c in active if i - c[0] <= 4 * (len(c[2]) + q) + 32]
        chosen = None
        for cluster in active:
            gap = i - cluster[0]
            if abs(diag - cluster[1]) <= 8 + gap // 4 and (chosen is None or abs(diag - cluster[1]) < chosen[0]):
                chosen = (abs(diag - cluster[1]), cluster)
        if chosen is None:
            clusters.append([i, diag, {i}, i, i, diag, diag])
            active.append(clusters[-1])
        else:
            c = chosen[1]
            c[0], c[1] = i, diag
            c[2].add(i)
            c[3], c[4], c[5], c[6] = min(c[3], i), max(c[4], i), min(c[5], diag), max(c[6], diag)
    boxes = []
    for _, _, rows, i0, i1, d0, d1 in clusters:
        span = i1 - i0 + q
        margin = span // 4 + q + 16
        boxes.append([max(0, i0 - margin), min(n, i1 + q + margin), d0, d1, set(rows)])
    # boxes that overlap (rows and diagonals) are one region
    merged = True
    while merged:
        merged = False
        boxes.sort(key=lambda b: (b[0], b[2]))
        result: list[list] = []
        for box in boxes:
            for other in result:
                if box[0] < other[1] and other[0] < box[1] and box[2] <= other[3] and other[2] <= box[3]:
                    other[0], other[1] = min(other[0], box[0]), max(other[1], box[1])
                    other[2], other[3] = min(other[2], box[2]), max(other[3], box[3])
                    other[4] |= box[4]
                    merged = True
                    break
            else:
                result.append(box)
        boxes = result
    regions = []
    for r0, r1, d0, d1, rows in sorted(boxes, key=lambda b: -len(b[4])):  # the most seeds first: it may grow
        if len(rows) < need:  # to contain the others
            continue
        pad = (r1 - r0) // 4 + 2
        regions.append(_Region(r0, r1, d0 - pad, d1 + pad))
    return regions


def _longest_runs(i_pos: np.ndarray, d_of: np.ndarray, j_pos: np.ndarray, q: int) -> dict[int, int]:
    """Per document, the longest run of equal tokens (of at least q tokens), from the seeds along diagonals."""
    if not len(i_pos):
        return {}
    diag = j_pos - i_pos
    order = np.lexsort((i_pos, diag, d_of))
    i, d, g = i_pos[order], d_of[order], diag[order]
    breaks = np.ones(len(i), dtype=bool)
    breaks[1:] = (d[1:] != d[:-1]) | (g[1:] != g[:-1]) | (i[1:] != i[:-1] + 1)
    run_id = np.cumsum(breaks) - 1
    lengths = np.bincount(run_id) + q - 1
    run_doc = d[breaks]
    longest: dict[int, int] = {}
    for doc, length in zip(run_doc.tolist(), lengths.tolist()):
        longest[doc] = max(longest.get(doc, 0), length)
    return longest
