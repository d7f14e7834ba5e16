"""The measuring half of `licenselens trace`: which corpus documents to check against a work, and what a
check of one text against one work's own index says about the work.

Why a work's own index: a check lists a span's sources only where no longer run contains it (a document
holding half of a chapter hides behind one holding all of it) and keeps one source per near-copy passage.
Checked against the work alone, each document (or output) gets its own exact spans and near copies, and the
work's side of each is the source of a span or block, so the share of the work a text holds is exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from licenselens.overlap.hashing import ngram_hashes, token_hashes
from licenselens.overlap.query import OverlapIndex
from licenselens.signals.anchors import lowered
from licenselens.signals.pii import mask_around
from licenselens.tokens import token_spans
from licenselens.types.overlap import OutputResult
from licenselens.types.trace import Excerpt, Match, Passage

_MARGIN = 64  # characters beyond an excerpt that its masking reads: longer than any item of personal data
CUT = " […] "
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Work:
    """A work as traced: its text, and its tokens' character offsets (to turn a span's offsets into tokens)."""

    work_id: str
    origin: str
    text: str
    starts: np.ndarray
    ends: np.ndarray

    @property
    def tokens(self) -> int:
        return len(self.starts)


def candidate_documents(index: OverlapIndex, text: str, limits: dict) -> list[int]:
    """The corpus documents (global numbers) that share a run of n tokens or a chain of seed hits with ``text``.

    The same two searches as a check (``overlap.seeds``, ``overlap.nearseeds``, ``overlap.chains``), with every
    document kept: a check keeps only the sources it reports. The limits are rules/trace.yaml ``candidates``.
    """
    _, _, hashes = token_hashes(lowered(text))
    short = hashes.astype(np.uint32)  # as the index stores them
    grams = ngram_hashes(hashes, index.gram)
    runs = index.arrays.runs(short, grams, index.n, index.gram, limits["max_hits_per_ngram"])
    found = set(runs.doc.tolist())
    near = index.rules["near_search"]
    linked = index.arrays.chains(
        short,
        index.seed_size,
        index.seed_sampling,
        limits["max_hits_per_seed"],
        near["drift"],
        near["gap"],
        limits["min_chain_hits"],
    )
    found.update(chain.doc for chain in linked)
    return sorted(found)


def _work_tokens(work: Work, start_char: int, end_char: int) -> tuple[int, int]:
    """Token range [a, b) of a passage of the work given by the offsets of its first and last token."""
    return int(np.searchsorted(work.starts, start_char)), int(np.searchsorted(work.ends, end_char)) + 1


def found_masks(work: Work, result: OutputResult) -> tuple[np.ndarray, np.ndarray]:
    """The work's tokens inside the spans' and blocks' sources (all), and inside the spans' only (verbatim)."""
    found = np.zeros(work.tokens, dtype=bool)
    for span in result.spans:
        for source in span.sources:  # several when the work repeats the passage: each copy of it is found
            a, b = _work_tokens(work, source.start_char, source.end_char)
            found[a:b] = True
    verbatim = found.copy()
    for block in result.near_copies:
        a, b = _work_tokens(work, block.source.start_char, block.source.end_char)
        found[a:b] = True
    return found, verbatim


def _inside_spans(block, spans) -> bool:
    """A block mostly inside exact spans (the engine aligns a chain whose margins reach past a span): the spans
    show that passage already."""
    inside = sum(max(0, min(s.end_char, block.end_char) - max(s.start_char, block.start_char)) for s in spans)
    return inside * 2 > block.end_char - block.start_char


def excerpt(text: str, start: int, end: int, context: int, longest: int) -> Excerpt:
    """``text[start:end]`` with ``context`` characters either side, masked as a whole (a value cut by an edge is
    still seen, as audit passages are masked); a match over ``longest`` characters is cut in its middle."""
    lo, hi = max(0, start - context), min(len(text), end + context)
    wide = max(0, lo - _MARGIN)
    masked, (lo, a, b, hi) = mask_around(text[wide : hi + _MARGIN], (lo - wide, start - wide, end - wide, hi - wide))
    match = masked[a:b]
    if len(match) > longest:
        head, tail = match[: longest // 2], match[-(longest // 2) :]
        spaces = list(_SPACE.finditer(head, max(0, len(head) - 20)))  # cut between words where one ends near
        head = head[: spaces[-1].start()] if spaces else head
        space = _SPACE.search(tail, 0, 20)
        tail = tail[space.end() :] if space else tail
        match = head.rstrip() + CUT + tail.lstrip()
    before, after = masked[lo:a], masked[b:hi]
    if start - context > 0 and (space := _SPACE.search(before, 0, 20)):  # context of whole words
        before = before[space.end() :]
    if end + context < len(text) and (spaces := list(_SPACE.finditer(after, max(0, len(after) - 20)))):
        after = after[: spaces[-1].start()]
    return Excerpt(before, match, after)


def measure(work: Work, copy_text: str, result: OutputResult, shown: dict) -> tuple[Match, np.ndarray, np.ndarray]:
    """What ``copy_text`` (checked against the work's own index: ``result``) holds of the work, with the found and
    verbatim token masks of the work; ``shown`` is rules/trace.yaml ``report``."""
    found, verbatim = found_masks(work, result)
    starts, ends = token_spans(lowered(copy_text))
    copied = np.zeros(len(starts), dtype=bool)
    ranges = [(s.start_char, s.end_char) for s in result.spans] + [
        (b.start_char, b.end_char) for b in result.near_copies
    ]
    for start, end in ranges:  # the text's own tokens inside them
        copied[int(np.searchsorted(starts, start)) : int(np.searchsorted(ends, end)) + 1] = True
    near = [block for block in result.near_copies if not _inside_spans(block, result.spans)]
    # (tokens, copy start, kind, similarity, work range, copy range): only the longest few are cut out and masked
    items = [
        (
            s.tokens,
            s.start_char,
            "verbatim",
            1.0,
            (s.sources[0].start_char, s.sources[0].end_char),
            (s.start_char, s.end_char),
        )
        for s in result.spans
    ] + [
        (
            b.tokens,
            b.start_char,
            "near-verbatim",
            round(b.similarity, 4),
            (b.source.start_char, b.source.end_char),
            (b.start_char, b.end_char),
        )
        for b in near
    ]
    items.sort(key=lambda item: (-item[0], item[1], item[2]))
    context, longest = shown["context_chars"], shown["passage_chars"]
    passages = tuple(
        Passage(
            kind,
            tokens,
            similarity,
            *work_range,
            *copy_range,
            excerpt(work.text, *work_range, context, longest),
            excerpt(copy_text, *copy_range, context, longest),
        )
        for tokens, _, kind, similarity, work_range, copy_range in items[: shown["passages_per_match"]]
    )
    found_tokens = int(found.sum())
    match = Match(
        verdict=result.verdict,
        share=round(found_tokens / work.tokens, 6) if work.tokens else 0.0,
        found_tokens=found_tokens,
        copy_share=round(float(copied.mean()), 6) if len(copied) else 0.0,
        verbatim_tokens=int(verbatim.sum()),
        longest_span_tokens=result.longest_span_tokens,
        longest_span_chars=result.longest_span_chars,
        spans=len(result.spans),
        near_copies=len(near),
        passages=passages,
    )
    return match, found, verbatim
