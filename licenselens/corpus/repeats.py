"""What was kept so far, in run order, for the duplicate decisions of `corpus` and `clean`: texts by digest
(exact duplicates) and MinHash signatures by LSH band (near duplicates).

The most recent ``memory`` (``--dedup-memory``) are held in dictionaries; older ones are moved, in
bulk, to an SQLite file in the run's work folder. Memory stays bounded whatever the corpus's size, and the
answers are the same wherever an entry sits: every lookup reads the file first (older entries), then memory.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from dataclasses import dataclass

import numpy as np

from licenselens.corpus.neardup import DedupSettings

BATCH = 900  # rows a query names: under SQLite's oldest limit of 999 variables
MEMORY = 200_000  # documents: about 3 KB each in memory (band tables, signature, digest)


class _Spill:
    """An SQLite file made on first use in ``directory`` and removed on close; nothing in it outlives the run."""

    def __init__(self, directory: str | None, schema: str):
        self.directory, self.schema = directory, schema
        self.db: sqlite3.Connection | None = None
        self.path = ""

    def connect(self) -> sqlite3.Connection:
        if self.db is None:
            if self.directory:
                os.makedirs(self.directory, exist_ok=True)
            fd, self.path = tempfile.mkstemp(prefix="repeats-", suffix=".sqlite", dir=self.directory)
            os.close(fd)
            self.db = sqlite3.connect(self.path, isolation_level=None)
            # a scratch file: no journal, no sync; a crash leaves it to be made again
            self.db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-65536;")
            self.db.executescript(self.schema)
        return self.db

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
            os.unlink(self.path)


class SeenTexts:
    """The first document of each text digest."""

    def __init__(self, directory: str | None = None, memory: int = MEMORY):
        self.limit = memory
        self.recent: dict[str, str] = {}
        self.spill = _Spill(directory, "CREATE TABLE seen(digest TEXT PRIMARY KEY, name TEXT) WITHOUT ROWID;")

    def first(self, digest: str) -> str | None:
        if self.spill.db is not None:
            row = self.spill.db.execute("SELECT name FROM seen WHERE digest = ?", (digest,)).fetchone()
            if row:
                return row[0]
        return self.recent.get(digest)

    def add(self, digest: str, name: str) -> None:
        """A digest ``first`` has just not found: callers look it up anyway, so it is not looked up twice."""
        self.recent[digest] = name
        if len(self.recent) >= self.limit:
            db = self.spill.connect()
            db.execute("BEGIN")
            db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?)", self.recent.items())
            db.execute("COMMIT")
            self.recent = {}

    def close(self) -> None:
        self.spill.close()


@dataclass(frozen=True)
class NearMatch:
    first: int  # position of the earlier document, as given to ``keep``
    name: str  # and its name
    similarity: float  # estimated Jaccard similarity of the two shingle sets


_NEAR_SCHEMA = """
CREATE TABLE band(key INTEGER, row INTEGER);
CREATE TABLE kept(row INTEGER PRIMARY KEY, position INTEGER, name TEXT, signature BLOB);
"""


class NearDuplicates:
    """Documents offered in run order; each is compared with the earlier ones that repeat nothing themselves
    (the ones `clean` keeps), so a chain A~B~C without A~C keeps C. Candidates are the kept documents that share
    an LSH band key (``neardup.band_keys``); each is checked with its whole signature, in the order kept."""

    def __init__(self, settings: DedupSettings, directory: str | None = None, memory: int = MEMORY):
        self.settings, self.memory = settings, memory
        self.needed = int(np.ceil(settings.threshold * settings.num_perm - 1e-9))  # equal values to reach it
        self.base = 0  # rows below this are in the file
        self.bands: dict[int, int | list[int]] = {}  # band key -> kept row(s), the recent ones
        self.matrix = np.zeros((1024, settings.num_perm), dtype=np.uint32)  # recent kept signatures
        self.positions: list[int] = []
        self.names: list[str] = []
        self.spill = _Spill(directory, _NEAR_SCHEMA)
        marks = ",".join("?" * settings.lsh_bands)
        self._query = f"SELECT DISTINCT row FROM band WHERE key IN ({marks}) ORDER BY row"

    def match(self, values: np.ndarray, keys: np.ndarray) -> NearMatch | None:
        """The first kept document this one nearly repeats, if any (``keys``: its band keys)."""
        if self.spill.db is not None:
            found = self._match_spilled(values, keys.tolist())
            if found:
                return found
        rows: set[int] = set()
        for key in keys.tolist():
            got = self.bands.get(key)
            if got is not None:
                rows.update(got) if isinstance(got, list) else rows.add(got)
        if not rows:
            return None
        ordered = np.fromiter(sorted(rows), np.int64, len(rows))
        equal = np.count_nonzero(self.matrix[ordered] == values, axis=1)
        hits = np.flatnonzero(equal >= self.needed)
        if not len(hits):
            return None
        row = int(ordered[hits[0]])
        return NearMatch(self.positions[row], self.names[row], self._similarity(int(equal[hits[0]])))

    def _match_spilled(self, values: np.ndarray, keys: list[int]) -> NearMatch | None:
        assert self.spill.db is not None
        rows = [row for (row,) in self.spill.db.execute(self._query, keys)]
        for start in range(0, len(rows), BATCH):  # in row order: the first kept that is similar enough wins
            part = rows[start : start + BATCH]
            marks = ",".join("?" * len(part))
            query = f"SELECT position, name, signature FROM kept WHERE row IN ({marks}) ORDER BY row"
            found = self.spill.db.execute(query, part).fetchall()
            matrix = np.frombuffer(b"".join(blob for _, _, blob in found), dtype=np.uint32).reshape(len(found), -1)
            equal = np.count_nonzero(matrix == values, axis=1)
            hits = np.flatnonzero(equal >= self.needed)
            if len(hits):
                position, name, _ = found[hits[0]]
                return NearMatch(position, name, self._similarity(int(equal[hits[0]])))
        return None

    def _similarity(self, equal: int) -> float:
        return round(equal / self.settings.num_perm, 4)

    def keep(self, position: int, name: str, values: np.ndarray, keys: np.ndarray) -> None:
        row = len(self.positions)
        if row == len(self.matrix):
            self.matrix = np.concatenate((self.matrix, np.zeros_like(self.matrix)))
        self.matrix[row] = values
        self.positions.append(position)
        self.names.append(name)
        for key in keys.tolist():
            got = self.bands.get(key)
            if got is None:
                self.bands[key] = row
            elif isinstance(got, list):
                got.append(row)
            else:
                self.bands[key] = [got, row]
        if len(self.positions) >= self.memory:
            self._move_to_file()

    def _move_to_file(self) -> None:
        db, base = self.spill.connect(), self.base
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO band VALUES (?, ?)",
            (
                (key, base + row)
                for key, got in self.bands.items()
                for row in (got if isinstance(got, list) else (got,))
            ),
        )
        db.executemany(
            "INSERT INTO kept VALUES (?, ?, ?, ?)",
            (
                (base + row, position, name, self.matrix[row].tobytes())
                for row, (position, name) in enumerate(zip(self.positions, self.names))
            ),
        )
        db.execute("CREATE INDEX IF NOT EXISTS band_key ON band(key)")
        db.execute("COMMIT")
        self.base += len(self.positions)
        self.bands, self.positions, self.names = {}, [], []
        self.matrix = np.zeros((1024, self.settings.num_perm), dtype=np.uint32)

    def close(self) -> None:
        self.spill.close()
