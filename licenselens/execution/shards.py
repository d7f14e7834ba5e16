"""The one resumable shard store of corpus runs and index builds.

A shard's outputs are written into a temporary folder, its record (``done.json``: the shard,
its errors, its stats) last, and the folder is then renamed into place: a shard folder appears
whole or not at all. A run killed at any point leaves only complete shards behind, so the next
run redoes exactly the unfinished ones; ``prune`` drops what a run no longer plans and leftovers.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from licenselens.atomic import TEMPORARY  # prefix of folders being written or replaced

RECORD = "done.json"


class ShardStore:
    def __init__(self, directory: str):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)

    def path(self, name: str) -> str:
        return os.path.join(self.directory, name)

    def is_done(self, name: str) -> bool:
        return os.path.exists(os.path.join(self.path(name), RECORD))

    def record(self, name: str) -> dict[str, Any]:
        with open(os.path.join(self.path(name), RECORD), encoding="utf-8") as fh:
            return json.load(fh)

    @contextmanager
    def writing(self, name: str, record: dict[str, Any]) -> Iterator[str]:
        """A folder to write shard ``name`` into; on leaving the block ``record`` (which the block may
        still fill in) is written and the folder takes the shard's name. An exception discards it."""
        tmp = tempfile.mkdtemp(dir=self.directory, prefix=f"{TEMPORARY}building-")
        try:
            yield tmp
            with open(os.path.join(tmp, RECORD), "w", encoding="utf-8") as fh:
                json.dump(record, fh, sort_keys=True)
            _sync(tmp)  # on disk before the name says the shard is done: a power cut cannot truncate it
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        final = self.path(name)
        if os.path.exists(final):  # an earlier attempt: moved aside in one step, so a folder half-deleted
            old = tempfile.mkdtemp(dir=self.directory, prefix=f"{TEMPORARY}replaced-")  # by a kill never
            os.replace(final, os.path.join(old, "shard"))  # carries the shard's name
            os.replace(tmp, final)
            shutil.rmtree(old)
        else:
            os.replace(tmp, final)
        _sync_directory(self.directory)

    def discard(self, name: str) -> None:
        """Remove shard ``name``: renamed aside in one step first, so a kill never leaves it half removed."""
        aside = tempfile.mkdtemp(dir=self.directory, prefix=f"{TEMPORARY}discarded-")
        os.replace(self.path(name), os.path.join(aside, "shard"))
        shutil.rmtree(aside)

    def prune(self, keep: Iterable[str]) -> None:
        """Remove shards no longer planned (their inputs changed) and folders of interrupted writes."""
        wanted = set(keep)
        for name in os.listdir(self.directory):
            if name not in wanted:
                path = self.path(name)
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    os.unlink(path)


def _sync(folder: str) -> None:
    for entry in os.scandir(folder):
        if entry.is_file(follow_symlinks=False):
            with open(entry.path, "rb") as fh:
                os.fsync(fh.fileno())
    _sync_directory(folder)


def _sync_directory(folder: str) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
