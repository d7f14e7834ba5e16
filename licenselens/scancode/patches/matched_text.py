"""ScanCode's matched-text tokens, read only as far as a match needs them.

Every detection's identifier asks for the text of each of its matches, and ``tokenize_matched_text``
answers with a list of every token of the whole file (ScanCode keeps the last one). Each consumer reads
the tokens in order and stops after the match's last line (``reportable_tokens``), so here the same
tokens come from a list that grows only as far as it is read: a licence header at the top of a long file
costs its own lines. The tokens are kept for the current ScanCode call only (``state.py``), where
ScanCode's keep the last file's until another comes, even if that file changed since.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

from licensedcode import match

from licenselens.scancode.patches.state import current

_original_tokenize_matched_text = match.tokenize_matched_text
_CHUNK = 256  # tokens read from the file at a time


class GrowingTokens:
    """The tokens of one file, read from ScanCode's own generator on demand and kept for the next reader."""

    __slots__ = ("_items", "_source")

    def __init__(self, source: Iterator) -> None:
        self._items: list = []
        self._source: Iterator | None = source

    def __iter__(self) -> Iterator:
        items, at = self._items, 0
        while True:
            while at < len(items):
                yield items[at]
                at += 1
            if self._source is None:
                return
            more = list(islice(self._source, _CHUNK))
            if not more:
                self._source = None
                return
            items.extend(more)


def tokenize_matched_text(location, query_string, dictionary, start_line=1, _cache=None):
    """Drop-in for ``licensedcode.match.tokenize_matched_text`` (``_cache={}``: not kept, as ScanCode's tests
    ask)."""
    key = (location, query_string, start_line)
    state = current() if _cache is None else None
    if state is not None and state.matched_tokens is not None and state.matched_tokens[0] == key:
        return state.matched_tokens[1]
    tokens = GrowingTokens(match._tokenize_matched_text(*key[:2], dictionary=dictionary, start_line=start_line))
    if state is not None:
        state.matched_tokens = (key, tokens)
    return tokens


def install() -> None:
    match.tokenize_matched_text = tokenize_matched_text


def uninstall() -> None:
    match.tokenize_matched_text = _original_tokenize_matched_text
