"""Tokenisation shared by corpus statistics and the overlap engine.

A token is a maximal run of letters and digits (Unicode ``[^\\W_]``), except that
each CJK letter is a token of its own: Chinese and Japanese have no spaces,
so a run of them is not a word. Tokens keep their offsets in the original text
(Python string indices); normalisation (lowercase) applies to the token
strings only. ``TOKEN_PATTERN`` is the definition; ``token_spans`` computes the
same tokens with numpy, which is what makes gigabyte corpora affordable.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np

# Han (with extensions and compatibility ideographs), kana, CJK symbols' ideographic forms
CJK_RANGES = (
    (0x3040, 0x30FF),
    (0x31F0, 0x31FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2FA1F),
    (0x30000, 0x323AF),
)
_CJK_CLASS = "".join(f"{chr(a)}-{chr(b)}" for a, b in CJK_RANGES)
TOKEN_PATTERN = re.compile(f"(?=[{_CJK_CLASS}])[^\\W_]|[^\\W_{_CJK_CLASS}]+")

SETTINGS = {"tokeniser": "unicode-words-cjk-chars", "version": 1, "case": "lower"}

OTHER, WORD, CJK = 0, 1, 2


@cache
def _class_table() -> np.ndarray:
    """Token class of every code point, derived from TOKEN_PATTERN itself so the two cannot disagree."""
    table = np.zeros(0x110000, dtype=np.uint8)
    every_char = "".join(map(chr, range(0x110000)))
    for match in re.finditer(r"[^\W_]+", every_char):
        table[match.start() : match.end()] = WORD
    for first, last in CJK_RANGES:
        table[first : last + 1] = np.where(table[first : last + 1] == WORD, CJK, table[first : last + 1])
    return table


def _classes(text: str) -> np.ndarray:
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return _class_table()[codes]


def token_spans(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Start and end offsets (int64 string indices) of every token, in order."""
    if not text:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    cls = _classes(text)
    word = cls == WORD
    previous = np.concatenate(([False], word[:-1]))
    following = np.concatenate((word[1:], [False]))
    is_start = (word & ~previous) | (cls == CJK)
    is_end = (word & ~following) | (cls == CJK)
    return np.flatnonzero(is_start), np.flatnonzero(is_end) + 1


def count_tokens(text: str) -> int:
    if not text:
        return 0
    cls = _classes(text)
    word = cls == WORD
    return int(np.count_nonzero(word[1:] & ~word[:-1]) + word[0] + np.count_nonzero(cls == CJK))


def normalise(token: str) -> str:
    return token.lower()


def tokens(text: str) -> list[str]:
    """Normalised token strings (for small texts and tests; the engine works on spans)."""
    starts, ends = token_spans(text)
    return [normalise(text[s:e]) for s, e in zip(starts.tolist(), ends.tolist())]
