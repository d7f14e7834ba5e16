"""An index kept at a URI that pyarrow.fs speaks (s3://, gs://, hdfs://, file://).

Queries memory-map an index's arrays, so an index at a URI is read through a
local copy in the cache (``$LICENSELENS_CACHE_DIR/indexes/<key>/reading``): ``pull``
fetches the files its manifest lists that the copy lacks, each under a temporary
name then renamed, the manifest last, then drops what it no longer lists; one pull
at a time per copy. Listed files are immutable (``manifest``), so a copy is brought
up to date by adding files, never by comparing contents.

``index build``, ``add`` and ``compact`` of a URI work in a copy of their own
(``.../writing``: a killed run resumes there) and ``push`` uploads what the destination lacks: each part as
soon as it is written, by the engine's worker that wrote it; then the shards; the
manifest last, through a temporary name, so that readers see the old index or the
new one; then the files no manifest lists any more are deleted. An object store
has no locks: one writer at a time per index is the user's to ensure.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pyarrow as pa
import pyarrow.fs as pafs

from licenselens.cachedir import cache_dir
from licenselens.execution.shards import RECORD, ShardStore
from licenselens.overlap.manifest import IndexBuildError, index_files, parse_manifest, read_manifest
from licenselens.overlap.parts import ARRAYS

SECRETS = {"access_key", "secret_key", "session_token", "access_token", "credentials_file_path"}
CHUNK = 8 << 20
TRANSFERS = 8  # files moved at once


def is_uri(location: str) -> bool:
    return "://" in location


def shown(uri: str) -> str:
    """The URI without the query (which may hold credentials), for messages."""
    return urlunsplit(urlsplit(uri)._replace(query=""))


def _filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    parts = urlsplit(uri)
    query = dict(parse_qsl(parts.query))
    try:
        if parts.scheme in ("gs", "gcs") and query.pop("anonymous", "false").lower() == "true":
            # a public bucket (or an emulator): pyarrow's URIs have no such option, its GcsFileSystem has
            fs = pafs.GcsFileSystem(anonymous=True, **query)  # scheme, endpoint_override, ...
            root = parts.netloc + parts.path
        else:
            fs, root = pafs.FileSystem.from_uri(uri)
    except (pa.ArrowException, OSError, ValueError, TypeError) as exc:
        raise IndexBuildError(f"{shown(uri)}: {exc}") from exc
    return fs, root.rstrip("/")


def local_copy(uri: str, role: str = "reading") -> str:
    """The cache folder of this URI's copy for reading or writing; the key leaves credentials out."""
    parts = urlsplit(uri)
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if k not in SECRETS))
    key = hashlib.sha256(urlunsplit(parts._replace(query=query)).encode()).hexdigest()[:16]
    path = os.path.join(cache_dir(), "indexes", key, role)
    os.makedirs(path, exist_ok=True)
    return path


def _remote_sizes(fs: pafs.FileSystem, root: str) -> dict[str, int]:
    """Every file under ``root`` by its path relative to it, with its size (one listing)."""
    infos = fs.get_file_info(pafs.FileSelector(root, allow_not_found=True, recursive=True))
    return {i.path[len(root) + 1 :]: i.size for i in infos if i.type == pafs.FileType.File}


def pull(uri: str, wanted: Callable[[str], bool] | None = None, role: str = "reading") -> tuple[str, dict]:
    """The local copy of the index at ``uri``, brought up to date, and its manifest. With ``wanted`` only
    the files it accepts are fetched and the copy's manifest is left as it was (an actor's part, say)."""
    local = local_copy(uri, role)
    with open(os.path.join(local, ".lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # other pulls of this copy wait (a writer's copy has its own lock)
        manifest = _pull(uri, local, wanted)
        if wanted is None and role == "reading":  # what earlier manifests listed (open files stay readable)
            ShardStore(os.path.join(local, "parts")).prune(p["name"] for p in manifest["parts"])
            ShardStore(os.path.join(local, "shards")).prune(s["name"] for s in manifest["shards"])
    return local, manifest


def _pull(uri: str, local: str, wanted: Callable[[str], bool] | None) -> dict:
    fs, root = _filesystem(uri)
    try:
        try:
            with fs.open_input_stream(f"{root}/manifest.json") as fh:
                data = fh.read()
        except FileNotFoundError as exc:
            raise IndexBuildError(f"{shown(uri)}: not a licenselens index (no manifest.json)") from exc
        manifest = parse_manifest(data, shown(uri))
        have = _remote_sizes(fs, root)
        missing = []
        for rel in index_files(manifest, records=True):
            if wanted is not None and not wanted(rel):
                continue
            target = os.path.join(local, rel)
            if rel not in have:
                raise IndexBuildError(f"{shown(uri)}: the manifest lists {rel}, which is not there")
            if not os.path.exists(target) or os.path.getsize(target) != have[rel]:
                missing.append(rel)
        _parallel(lambda rel: _download(fs, f"{root}/{rel}", os.path.join(local, rel)), missing)
        if wanted is None:
            _download_bytes(data, os.path.join(local, "manifest.json"))
    except (pa.ArrowException, OSError) as exc:
        raise IndexBuildError(f"{shown(uri)}: {exc}") from exc
    return manifest


def _parallel(transfer: Callable[[str], None], files: list[str]) -> None:
    """Several transfers at once: one stream is slower than an object store's bandwidth."""
    with ThreadPoolExecutor(TRANSFERS) as pool:
        for _ in pool.map(transfer, files):  # the first error raised here
            pass


def _download(fs: pafs.FileSystem, path: str, target: str) -> None:
    os.makedirs(os.path.dirname(target), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".licenselens-", suffix=".tmp")
    try:
        with fs.open_input_stream(path) as src, os.fdopen(fd, "wb") as dst:
            while chunk := src.read(CHUNK):
                dst.write(chunk)
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise


def _download_bytes(data: bytes, target: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".licenselens-", suffix=".tmp")
    with os.fdopen(fd, "wb") as dst:
        dst.write(data)
    os.replace(tmp, target)


def upload(local: str, uri: str, files: Iterable[str], have: dict[str, int] | None = None) -> None:
    """``files`` (relative to ``local``) to the index at ``uri`` where it lacks them (``have``: its sizes)."""
    fs, root = _filesystem(uri)
    try:
        have = _remote_sizes(fs, root) if have is None else have
        missing = [rel for rel in files if have.get(rel) != os.path.getsize(os.path.join(local, rel))]
        for folder in sorted({os.path.dirname(f"{root}/{rel}") for rel in missing}):
            fs.create_dir(folder, recursive=True)
        _parallel(lambda rel: _upload(fs, os.path.join(local, rel), f"{root}/{rel}"), missing)
    except (pa.ArrowException, OSError) as exc:
        raise IndexBuildError(f"{shown(uri)}: {exc}") from exc


def _upload(fs: pafs.FileSystem, source: str, path: str) -> None:
    with open(source, "rb") as src, fs.open_output_stream(path) as dst:
        while chunk := src.read(CHUNK):
            dst.write(chunk)


def push_part(local: str, uri: str, name: str) -> None:
    """A part just written in the local copy ``local``, to the index at ``uri``."""
    upload(local, uri, [f"parts/{name}/{a}" for a in (*ARRAYS, RECORD)])


def push(local: str, uri: str) -> None:
    """The index in ``local`` to ``uri``: the files it lacks, the manifest, then the files no longer listed."""
    fs, root = _filesystem(uri)
    manifest = read_manifest(local)
    listed = index_files(manifest, records=True)
    try:
        have = _remote_sizes(fs, root)
        upload(local, uri, listed, have)
        temporary = f"{root}/.licenselens-manifest.json"
        with open(os.path.join(local, "manifest.json"), "rb") as src, fs.open_output_stream(temporary) as dst:
            dst.write(src.read())
        fs.move(temporary, f"{root}/manifest.json")
        keep = set(listed)
        folders = {"/".join(rel.split("/")[:2]) for rel in listed}
        stale = set()
        for rel in have:  # what earlier manifests listed
            folder = "/".join(rel.split("/")[:2])
            if rel.startswith(("parts/", "shards/")) and folder not in folders:
                stale.add(folder)
                fs.delete_file(f"{root}/{rel}")
            elif rel.startswith("licenses") and rel not in keep:
                fs.delete_file(f"{root}/{rel}")
        for folder in sorted(stale):
            try:
                fs.delete_dir(f"{root}/{folder}")  # a folder, or an object store's marker if there is one
            except FileNotFoundError:
                pass
    except (pa.ArrowException, OSError) as exc:
        raise IndexBuildError(f"{shown(uri)}: {exc}") from exc


def at(location: str, job: Callable[[str, str | None], dict], existing: bool) -> dict:
    """``job(folder, uri)`` on the index at ``location``: a folder itself, or a URI's local copy (pulled first
    when the job needs the ``existing`` index) published once the job is done; ``uri`` is for pushing parts."""
    if not is_uri(location):
        return job(location, None)
    if existing:
        local, _ = pull(location, role="writing")
    else:
        local = local_copy(location, "writing")
    result = job(local, location)
    push(local, location)
    return result
