"""Turns ScanCode's result mappings into licenselens types, and runs ScanCode calls under a time limit."""

from __future__ import annotations

import ctypes
import gc
import os
import signal
import time
from contextlib import contextmanager
from functools import cache

from ..licensedb import license_db
from ..types import Detection, FileError, LicenseMatch
from .base import DEFAULT_MEMORY_ALLOWANCE


@cache
def _accelerate_scancode() -> None:
    from . import candidates, copyright_parsing, query_runs, sequence_blocks

    candidates.install()
    sequence_blocks.install()
    copyright_parsing.install()
    query_runs.install()


_index_frozen = False


def _freeze_after_index_load() -> None:
    """Keep the garbage collector from walking ScanCode's index (millions of objects) again and again."""
    global _index_frozen
    import licensedcode.cache

    if not _index_frozen and licensedcode.cache._LICENSE_CACHE is not None:
        gc.freeze()
        _index_frozen = True


def load_index() -> None:
    """Load ScanCode's licence index outside any per-file time limit, so the limit measures the file alone."""
    from licensedcode.cache import get_index

    get_index()
    _freeze_after_index_load()




def _resident() -> int:
    with open("/proc/self/statm", "rb") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@contextmanager
def _memory_guard(memory_allowance: int):
    """Raise MemoryError in the guarded code once it has grown resident memory by ``memory_allowance``:
    checked every 50 ms of CPU time (SIGPROF), so the process lives on instead of being killed."""
    if not hasattr(signal, "ITIMER_PROF") or not os.path.exists("/proc/self/statm"):
        yield
        return
    limit = _resident() + memory_allowance

    def check(signum, frame):
        if _resident() > limit:
            raise MemoryError(f"more than {memory_allowance >> 20} MiB of memory for one file (--max-memory)")

    previous = signal.signal(signal.SIGPROF, check)
    signal.setitimer(signal.ITIMER_PROF, 0.05, 0.05)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _give_back_memory() -> None:
    try:  # glibc keeps freed heap pages; hand them back after a call that grew too large
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def run_with_timeout(func, location: str | None, timeout: float, detector: str,
                     memory_allowance: int = DEFAULT_MEMORY_ALLOWANCE, **kwargs):
    """Call a ScanCode function (on ``location``, or on ``kwargs`` alone) with its deadline, a hard SIGALRM
    limit and a memory allowance."""
    from scancode.interrupt import interruptible

    from . import query_runs, sequence_blocks

    _accelerate_scancode()
    kwargs["deadline"] = time.time() + timeout
    args = (location,) if location is not None else ()
    with _memory_guard(memory_allowance):
        error, value = interruptible(func, args=args, kwargs=kwargs, timeout=timeout)
    query_runs.release()  # the last query's state: a large file's must not outlive it
    sequence_blocks.release()
    _freeze_after_index_load()
    if error:
        last = error.strip().splitlines()[-1][:500]
        if last.startswith("MemoryError"):
            _give_back_memory()
            return None, FileError(code="out-of-memory", message=last.removeprefix("MemoryError: "), detector=detector)
        code = "timeout" if "timeout" in error.lower() else "detector-failed"
        return None, FileError(code=code, message=last, detector=detector)
    return value, None


def rule_facts(m: dict) -> dict:
    """What ScanCode's reference following needs from a match's rule (the index is loaded here)."""
    import licensedcode.cache

    index = licensedcode.cache._LICENSE_CACHE and licensedcode.cache.get_index()
    rule = index.rules_by_id.get(m.get("rule_identifier")) if index else None
    if rule is None:
        return {}
    # ScanCode's detection.is_license_intro, from the match mapping
    intro_rule = rule.is_license_intro or rule.is_license_clue or rule.license_expression == "free-unknown"
    exact = m.get("matcher") == "2-aho" or float(m.get("match_coverage") or 0) == 100
    return {"referenced_filenames": tuple(rule.referenced_filenames or ()), "is_license_intro": bool(intro_rule and exact)}


def to_match(m: dict) -> LicenseMatch:
    return LicenseMatch(
        license_expression=m["license_expression"],
        license_expression_spdx=m.get("license_expression_spdx") or "",
        start_line=int(m.get("start_line") or 0),
        end_line=int(m.get("end_line") or 0),
        score=float(m.get("score") or 0.0),
        matched_length=int(m.get("matched_length") or 0),
        rule_identifier=m.get("rule_identifier") or "",
        matcher=m.get("matcher") or "",
        **rule_facts(m),
    )


def to_detection(d: dict, detector: str) -> Detection:
    matches = tuple(to_match(m) for m in d.get("matches", []))
    total = sum(m.matched_length for m in matches)
    score = (sum(m.score * m.matched_length for m in matches) / total) if total else 100.0
    expression = d["license_expression"]
    return Detection(
        detector=detector,
        license_expression=expression,
        license_expression_spdx=d.get("license_expression_spdx") or "",
        category=license_db().category(expression),
        score=round(score, 2),
        start_line=min((m.start_line for m in matches), default=0),
        end_line=max((m.end_line for m in matches), default=0),
        matches=matches,
    )
