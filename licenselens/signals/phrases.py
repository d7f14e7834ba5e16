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


@dataclass(frozen=True)
class About:
    """When a match reports or explains a reservation instead of making one (rules' ``about``)."""

    quotes: tuple[tuple[str, str], ...]  # a match inside these quotes is someone else's words
    reporting: re.Pattern | None  # a paragraph with these words tells of a reservation

    def reports(self, text: str, start: int) -> bool:
        lo = max(text.rfind("\n\n", 0, start), start - _PARAGRAPH, 0)
        hi = text.find("\n\n", start)
        hi = min(hi if hi >= 0 else len(text), start + _PARAGRAPH)
        before = text[lo:start]
        if any(_open(text[lo : start + 1], o, c) for o, c in self.quotes):  # + the match's first character
            return True
        if before.rfind("[") > max(before.rfind("]"), before.rfind("\n")) and "](" in text[start:hi]:
            return True  # the label of a Markdown link: a title, not a notice
        # the words before the match in its paragraph, and its own sentence: a later sentence of terms
        # ("any lawsuit arising…") says nothing about whether this one reports
        stop = min((i for i in (text.find(c, start, hi) for c in ".。!?\n") if i >= 0), default=hi)
        return bool(self.reporting and self.reporting.search(text, lo, stop))


def _open(before: str, opening: str, closing: str) -> bool:
    """Whether a quotation is open where ``before``'s last character (a match's first) stands. A straight
    quote opens after a space or a bracket and closes before one, so apostrophes (I'm, publisher's) are
    neither."""
    if opening != closing:  # German quotes open with „ and close with “, the English opening quote
        head = before[:-1]
        return head.count(opening) - (head.count("„") if opening == "“" else 0) > head.count(closing)
    q, last = re.escape(opening), len(before) - 1  # ``before`` ends with the match's first character
    opens = sum(m.start() < last for m in re.finditer(rf"(?:^|(?<=[\s(\[{{:]))({q})(?=\S)", before))
    closes = sum(m.start() < last for m in re.finditer(rf"(?<=\S)({q})(?=[\s).,;:!?\]}}]|$)", before))
    return opens > closes


_PARAGRAPH = 1000  # characters each side of a match that count as its paragraph


class PhraseRules:
    def __init__(self, table: dict, source: str):
        self.window = int(table.get("window", 300))
        about = table.get("about") or {}
        words = about.get("reporting") or []
        self.about = About(
            tuple((pair[0], pair[-1]) for pair in about.get("quotes", [])),
            re.compile("|".join(map(re.escape, words)), re.IGNORECASE) if words else None,
        )
        self.anchors = {"phrases": list(table["anchors"])}
        signals = []
        words = table.get("words") or {}
        for item in table["signals"]:
            try:
                patterns = tuple(
                    re.compile(_spaces_match_whitespace(_with_words(p, words)), re.IGNORECASE | re.DOTALL)
                    for p in item["patterns"]
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
            match = next(
                (
                    m
                    for start, end in windows
                    for p in signal.patterns
                    for m in p.finditer(text, start, end)
                    if not self.about.reports(text, m.start())
                ),
                None,
            )
            if match:
                found.append((signal.id, text.count("\n", 0, match.start()) + 1))
        return found


def _with_words(pattern: str, words: dict[str, str]) -> str:
    """``<NAME>`` replaced by the shared vocabulary ``words[NAME]`` (rules' ``words``)."""
    for name, value in words.items():
        pattern = pattern.replace(f"<{name}>", value)
    if found := re.search(r"<[A-Z_]+>", pattern):
        raise KeyError(f"unknown word {found.group()}")
    return pattern


def _spaces_match_whitespace(pattern: str) -> str:
    """A space outside a character class matches any whitespace run, comment markers included: texts wrap
    lines anywhere, and a notice in a source file wraps inside its comment (``# ``, ``// ``, `` * ``)."""
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
            out.append(r"(?:\s|#|//|\*)+")
            continue
        out.append(char)
    return "".join(out)


@cache
def phrase_rules(name: str) -> PhraseRules:
    return PhraseRules(load_yaml(name), name)
