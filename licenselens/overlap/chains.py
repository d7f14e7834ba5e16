"""Co-linear chains of seed hits: where an output may hold an edited copy of a source passage.

A hit is (output position, source position) in one document; its diagonal is
their difference. A copy with substitutions keeps its hits on one diagonal, one
with insertions and deletions lets the diagonal drift a little from hit to hit,
and a reordered copy puts its sentences on several diagonals. So, per document,
hits are grouped into bands of close diagonals (sorted diagonals less than
``drift`` apart), and a band is cut into chains where the output skips more
than ``gap`` tokens: each chain is one candidate passage, aligned afterwards.
As read-mappers chain seed hits (minimap2; BLAST's two hits), but with numpy
over all hits of an output at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Chain:
    """Hits of one document that may be one copied passage: token ranges [start, end) in both texts."""

    doc: int
    out_start: int
    out_end: int
    source_start: int  # token positions within the document
    source_end: int
    hits: int  # distinct output positions with a hit


def chains(
    out_pos: np.ndarray,
    doc: np.ndarray,
    local: np.ndarray,
    size: int,
    drift: int,
    gap: int,
    min_hits: int,
    limit: int | None = None,
) -> list[Chain]:
    """The first ``limit`` chains of at least ``min_hits`` hits, most hits first (then by document and position);
    hits given as (output position, document, position in the document)."""
    if not len(out_pos):
        return []
    diagonal = local - out_pos
    order = np.lexsort((out_pos, diagonal, doc))
    doc, diagonal, out_pos, local = doc[order], diagonal[order], out_pos[order], local[order]
    new_band = np.concatenate(([True], (doc[1:] != doc[:-1]) | (diagonal[1:] - diagonal[:-1] > drift)))
    band = np.cumsum(new_band) - 1
    order = np.lexsort((local, out_pos, band))  # within a band, by output position
    band, doc, out_pos, local = band[order], doc[order], out_pos[order], local[order]
    new_chain = np.concatenate(([True], (band[1:] != band[:-1]) | (out_pos[1:] - out_pos[:-1] > gap)))
    starts = np.flatnonzero(new_chain)
    distinct = np.concatenate(([True], new_chain[1:] | (out_pos[1:] != out_pos[:-1])))
    hits = np.add.reduceat(distinct.astype(np.int64), starts)
    keep = np.flatnonzero(hits >= min_hits)
    if not len(keep):
        return []
    firsts, lasts = starts[keep], np.append(starts[1:], len(out_pos))[keep] - 1
    low = np.minimum.reduceat(local, starts)[keep]
    high = np.maximum.reduceat(local, starts)[keep]
    docs, out_first, hits = doc[firsts], out_pos[firsts], hits[keep]
    order = np.lexsort((low, out_first, docs, -hits))[:limit]  # only the chains asked for become objects
    return [
        Chain(int(d), int(a), int(b) + size, int(c), int(e) + size, int(h))
        for d, a, b, c, e, h in zip(
            docs[order].tolist(),
            out_first[order].tolist(),
            out_pos[lasts][order].tolist(),
            low[order].tolist(),
            high[order].tolist(),
            hits[order].tolist(),
        )
    ]
