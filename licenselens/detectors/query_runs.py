"""ScanCode's ``QueryRun`` bookkeeping without its per-call walks over the whole query.

- ``is_digits_only`` is asked before every sequence-matching step (ScanCode's source
  says "FIXME: this should be cached") and rebuilds a bit set of all the run's tokens
  each time. A run's tokens never change once the query is built, so the answer is
  kept per (run start, run end) of the query being matched.
- ``high_matchables``/``low_matchables`` select the query's matchable positions that
  fall in the run by testing every position of the whole query in Python; the same
  set is the intersection with the run's range of positions, done by intbitset.
"""

from __future__ import annotations

from intbitset import intbitset
from licensedcode import query

_original_is_digits_only = query.QueryRun.is_digits_only
_original_high_matchables = query.QueryRun.high_matchables
_original_low_matchables = query.QueryRun.low_matchables

# The query being matched and its answers. Query has __slots__ (no weak references), so the
# last query is held until the next one replaces it; holding it keeps its id from being reused.
_current: list = [None, {}]


def is_digits_only(self) -> bool:
    """Drop-in for ``licensedcode.query.QueryRun.is_digits_only``."""
    owner = self.query
    if _current[0] is not owner:
        _current[0], _current[1] = owner, {}
    key = (self.start, self.end, len(owner.tokens))
    answer = _current[1].get(key)
    if answer is None:
        answer = _current[1][key] = _original_is_digits_only(self)
    return answer


def _high_matchables(self):
    if not self._high_matchables:
        self._high_matchables = self.query.high_matchables & intbitset(range(self.start, self.end + 1))
    return self._high_matchables


def _low_matchables(self):
    if not self._low_matchables:
        self._low_matchables = self.query.low_matchables & intbitset(range(self.start, self.end + 1))
    return self._low_matchables


def release() -> None:
    """Forget the last query (so a large one does not outlive its file)."""
    _current[0], _current[1] = None, {}


def install() -> None:
    query.QueryRun.is_digits_only = is_digits_only
    query.QueryRun.high_matchables = property(_high_matchables)
    query.QueryRun.low_matchables = property(_low_matchables)


def uninstall() -> None:
    query.QueryRun.is_digits_only = _original_is_digits_only
    query.QueryRun.high_matchables = _original_high_matchables
    query.QueryRun.low_matchables = _original_low_matchables
