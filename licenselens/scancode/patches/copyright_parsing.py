"""Exact, faster copyright detection: ScanCode's cluecode with its repeated work done once.

cluecode spends its time in three places, each a pure function of its input
that it recomputes for every occurrence:

- its lexer tries up to ~1,000 regular expressions in turn on every word to
  give it a part-of-speech label; the label depends on the word alone, so it is
  remembered per word;
- its parser applies ~380 grammar rules to a group of candidate lines, building
  the group's label string afresh for every rule; the rules read labels only, so
  the string is kept between rules, and the whole parse (which tokens end up in
  which groups) is remembered per label sequence;
- each line is tested with a costly gibberish model before the cheap tests for
  years and copyright markers; a line with neither is never a candidate, so
  those run first.

Results are ScanCode's own, field for field: ``tests/scancode/patches/test_copyright_parsing.py``
compares them with unpatched cluecode on real files.
"""

from __future__ import annotations

import re
from functools import lru_cache

from cluecode import copyrights, copyrights_hint
from pygmars import lex, parse
from pygmars.tree import Tree

_original_lex_tokens = lex.Lexer.lex_tokens
_original_parse = parse.Parser.parse
_original_is_candidate = copyrights.is_candidate
_original_prepare_text_line = copyrights.prepare_text_line

_NO_LABEL = object()
_MEMO_LIMIT = 200_000  # entries per memo; cleared when full so a huge corpus cannot grow it without end


class _Memos:
    """Per-object memos that hold their object, so a reused id() can never hit another object's memo."""

    def __init__(self):
        self._entries: dict[int, tuple[object, dict | None]] = {}

    def get(self, owner, usable) -> dict | None:
        entry = self._entries.get(id(owner))
        if entry is None or entry[0] is not owner:
            entry = self._entries[id(owner)] = (owner, {} if usable(owner) else None)
        memo = entry[1]
        if memo is not None and len(memo) > _MEMO_LIMIT:
            memo.clear()
        return memo


_labels = _Memos()
_parses = _Memos()


def _regex_only(lexer) -> bool:
    # a matcher that is not a compiled pattern's match() may not be a pure function of the word
    return all(isinstance(getattr(matcher, "__self__", None), re.Pattern) for matcher, _label in lexer._matchers)


def lex_tokens(self, tokens, trace=False):
    """Drop-in for ``pygmars.lex.Lexer.lex_tokens``: the first matching label, remembered per word."""
    memo = None if trace else _labels.get(self, _regex_only)
    if memo is None:
        yield from _original_lex_tokens(self, tokens, trace=trace)
        return
    matchers = self._matchers
    for token in tokens:
        value = token.value
        label = memo.get(value)
        if label is None:
            label = _NO_LABEL
            for matcher, candidate in matchers:
                if matcher(value):
                    label = candidate
                    break
            memo[value] = label
        if label is not _NO_LABEL:
            token.label = label
        yield token


def _plain_parser(parser) -> bool:
    return not parser._trace and not any(rule._validate for rule in parser.rules)


def _label_string(tree) -> str:
    return "".join(f"<{node.label}>" for node in tree)


def _run_rules(parser, tree):
    """``Parser.parse``'s loop, with the label string rebuilt only when a rule changed the tree."""
    before = _label_string(tree)
    for _ in range(parser._loop):
        for rule in parser.rules:
            after = rule._transformer(before).replace("{}", "")
            if after.rstrip() != before.rstrip():
                parse_string = parse.ParseString(tree)
                parse_string._parse_string = after
                tree = parse_string.to_tree(rule.label)
                before = _label_string(tree)
    return tree


def _shape(node, position: dict[int, int]) -> tuple:
    return tuple(
        (child.label, _shape(child, position)) if isinstance(child, Tree) else position[id(child)] for child in node
    )


def _rebuild(label, shape: tuple, leaves) -> Tree:
    return Tree(
        label, [leaves[part] if isinstance(part, int) else _rebuild(part[0], part[1], leaves) for part in shape]
    )


def parse_tree(self, tree):
    """Drop-in for ``pygmars.parse.Parser.parse``."""
    memo = _parses.get(self, _plain_parser)
    if memo is None or not tree:
        return _original_parse(self, tree)
    if not isinstance(tree, Tree):
        tree = Tree(self._root_label, tree)
    if any(isinstance(node, Tree) for node in tree):
        return _run_rules(self, tree)
    key = (tree.label, _label_string(tree))
    shape = memo.get(key)
    if shape is None:
        leaves = list(tree)
        parsed = _run_rules(self, tree)
        memo[key] = _shape(parsed, {id(leaf): i for i, leaf in enumerate(leaves)})
        return parsed
    return _rebuild(tree.label, shape, list(tree))


_markers = copyrights_hint.statement_markers


def is_candidate(prepared_line) -> bool:
    """``cluecode.copyrights.is_candidate`` with its four tests reordered, cheapest first."""
    if not prepared_line:
        return False
    lowered = prepared_line.lower()
    if not copyrights_hint.years(prepared_line) and not any(marker in lowered for marker in _markers):
        return False
    if copyrights.is_only_digit_and_punct(prepared_line):
        return False
    return not copyrights.gibberish_detector.detect_gibberish(prepared_line)


prepare_text_line = lru_cache(maxsize=65_536)(_original_prepare_text_line)


def install() -> None:
    """Route cluecode through the exact fast paths."""
    lex.Lexer.lex_tokens = lex_tokens
    parse.Parser.parse = parse_tree
    copyrights.is_candidate = is_candidate
    copyrights.prepare_text_line = prepare_text_line


def uninstall() -> None:
    """Put ScanCode's own functions back (used to compare the two)."""
    lex.Lexer.lex_tokens = _original_lex_tokens
    parse.Parser.parse = _original_parse
    copyrights.is_candidate = _original_is_candidate
    copyrights.prepare_text_line = _original_prepare_text_line
