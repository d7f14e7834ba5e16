"""One vectorised pass over a document finds every anchor of every text signal.

Anchors are the cheap strings near which a signal can be: licence and
copyright statements (``corpus_anchors.yaml``), opt-outs (``tdm_signals.yaml``),
notices (``corpus_notices.yaml``). ASCII anchors are found with numpy on the
UTF-8 bytes: every run of ASCII letters and digits gets a key from its first
three bytes, a lookup table says which keys start an anchor, and only those
few places are compared with the anchors in Python. Other anchors (CJK, ©) are
found with ``str.find``, and only in texts that are not pure ASCII. (An
automaton over all the anchors, tried before, ran at ~50 MB/s.)

An ASCII anchor is found where its first run of letters and digits starts a
run in the text: "artificial" is found in "artificial" and "(artificial", not
inside "nonartificial".
"""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np

KEY_BYTES = 3
_ASCII_WORD = np.zeros(256, dtype=bool)
_ASCII_WORD[[ord(c) for c in "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"]] = True
_FIRST_RUN = re.compile(r"[a-z0-9]+")


def lowered(text: str) -> str:
    """Lowercase with offsets kept: the few characters that lowercase to two stay as they are."""
    low = text.lower()
    if len(low) != len(text):
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return low


def _key(run: bytes) -> int:
    run = run[:KEY_BYTES]
    return sum(b << (8 * (KEY_BYTES - 1 - i)) for i, b in enumerate(run))


class AnchorScanner:
    """``groups`` maps a group name to {"prefixes": [...], "words": [...], "phrases": [...]}.

    prefixes must start a word, words must be whole words, phrases match anywhere.
    """

    def __init__(self, groups: dict[str, dict]):
        self.groups = tuple(groups)
        targets: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for group, table in groups.items():
            for mode in ("prefixes", "words", "phrases"):
                for anchor in table.get(mode, []):
                    targets[anchor.lower()].append((group, mode))
        # key of an ASCII anchor's first run -> [(anchor, offset of that run, where)]
        self.by_key: dict[int, list[tuple[str, int, tuple]]] = defaultdict(list)
        self.other: dict[str, tuple] = {}
        for anchor, where in targets.items():
            first = _FIRST_RUN.search(anchor)
            if not anchor.isascii() or first is None:
                self.other[anchor] = tuple(where)
                continue
            # a first run shorter than KEY_BYTES only meets runs that are exactly it ("cc" of "cc by")
            self.by_key[_key(first.group().encode())].append((anchor, first.start(), tuple(where)))
        self.table = np.zeros(1 << (8 * KEY_BYTES), dtype=bool)
        self.table[list(self.by_key)] = True

    def scan(self, low: str) -> dict[str, list[int]]:
        """Start offsets (string indices) of anchors in ``low`` (a ``lowered`` text), by group."""
        found: dict[str, list[int]] = {group: [] for group in self.groups}
        if not low:
            return found
        data = low.encode("utf-8", "surrogatepass")
        ascii_text = len(data) == len(low)
        arr = np.frombuffer(data, dtype=np.uint8)
        word = _ASCII_WORD[arr]
        starts = np.flatnonzero(word & ~np.concatenate(([False], word[:-1])))
        keys = np.zeros(len(starts), dtype=np.int64)
        inside = np.ones(len(starts), dtype=bool)
        for i in range(KEY_BYTES):
            position = np.minimum(starts + i, len(arr) - 1)
            inside &= (starts + i < len(arr)) & word[position]
            keys = (keys << 8) | np.where(inside, arr[position], 0)
        hits = starts[self.table[keys]]
        if len(hits):
            char_of = None if ascii_text else _char_offsets(arr)
            for byte_pos, key in zip(hits.tolist(), keys[self.table[keys]].tolist()):
                start = byte_pos if char_of is None else int(char_of[byte_pos])
                for anchor, offset, where in self.by_key[key]:
                    at = start - offset
                    if at >= 0 and low.startswith(anchor, at):
                        self._record(found, low, anchor, at, where)
        if not ascii_text:
            for anchor, where in self.other.items():
                at = low.find(anchor)
                while at >= 0:
                    self._record(found, low, anchor, at, where)
                    at = low.find(anchor, at + 1)
        for positions in found.values():
            positions.sort()
        return found

    @staticmethod
    def _record(found, low: str, anchor: str, position: int, where) -> None:
        end = position + len(anchor)
        starts_word = position == 0 or not low[position - 1].isalnum()
        ends_word = end >= len(low) or not low[end].isalnum()
        for group, mode in where:
            if mode == "phrases" or (starts_word and (mode == "prefixes" or ends_word)):
                found[group].append(position)


def _char_offsets(utf8: np.ndarray) -> np.ndarray:
    """String index of the character at each byte offset of UTF-8 text."""
    return np.cumsum((utf8 & 0xC0) != 0x80) - 1
