"""Array helpers shared by the ScanCode accelerators."""

from __future__ import annotations

import numpy as np


def gather(offsets: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the entries of ``rows`` in a table laid out by ``offsets`` (row r is
    ``offsets[r]:offsets[r + 1]``), and for each position the index in ``rows`` it came from."""
    starts = offsets[rows]
    lengths = offsets[rows + 1] - starts
    row_of_entry = np.repeat(np.arange(len(rows)), lengths)
    first = np.cumsum(lengths) - lengths
    return np.arange(int(lengths.sum())) - np.repeat(first - starts, lengths), row_of_entry


# The token ids of the query being matched, as an array. ScanCode's Query has __slots__ (no weak
# references): its token list is held until ``release_tokens``, which also keeps its id from being reused.
_tokens: list = [None, 0, None]


def tokens_array(tokens: list) -> np.ndarray:
    """``tokens`` (a query's token id list) as an int64 array, converted once per query."""
    if _tokens[0] is not tokens or _tokens[1] != len(tokens):
        _tokens[:] = [tokens, len(tokens), np.array(tokens, dtype=np.int64)]
    return _tokens[2]


def release_tokens() -> None:
    """Forget the last query's tokens (so a large one does not outlive its file)."""
    _tokens[:] = [None, 0, None]
