"""Array helpers shared by the ScanCode accelerators."""

from __future__ import annotations

import numpy as np

from licenselens.scancode.patches.state import current


def gather(offsets: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the entries of ``rows`` in a table laid out by ``offsets`` (row r is
    ``offsets[r]:offsets[r + 1]``), and for each position the index in ``rows`` it came from."""
    starts = offsets[rows]
    lengths = offsets[rows + 1] - starts
    row_of_entry = np.repeat(np.arange(len(rows)), lengths)
    first = np.cumsum(lengths) - lengths
    return np.arange(int(lengths.sum())) - np.repeat(first - starts, lengths), row_of_entry


def tokens_array(tokens: list) -> np.ndarray:
    """``tokens`` (a query's token id list) as an int64 array, converted once per query."""
    state = current()
    if state.tokens is not tokens or state.token_count != len(tokens):
        state.tokens, state.token_count, state.token_array = tokens, len(tokens), np.array(tokens, dtype=np.int64)
    return state.token_array
