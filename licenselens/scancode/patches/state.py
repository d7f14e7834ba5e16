"""What the patches remember about the query ScanCode is matching, in one object scoped to one call.

ScanCode's Query has __slots__ (no weak references), so the state holds the query's token list
itself: that also keeps its id from being reused while the state lives. ``call_scancode`` opens a
scope per call, so a large file's arrays never outlive it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass
class QueryState:
    tokens: list | None = None  # the query's token id list, and it as an int64 array
    token_count: int = 0
    token_array: Any = None
    digits_owner: Any = None  # the Query whose runs' is_digits_only answers are kept
    digits_only: dict = field(default_factory=dict)
    runs: tuple | None = None  # sequence_blocks: the diagonal runs last built, with what they were built for
    matched_tokens: tuple | None = None  # matched_text: (location, query string, start line), its tokens


_current: ContextVar[QueryState | None] = ContextVar("licenselens_scancode_query", default=None)


def current() -> QueryState:
    """The state of the current scope; outside any (a ScanCode function called directly, as the tests
    comparing patches with ScanCode's own functions do), one that lasts as long as the context."""
    state = _current.get()
    if state is None:
        state = QueryState()
        _current.set(state)
    return state


@contextmanager
def query_scope() -> Iterator[QueryState]:
    state = QueryState()
    token = _current.set(state)
    try:
        yield state
    finally:
        _current.reset(token)
