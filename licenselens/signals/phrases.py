"""Signals that are phrases in a document: AI-training opt-outs, rights-reserved notices.

A rules file lists cheap anchors and, per signal, regular expressions; the
expressions run only on a window around each anchor (found by
``anchors.AnchorScanner``), so a document without anchors costs nothing here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from licenselens.rules import load_yaml


@dataclass(frozen=True)
class PhraseSignal:
    id: str
    category: str
    description: str
    patterns: tuple[re.Pattern, ...]


class PhraseRules:
    def __init__(self, table: dict, source: str):
        self.window = int(table.get("window", 300))
        self.anchors = {"phrases": list(table["anchors"])}
        signals = []
        for item in table["signals"]:
            try:
                patterns = tuple(
                    re.compile(_spaces_match_whitespace(p), re.IGNORECASE | re.DOTALL) for p in item["patterns"]
                )
            except (re.error, KeyError, TypeError) as exc:
                raise ValueError(f"{source}: signal {item.get('id')!r}: bad pattern: {exc}") from exc
            signals.append(PhraseSignal(item["id"], item.get("category", ""), item.get("description", ""), patterns))
        self.signals = tuple(signals)
        self.order = {signal.id: n for n, signal in enumerate(self.signals)}

    def find(self, text: str, anchor_positions: list[int]) -> list[tuple[str, int]]:
        """(signal id, line number) of each signal found, first occurrence per signal, in signal order."""
        hits = sorted(set(anchor_positions))
        if not hits:
            return []
        windows: list[tuple[int, int]] = []
        w = self.window
        for pos in hits:
            start, end = max(0, pos - w), min(len(text), pos + w)
            if windows and start <= windows[-1][1]:
                windows[-1] = (windows[-1][0], end)
            else:
                windows.append((start, end))
        found = []
        for signal in self.signals:
            for start, end in windows:
                match = next((m for p in signal.patterns if (m := p.search(text, start, end))), None)
                if match:
                    found.append((signal.id, text.count("\n", 0, match.start()) + 1))
                    break
        return found


def _spaces_match_whitespace(pattern: str) -> str:
    """A space outside a character class matches any whitespace run: texts wrap lines anywhere."""
    out, in_class, escaped = [], False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == " " and not in_class:
            out.append(r"\s+")
            continue
        out.append(char)
    return "".join(out)


@cache
def phrase_rules(name: str) -> PhraseRules:
    return PhraseRules(load_yaml(name), name)
