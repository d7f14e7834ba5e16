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

from licenselens.scancode.patches.state import current

_original_is_digits_only = query.QueryRun.is_digits_only
_original_high_matchables = query.QueryRun.high_matchables
_original_low_matchables = query.QueryRun.low_matchables


def is_digits_only(self) -> bool:
    """Drop-in for ``licensedcode.query.QueryRun.is_digits_only``."""
    owner = self.query
    state = current()
    if state.digits_owner is not owner:
        state.digits_owner, state.digits_only = owner, {}
    key = (self.start, self.end, len(owner.tokens))
    answer = state.digits_only.get(key)
    if answer is None:
        answer = state.digits_only[key] = _original_is_digits_only(self)
    return answer


def _high_matchables(self):
    if not self._high_matchables:
        self._high_matchables = self.query.high_matchables & intbitset(range(self.start, self.end + 1))
    return self._high_matchables


def _low_matchables(self):
    if not self._low_matchables:
        self._low_matchables = self.query.low_matchables & intbitset(range(self.start, self.end + 1))
    return self._low_matchables


def install() -> None:
    query.QueryRun.is_digits_only = is_digits_only
    query.QueryRun.high_matchables = property(_high_matchables)
    query.QueryRun.low_matchables = property(_low_matchables)


def uninstall() -> None:
    query.QueryRun.is_digits_only = _original_is_digits_only
    query.QueryRun.high_matchables = _original_high_matchables
    query.QueryRun.low_matchables = _original_low_matchables
