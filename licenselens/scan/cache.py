"""On-disk cache of per-content Findings: SQLite in WAL mode, keyed by content and index version.

A cache that cannot be opened or read is moved aside and rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
import warnings
from collections.abc import Iterable
from pathlib import Path

from licenselens.cachedir import cache_dir
from licenselens.rules import rules_dir
from licenselens.scan.options import ScanOptions
from licenselens.scancode.licensedb import index_version
from licenselens.stamp import tool_version
from licenselens.types.convert import to_jsonable
from licenselens.types.findings import Findings, findings_from_dict
from licenselens.types.scan import SourceFile


class CacheUnavailable(RuntimeError):
    """The cache cannot be used now (locked, read-only); the run goes on without it."""


class CacheWarning(UserWarning):
    pass


# errors that depend on the run, not the content: not cached as results (limits: see ``store``)
TRANSIENT_ERRORS = frozenset({"timeout", "detector-failed", "unreadable", "out-of-memory", "worker-died"})
# a file that reached a limit reaches it again under the same limits: cached, keyed by the limits
LIMIT_ERRORS = frozenset({"timeout", "out-of-memory"})
SCHEMA = "CREATE TABLE IF NOT EXISTS findings (key TEXT PRIMARY KEY, data TEXT NOT NULL)"


class FindingsCache:
    def __init__(self, path: Path):
        self.path = path
        self.conn = self._open()

    def _open(self) -> sqlite3.Connection:
        try:
            return self._connect()
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) or not self.path.exists():
                raise CacheUnavailable(f"{self.path}: {exc}") from exc  # locked, read-only, ...: not corrupt
            broken = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            os.replace(self.path, broken)
            for suffix in ("-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            try:
                return self._connect()
            except sqlite3.DatabaseError as again:
                raise CacheUnavailable(f"{self.path}: {again}") from again

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(SCHEMA)
            conn.execute("SELECT count(*) FROM (SELECT key FROM findings LIMIT 1)").fetchone()
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

    def get_many(self, keys: Iterable[str]) -> dict[str, Findings]:
        keys = list(keys)
        found: dict[str, Findings] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            try:
                rows = self.conn.execute(f"SELECT key, data FROM findings WHERE key IN ({marks})", chunk).fetchall()
            except sqlite3.DatabaseError:
                return found
            for key, data in rows:
                try:
                    found[key] = findings_from_dict(json.loads(data))
                except (ValueError, KeyError, TypeError):
                    continue  # an unreadable entry is recomputed and overwritten
        return found

    def put_many(self, items: Iterable[tuple[str, Findings]]) -> None:
        rows = [(k, json.dumps(to_jsonable(f), separators=(",", ":"))) for k, f in items]
        if not rows:
            return
        try:
            with self.conn:
                self.conn.executemany("INSERT OR REPLACE INTO findings (key, data) VALUES (?, ?)", rows)
        except sqlite3.DatabaseError as exc:  # disk full, locked: the scan's results stand without caching
            warnings.warn(f"licenselens cache not updated: {self.path}: {exc}", CacheWarning, stacklevel=2)

    def close(self) -> None:
        self.conn.close()


def content_key(source: SourceFile, stack: str) -> str:
    """What a result depends on: the bytes, the file name (ScanCode reads it) and the detector stack."""
    name = os.path.basename(source.path)
    locale = "locale" in source.location  # ScanCode splits long lines of such files
    return f"{source.sha256}:{name}:{int(locale)}:{stack}"


# rules/ files whose content decides what the file detectors report: editing one must not serve old findings
DETECTOR_RULES = ("manifests.yaml", "license_categories.yaml", "corpus_anchors.yaml")
# what a file's analysis means, beyond the tool version: raised when it changes within one version
# (2: binary files read as ScanCode reads them, the exact pre-test, one detection per statement)
FINDINGS_FORMAT = 2


def stack_version(options: ScanOptions) -> str:
    rules = hashlib.sha256(b"".join((rules_dir() / name).read_bytes() for name in DETECTOR_RULES)).hexdigest()
    raw = f"{FINDINGS_FORMAT}|{tool_version()}|{index_version()}|{','.join(options.detectors)}|{rules}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def open_cache(options: ScanOptions) -> FindingsCache | None:
    if not options.use_cache:
        return None
    try:
        return FindingsCache(cache_dir(options.cache_dir) / "findings.sqlite3")
    except CacheUnavailable as exc:
        warnings.warn(f"licenselens runs without its cache: {exc}", CacheWarning, stacklevel=2)
        return None


def _limits_key(key: str, options: ScanOptions) -> str:
    return f"{key}|timeout={options.timeout:g}|memory={options.max_memory}"


def lookup(cache: FindingsCache, keys: set[str], options: ScanOptions) -> dict[str, Findings]:
    """Cached findings; a file that reached the time or memory limit is only taken as having reached it
    again under the same limits."""
    known = cache.get_many(keys)
    missing = {_limits_key(k, options): k for k in keys - known.keys()}
    known.update({missing[k]: f for k, f in cache.get_many(missing).items()})
    return known


def store(cache: FindingsCache, fresh: dict[str, Findings], options: ScanOptions) -> None:
    items = []
    for key, findings in fresh.items():
        transient = {e.code for e in findings.errors} & TRANSIENT_ERRORS
        if not transient:
            items.append((key, findings))
        elif transient <= LIMIT_ERRORS:
            items.append((_limits_key(key, options), findings))
    cache.put_many(items)
