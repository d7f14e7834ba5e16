"""Near copies: lightly edited passages of the corpus in an output, as aligned blocks.

Seeds (``nearseeds``) give hits, hits give chains (``chains``), each chain's
surroundings are aligned (``align``) into blocks. Chains on the same output
stretch whose source tokens are equal (boilerplate the corpus holds many times)
are aligned once and counted as further sources. A block is kept unless most
of it lies inside a block already kept (most tokens first), so an output
passage is reported once, with the closest source.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache

import numpy as np

from licenselens.overlap.align import Block, Units, blocks
from licenselens.overlap.chains import Chain
from licenselens.overlap.verdict import qualifies
from licenselens.types.overlap import NearCopy


def candidates(index, out, settings: dict, exact: Sequence[tuple[int, int]] = ()) -> list[tuple[Chain, int]]:
    """The chains to align, each with how many documents hold its source tokens (itself included).

    A chain whose alignment region (its output stretch and the margins) lies inside one exact span (token
    ranges ``exact``) is left out: every block it could give is a passage that span reports verbatim already.
    """
    if any(a == 0 and b >= len(out) for a, b in exact):
        return []  # one span covers the whole output: every chain's region is inside it
    per = -(-len(out) // 1000)  # the chain limits are per 1,000 output tokens: a long output has more passages
    found = index.arrays.chains(
        out.short,
        index.seed_size,
        index.seed_sampling,
        settings["max_hits_per_seed"],
        settings["drift"],
        settings["gap"],
        settings["min_chain_hits"],
        settings["max_chains_read"] * per,
    )
    if exact:
        starts, ends = np.array(sorted(exact)).T
        reach = np.maximum.accumulate(ends)  # the furthest end of a span starting at or before each start
        regions = [_region(c, settings["margin"], len(out)) for c in found]
        for_chain = np.searchsorted(starts, [a for a, _ in regions], "right") - 1
        found = [c for c, k, (_, b) in zip(found, for_chain.tolist(), regions) if k < 0 or reach[k] < b]
    groups: dict[tuple, list] = {}
    for chain in found:
        text = index.arrays.document_tokens(chain.doc, chain.source_start, chain.source_end).tobytes()
        key = (chain.out_start, chain.out_end, text)
        if key in groups:
            groups[key][1] += 1
        elif len(groups) < settings["chains"] * per:
            groups[key] = [chain, 1]
    return [(chain, count) for chain, count in groups.values()]


def near_copies(index, out, rules: dict, exact: Sequence[tuple[int, int]] = ()) -> list[NearCopy]:
    """The near-copy blocks of an output (``out``: its tokens), away from its exact spans (token ranges)."""
    settings, near = rules["near_search"], rules["near_verbatim"]
    found: list[tuple[NearCopy, int]] = []
    for chain, count in candidates(index, out, settings, exact):
        a, b = _region(chain, settings["margin"], len(out))
        first, last = int(out.starts[a]), int(out.ends[b - 1])
        if any(copy.start_char <= first and last <= copy.end_char for copy, _ in found):
            continue  # a chain with fewer hits whose region is inside a block found: its blocks would repeat it
        found.extend(
            (copy, count) for copy in _aligned(index, out, chain, count, settings, near, rules["code_suffixes"])
        )
    found.sort(
        key=lambda item: (
            not qualifies(item[0].similarity, item[0].end_char - item[0].start_char, near),
            -item[0].tokens,
            -item[0].similarity,
            item[1],
        )
    )
    kept: list[NearCopy] = []
    for copy, _ in found:
        overlap = [k for k in kept if min(k.end_char, copy.end_char) - max(k.start_char, copy.start_char) > 0]
        inside = sum(min(k.end_char, copy.end_char) - max(k.start_char, copy.start_char) for k in overlap)
        if inside * 2 > copy.end_char - copy.start_char:
            continue
        kept.append(copy)
    return sorted(kept, key=lambda c: (c.start_char, c.end_char, c.source.dataset, c.source.doc_id))


def _region(chain: Chain, margin: int, length: int) -> tuple[int, int]:
    """The output tokens [a, b) aligned for a chain: its stretch and ``margin`` tokens either side."""
    return max(0, chain.out_start - margin), min(length, chain.out_end + margin)


def _aligned(index, out, chain: Chain, count: int, settings: dict, near: dict, code_suffixes) -> list[NearCopy]:
    margin, min_units, threshold = settings["margin"], settings["min_block_tokens"], near["min_similarity"]
    doc_tokens = index.arrays.document_length(chain.doc)
    oa, ob = _region(chain, margin, len(out))
    sa, sb = max(0, chain.source_start - margin), min(doc_tokens, chain.source_end + margin)
    meta = index.meta(chain.doc)
    src_keys = index.arrays.document_tokens(chain.doc, sa, sb).tolist()
    out_keys = out.short[oa:ob].tolist()
    per = -(-(chain.out_end - chain.out_start) // 1000)  # like the chain limits: per 1,000 tokens of the chain
    limit, min_chars = settings["blocks_per_chain"] * per, near["min_chars"]

    def long_enough(a: int, b: int, units=None) -> bool:  # output units [a, b) of the region
        if units is not None:
            a, b = units[a][0], units[b - 1][1]
        return int(out.ends[oa + b - 1]) - int(out.starts[oa + a]) >= min_chars

    found = blocks(Units(out_keys), Units(src_keys), threshold, min_units, limit, long_enough)
    lexer = _lexer(os.path.splitext(meta.get("path") or meta["origin"])[1].lower(), tuple(code_suffixes))
    out_map = src_map = None
    covered = sum(b.out_end - b.out_start for b in found)
    if lexer and (len(found) > 1 or covered * 4 < (chain.out_end - chain.out_start) * 3):
        # renamed code: lexing costs more than aligning, so only where the tokens split a chain or leave much out
        src = index._source_tokens(chain.doc)
        out_units, out_map = _code_units(out.text, out.starts[oa:ob], out.ends[oa:ob], out_keys, lexer)
        src_units, src_map = _code_units(src.text, src.starts[sa:sb], src.ends[sa:sb], src_keys, lexer)
        renamed = blocks(out_units, src_units, threshold, min_units, limit, lambda a, b: long_enough(a, b, out_map))
        if sum(out_map[b.out_end - 1][1] - out_map[b.out_start][0] for b in renamed) > covered:
            found = renamed
        else:
            out_map = src_map = None
    return [_copy(index, out, chain, count, _tokens(b, out_map, src_map), oa, sa) for b in found]


def _tokens(block: Block, out_map, src_map) -> tuple[int, int, int, int, float, str]:
    """A block's token ranges (region-relative), from unit ranges."""
    a, b, c, d = block.out_start, block.out_end, block.source_start, block.source_end
    if out_map is not None:
        a, b = out_map[a][0], out_map[b - 1][1]
    if src_map is not None:
        c, d = src_map[c][0], src_map[d - 1][1]
    return a, b, c, d, block.similarity, block.method


def _copy(index, out, chain: Chain, count: int, block, oa: int, sa: int) -> NearCopy:
    a, b, c, d, similarity, method = block
    a, b, c, d = a + oa, b + oa, c + sa, d + sa
    start, end = int(out.starts[a]), int(out.ends[b - 1])
    return NearCopy(start, end, b - a, d - c, similarity, method, index.source(chain.doc, c, d), count)


LEXING_CONTEXT = 4000  # characters lexed before a passage, so that it is not read from inside a string


def _lexing_start(text: str, start: int) -> int:
    """Where to start lexing for a passage at ``start``: a line that begins at column 0 with code (not a
    quote, a comment or text of a docstring's indent) up to LEXING_CONTEXT characters before it. A lexer
    started inside a string reads strings as code and code as strings; lexing whole documents each check
    would cost more than the rest of the check."""
    at = text.rfind("\n", 0, max(0, start - LEXING_CONTEXT)) + 1
    while at < start:
        line_end = text.find("\n", at)
        if line_end < 0 or line_end >= start:
            break
        head = text[at : at + 1]
        if head and not head.isspace() and head not in "\"'#/*":
            return at
        at = line_end + 1
    return text.rfind("\n", 0, start) + 1


@cache
def _lexer(suffix: str, code_suffixes: tuple[str, ...]):
    """A pygments lexer for a source of code (by its file suffix), or None for text."""
    if suffix not in code_suffixes:
        return None
    from pygments.lexers import get_lexer_for_filename
    from pygments.util import ClassNotFound

    try:
        return get_lexer_for_filename("x" + suffix, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def _code_units(text: str, starts: np.ndarray, ends: np.ndarray, keys: list[int], lexer) -> tuple[Units, list]:
    """Units of a code passage: each identifier (a pygments Name, builtins apart) one unit, other tokens one each;
    with each unit's [first, last) token range in the passage."""
    from pygments.token import Name

    if not len(starts):
        return Units([], []), []
    first, last = _lexing_start(text, int(starts[0])), int(ends[-1])
    name_starts, name_ends, names = [], [], []
    for at, kind, value in lexer.get_tokens_unprocessed(text[first:last]):  # offsets in the raw text (no \r\n fixes)
        if kind in Name and kind not in Name.Builtin:
            name_starts.append(first + at)
            name_ends.append(first + at + len(value))
            names.append(value.lower())
    where = np.searchsorted(np.asarray(name_starts, dtype=np.int64), starts, "right") - 1
    unit_keys: list[int] = []
    unit_names: list[str | None] = []
    ranges: list[tuple[int, int]] = []
    current = -1
    for i, (start, end, lexeme) in enumerate(zip(starts.tolist(), ends.tolist(), where.tolist())):
        inside = lexeme >= 0 and end <= name_ends[lexeme] and start >= name_starts[lexeme]
        if inside and lexeme == current:
            ranges[-1] = (ranges[-1][0], i + 1)  # another token of the same identifier (snake_case, dotted)
            continue
        current = lexeme if inside else -1
        unit_keys.append(keys[i])
        unit_names.append(names[lexeme] if inside else None)
        ranges.append((i, i + 1))
    return Units(unit_keys, unit_names), ranges
