"""An index's manifest.json: its commit point. What it lists is the index; it is written last, atomically.

The files it lists (``index_files``) are immutable once listed: a part or shard
is never rewritten under the same name, so copies of an index (``remote``) only
ever add files and compare sizes.
"""

from __future__ import annotations

import json
import os

from licenselens.atomic import atomic_output
from licenselens.execution.shards import RECORD
from licenselens.overlap.parts import ARRAYS

FORMAT_VERSION = 5
SHARD_FILES = ("texts.bin", "offsets.npy", "docs.parquet")  # what stays of a shard once it is in a part


class IndexBuildError(ValueError):
    pass


def read_manifest(out_dir: str) -> dict:
    path = os.path.join(out_dir, "manifest.json")
    try:
        with open(path, "rb") as fh:
            return parse_manifest(fh.read(), out_dir)
    except OSError as exc:
        raise IndexBuildError(f"{out_dir}: not a licenselens index ({exc})") from exc


def parse_manifest(data: bytes, where: str) -> dict:
    try:
        manifest = json.loads(data)
        if not isinstance(manifest, dict):
            raise ValueError("manifest.json is not an object")
    except ValueError as exc:
        raise IndexBuildError(f"{where}: not a licenselens index ({exc})") from exc
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexBuildError(
            f"{where}: index format {manifest.get('format_version')}, this licenselens reads {FORMAT_VERSION}: "
            "rebuild it"
        )
    return manifest


def index_files(manifest: dict, records: bool = False) -> list[str]:
    """The files of the index ``manifest`` lists, relative to its folder: what a query reads (and with
    ``records`` each part's and shard's done.json, which ``index add`` and ``compact`` read)."""
    extra = (RECORD,) if records else ()
    files = [f"parts/{p['name']}/{a}" for p in manifest["parts"] for a in (*ARRAYS, *extra)]
    files += [f"shards/{s['name']}/{f}" for s in manifest["shards"] for f in (*SHARD_FILES, *extra)]
    if manifest.get("licenses"):
        files.append(manifest["licenses"])
    return files


def write_manifest(out_dir: str, manifest: dict) -> None:
    """Counts and size from the parts and shards listed, then the manifest, atomically (the commit point)."""
    totals = {key: sum(p[key] for p in manifest["parts"]) for key in ("documents", "tokens", "postings")}
    files = [os.path.join(out_dir, f) for f in index_files(manifest)]
    size = sum(os.path.getsize(f) for f in files if os.path.exists(f))  # what a query reads
    manifest["counts"] = {
        **totals,
        "parts": len(manifest["parts"]),
        "bytes": size,
        "bytes_per_token": round(size / totals["tokens"], 3) if totals["tokens"] else None,
    }
    with atomic_output(os.path.join(out_dir, "manifest.json"), binary=False) as fh:
        json.dump(manifest, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    directory = os.open(out_dir, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename on disk before anything the old manifest listed is removed
    finally:
        os.close(directory)
    for name in os.listdir(out_dir):  # licences of earlier manifests
        if name.startswith("licenses") and name.endswith(".parquet") and name != manifest.get("licenses"):
            os.unlink(os.path.join(out_dir, name))
