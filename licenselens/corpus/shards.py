"""Resumable shard outputs: a shard's rows and errors are written atomically, the sidecar last.

A shard is done when its sidecar exists; a run killed at any point leaves only
complete shards behind (temporary files are ignored), so the next run redoes
exactly the unfinished ones.
"""

from __future__ import annotations

import json
import os

import pyarrow as pa
import pyarrow.parquet as pq

from ..atomic import atomic_output
from ..types import DocumentError, Shard
from .schema import ROW_SCHEMA


class ShardStore:
    def __init__(self, directory: str, settings_key: str):
        self.directory = directory
        self.settings_key = settings_key
        os.makedirs(directory, exist_ok=True)

    def _base(self, shard: Shard) -> str:
        return os.path.join(self.directory, f"{self.settings_key}-{shard.key}")

    def is_done(self, shard: Shard) -> bool:
        return os.path.exists(self._base(shard) + ".json")

    def write(self, shard: Shard, rows: list[dict], errors: list[DocumentError], stats: dict) -> None:
        table = pa.Table.from_pylist(rows, schema=ROW_SCHEMA)
        with atomic_output(self._base(shard) + ".parquet", binary=True) as fh:
            pq.write_table(table, fh)
        sidecar = {"shard": shard.__dict__, "errors": [e.__dict__ for e in errors], "stats": stats}
        with atomic_output(self._base(shard) + ".json", binary=False) as fh:
            json.dump(sidecar, fh, sort_keys=True)

    def rows(self, shard: Shard) -> pa.Table:
        return pq.read_table(self._base(shard) + ".parquet", schema=ROW_SCHEMA)

    def sidecar(self, shard: Shard) -> dict:
        with open(self._base(shard) + ".json", encoding="utf-8") as fh:
            return json.load(fh)

    def prune(self, keep: list[Shard]) -> None:
        """Remove outputs of shards no longer planned (inputs changed) and stray temporary files."""
        wanted = {os.path.basename(self._base(s)) for s in keep}
        for name in os.listdir(self.directory):
            stem = name.rsplit(".", 1)[0]
            if name.startswith(".licenselens-") or stem not in wanted:
                os.unlink(os.path.join(self.directory, name))
