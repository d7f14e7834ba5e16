"""One Aho-Corasick pass over a document finds every anchor of every text signal.

Anchors are the cheap strings near which a signal can be: licence and
copyright statements (``corpus_anchors.yaml``), opt-outs (``tdm_signals.yaml``),
notices (``corpus_notices.yaml``). Scanning once for all of them keeps the
cost of a document without any close to one pass over its bytes.
"""

from __future__ import annotations

from collections import defaultdict


def lowered(text: str) -> str:
    """Lowercase with offsets kept: the few characters that lowercase to two stay as they are."""
    low = text.lower()
    if len(low) != len(text):
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return low


class AnchorScanner:
    """``groups`` maps a group name to {"prefixes": [...], "words": [...], "phrases": [...]}.

    prefixes must start a word, words must be whole words, phrases match anywhere.
    """

    def __init__(self, groups: dict[str, dict]):
        import ahocorasick

        entries: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for group, table in groups.items():
            for mode in ("prefixes", "words", "phrases"):
                for anchor in table.get(mode, []):
                    entries[anchor.lower()].append((group, mode))
        self.automaton = ahocorasick.Automaton()
        for anchor, targets in entries.items():
            self.automaton.add_word(anchor, (len(anchor), tuple(targets)))
        self.automaton.make_automaton()
        self.groups = tuple(groups)

    def scan(self, low: str) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {group: [] for group in self.groups}
        for end, (length, targets) in self.automaton.iter(low):
            start = end - length + 1
            starts_word = start == 0 or not low[start - 1].isalnum()
            ends_word = end + 1 >= len(low) or not low[end + 1].isalnum()
            for group, mode in targets:
                if mode == "phrases" or (starts_word and (mode == "prefixes" or ends_word)):
                    found[group].append(start)
        return found
