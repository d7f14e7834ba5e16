"""An index kept at a URI that pyarrow.fs speaks (s3://, gs://, hdfs://, file://).

Queries memory-map an index's arrays, so an index at a URI is read through a
local copy in the cache (``$LICENSELENS_CACHE_DIR/indexes/<key>/reading``). ``pull``
reads the store's manifest, lists the store once and fetches the files the manifest
lists that the copy lacks (each under a temporary name, then renamed), the manifest
last; if the store changes under it (a file listed is gone: a push removed it) it
starts again from the new manifest. Listed files are immutable (``manifest``), so
sizes tell what a copy lacks. One pull at a time per copy; every process that uses
a copy holds a shared lock on it, and a pull removes what the manifest no longer
lists only when no process holds one.

``index build``, ``add`` and ``compact`` of a URI (``at``) take a lock of their own
(one writer per index on a machine), check that the store takes a write before any
work, and work in a copy of their own (``.../writing``). ``push`` uploads what the
store lacks: each part as soon as it is written, by the engine's worker that wrote
it; then the shards; then the manifest, through a temporary name, so that readers
see the old index or the new one; then it deletes the files no manifest lists. A
run killed after its manifest was written locally publishes it when run again. An
object store has no locks: one writer per index across machines is yours to ensure.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import posixpath
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import pyarrow as pa
import pyarrow.fs as pafs

from licenselens.atomic import TEMPORARY, atomic_output
from licenselens.cachedir import cache_dir
from licenselens.execution.shards import RECORD, ShardStore
from licenselens.overlap.manifest import IndexBuildError, index_files, parse_manifest, read_manifest
from licenselens.overlap.parts import ARRAYS

SECRETS = {"access_key", "secret_key", "session_token", "access_token", "credentials_file_path"}
CHUNK = 8 << 20
TRANSFERS = 8  # files moved at once
ATTEMPTS = 3  # manifests read by one pull while the store keeps changing


def is_uri(location: str) -> bool:
    return "://" in location


def shown(uri: str) -> str:
    """The URI without its user information and query (either may hold credentials), for messages."""
    parts = urlsplit(uri)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2], query=""))


def _error(uri: str, exc: BaseException | str) -> IndexBuildError:
    """An error about ``uri`` whose text holds none of its credentials (pyarrow's messages repeat the URI);
    raised ``from None``, so that no trace shows the original either."""
    parts = urlsplit(uri)
    userinfo = parts.netloc.rpartition("@")[0]
    text = str(exc).replace(uri, shown(uri))
    if parts.query:
        text = text.replace("?" + parts.query, "")
    if userinfo:
        text = text.replace(userinfo + "@", "")
    secrets = [v for k, v in parse_qsl(parts.query) if k in SECRETS] + userinfo.split(":")
    for secret in sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True):  # one inside another: both
        text = text.replace(secret, "***")
    return IndexBuildError(f"{shown(uri)}: {text}")


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
        raise _error(uri, exc) from None
    return fs, root.rstrip("/")


def local_copy(uri: str, role: str = "reading") -> str:
    """The cache folder of this URI's copy for reading or writing. Its key is the store (filesystem type, endpoint)
    and the normalised path: every spelling of one index (a trailing slash, other options, other credentials) has
    the one copy, and the one writer lock."""
    fs, root = _filesystem(uri)
    endpoint = dict(parse_qsl(urlsplit(uri).query)).get("endpoint_override", "")
    key = json.dumps([fs.type_name, endpoint, posixpath.normpath("/" + root)])
    path = os.path.join(cache_dir(), "indexes", hashlib.sha256(key.encode()).hexdigest()[:16], role)
    os.makedirs(path, exist_ok=True)
    return path


def _remote_sizes(fs: pafs.FileSystem, root: str, under: str = "") -> dict[str, int]:
    """Every file under ``root`` (or its folder ``under``) by its path relative to ``root``, with its size."""
    infos = fs.get_file_info(pafs.FileSelector(f"{root}/{under}".rstrip("/"), allow_not_found=True, recursive=True))
    return {i.path[len(root) + 1 :]: i.size for i in infos if i.type == pafs.FileType.File}


@dataclass
class Copy:
    """A local copy of an index at a URI, up to date when pulled: its folder, the store's manifest and the sizes
    of the files it lists; ``hold``, a shared lock on the copy, is kept open as long as the copy is read."""

    folder: str
    manifest: dict
    sizes: dict[str, int]
    hold: IO

    def close(self) -> None:
        self.hold.close()


class _Changed(Exception):
    """The store changed while it was read (a listed file is gone)."""


def pull(uri: str, wanted: Callable[[str], bool] | None = None, role: str = "reading") -> Copy:
    """The local copy of the index at ``uri``, brought up to date. With ``wanted`` only the files it accepts
    are fetched and the copy's own manifest is left as it was."""
    local = local_copy(uri, role)
    with open(os.path.join(local, ".lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one pull of this copy at a time
        for attempt in range(ATTEMPTS):
            try:
                manifest, sizes = _pull(uri, local, wanted)
                break
            except _Changed as exc:
                if attempt == ATTEMPTS - 1:
                    raise _error(
                        uri, f"{exc}: the index changed {ATTEMPTS} times while it was read, or is damaged"
                    ) from None
        hold = open(os.path.join(local, ".in-use"), "a+")
        if role == "reading":
            try:  # what the manifest no longer lists goes, unless a process reads the copy (it may open it yet)
                fcntl.flock(hold, fcntl.LOCK_EX | fcntl.LOCK_NB)
                _prune(local, manifest)
            except BlockingIOError:
                pass
        fcntl.flock(hold, fcntl.LOCK_SH)  # taken before the pull lock is released: no prune in between
    return Copy(local, manifest, sizes, hold)


def _pull(uri: str, local: str, wanted: Callable[[str], bool] | None) -> tuple[dict, dict[str, int]]:
    fs, root = _filesystem(uri)
    try:
        try:
            with fs.open_input_stream(f"{root}/manifest.json") as fh:
                data = fh.read()
        except FileNotFoundError:
            raise IndexBuildError(f"{shown(uri)}: not a licenselens index (no manifest.json)") from None
        manifest = parse_manifest(data, shown(uri))
        have = _remote_sizes(fs, root)
        listed = index_files(manifest, records=True)
        gone = [rel for rel in listed if rel not in have]
        if gone:
            raise _Changed(f"{gone[0]}, which its manifest lists, is not there")
        sizes = {rel: have[rel] for rel in listed}
        fetch(fs, root, local, {rel: sizes[rel] for rel in listed if wanted is None or wanted(rel)})
        if wanted is None:
            with atomic_output(os.path.join(local, "manifest.json"), binary=True) as dst:
                dst.write(data)
    except (pa.ArrowException, OSError) as exc:
        raise _error(uri, exc) from None
    return manifest, sizes


def fetch(fs: pafs.FileSystem, root: str, local: str, files: dict[str, int]) -> None:
    """``files`` (relative paths and their sizes in the store) into ``local`` where it lacks them."""
    missing = [
        rel
        for rel, size in files.items()
        if not os.path.exists(os.path.join(local, rel)) or os.path.getsize(os.path.join(local, rel)) != size
    ]
    try:
        _parallel(lambda rel: _download(fs, f"{root}/{rel}", os.path.join(local, rel)), missing)
    except FileNotFoundError as exc:
        raise _Changed(str(exc)) from None


def fetch_part(uri: str, files: dict[str, int]) -> Copy:
    """A part's files (from the manifest a ``pull`` read: no other read of the store) into this machine's copy:
    what a Ray actor holding the part needs."""
    local = local_copy(uri)
    fs, root = _filesystem(uri)
    with open(os.path.join(local, ".lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            fetch(fs, root, local, files)
        except (_Changed, pa.ArrowException, OSError) as exc:
            raise _error(uri, exc) from None
        hold = open(os.path.join(local, ".in-use"), "a+")
        fcntl.flock(hold, fcntl.LOCK_SH)
    return Copy(local, {}, files, hold)


def _prune(local: str, manifest: dict) -> None:
    """Parts, shards and licence tables the manifest does not list, and files of killed downloads."""
    ShardStore(os.path.join(local, "parts")).prune(p["name"] for p in manifest["parts"])
    ShardStore(os.path.join(local, "shards")).prune(s["name"] for s in manifest["shards"])
    for folder, _, names in os.walk(local):
        for name in names:
            stale = name.startswith("licenses") and folder == local and name != manifest.get("licenses")
            if stale or name.startswith(TEMPORARY):
                os.unlink(os.path.join(folder, name))


def _parallel(transfer: Callable[[str], None], files: list[str]) -> None:
    """Several transfers at once: one stream is slower than an object store's bandwidth."""
    with ThreadPoolExecutor(TRANSFERS) as pool:
        for _ in pool.map(transfer, files):  # the first error raised here
            pass


def _download(fs: pafs.FileSystem, path: str, target: str) -> None:
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with fs.open_input_stream(path) as src, atomic_output(target, binary=True) as dst:
        while chunk := src.read(CHUNK):
            dst.write(chunk)


def _upload_missing(fs: pafs.FileSystem, root: str, local: str, files: Iterable[str], have: dict[str, int]) -> None:
    """``files`` (relative to ``local``) to the store where it lacks them (``have``: its sizes)."""
    missing = [rel for rel in files if have.get(rel) != os.path.getsize(os.path.join(local, rel))]
    for folder in sorted({os.path.dirname(f"{root}/{rel}") for rel in missing}) if _has_folders(fs) else ():
        fs.create_dir(folder, recursive=True)
    _parallel(lambda rel: _upload(fs, os.path.join(local, rel), f"{root}/{rel}"), missing)


def _has_folders(fs: pafs.FileSystem) -> bool:
    """Whether a file needs its folder made first (an object store's would be marker objects left behind)."""
    return fs.type_name in ("local", "hdfs")


def _upload(fs: pafs.FileSystem, source: str, path: str) -> None:
    with open(source, "rb") as src, fs.open_output_stream(path) as dst:
        while chunk := src.read(CHUNK):
            dst.write(chunk)


def push_part(local: str, uri: str, name: str) -> None:
    """A part just written in the local copy ``local``, to the index at ``uri``."""
    fs, root = _filesystem(uri)
    try:
        have = _remote_sizes(fs, root, f"parts/{name}")
        _upload_missing(fs, root, local, [f"parts/{name}/{a}" for a in (*ARRAYS, RECORD)], have)
    except (pa.ArrowException, OSError) as exc:
        raise _error(uri, exc) from None


def push(local: str, uri: str) -> None:
    """The index in ``local`` to ``uri``: the files it lacks, the manifest, then the files no longer listed."""
    fs, root = _filesystem(uri)
    listed = index_files(read_manifest(local), records=True)
    try:
        have = _remote_sizes(fs, root)
        _upload_missing(fs, root, local, listed, have)
        _upload(fs, os.path.join(local, "manifest.json"), f"{root}/{TEMPORARY}manifest.json")
        fs.move(f"{root}/{TEMPORARY}manifest.json", f"{root}/manifest.json")
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
        for folder in sorted(stale) if _has_folders(fs) else ():  # an object store has none once its files go
            fs.delete_dir(f"{root}/{folder}")
    except (pa.ArrowException, OSError) as exc:
        raise _error(uri, exc) from None


def at(location: str, job: Callable[[str, str | None], dict], existing: bool) -> dict:
    """``job(folder, uri)`` on the index at ``location``: a folder itself, or a URI's local copy (pulled first
    when the job needs the ``existing`` index) published once the job is done; ``uri`` is for pushing parts."""
    if not is_uri(location):
        return job(location, None)
    local = local_copy(location, "writing")
    with open(os.path.join(os.path.dirname(local), "writer.lock"), "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBuildError(f"{shown(location)}: another licenselens command is writing this index") from None
        unpublished = os.path.join(local, ".unpublished")
        if os.path.exists(unpublished):
            _publish_stopped(local, location, unpublished)
        if existing:
            pull(location, role="writing").close()
        _check_writable(location, existing)
        with open(unpublished, "w", encoding="utf-8") as fh:
            fh.write(_manifest_digest(location))  # the index the job starts from
        try:
            result = job(local, location)
        except Exception:
            os.unlink(unpublished)  # the job failed: nothing of it to publish
            raise
        push(local, location)
        os.unlink(unpublished)
    return result


def _manifest_digest(uri: str) -> str:
    """The store's manifest now, as a digest ("" for none)."""
    fs, root = _filesystem(uri)
    try:
        with fs.open_input_stream(f"{root}/manifest.json") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except FileNotFoundError:
        return ""
    except (pa.ArrowException, OSError) as exc:
        raise _error(uri, exc) from None


def _publish_stopped(local: str, uri: str, marker: str) -> None:
    """An earlier command on this machine finished its index in the copy and was stopped before publishing it:
    publish it, if the store still holds the index that command started from (else it would undo what was
    published since) and the copy is complete (its manifest written); else drop it."""
    with open(marker, encoding="utf-8") as fh:
        base = fh.read()
    try:
        read_manifest(local)
        complete = True
    except IndexBuildError:
        complete = False  # stopped before its manifest, or written by another version: nothing to publish
    if complete and _manifest_digest(uri) == base:
        push(local, uri)
    os.unlink(marker)


def _foreign(fs: pafs.FileSystem, root: str) -> list[str]:
    """Files at ``root`` that no index build of ours wrote (before a manifest, only parts' uploads are)."""
    names = [posixpath.basename(i.path) for i in fs.get_file_info(pafs.FileSelector(root, allow_not_found=True))]
    ours = {"manifest.json", "parts", "shards"} if "manifest.json" in names else {"parts"}
    foreign = [n for n in names if n not in ours and not n.startswith(("licenses-", TEMPORARY))]
    if "parts" in names and "manifest.json" not in names:
        parts = fs.get_file_info(pafs.FileSelector(f"{root}/parts"))
        foreign += [i.path for i in parts if not posixpath.basename(i.path).startswith(("part-", TEMPORARY))]
    return foreign


def _check_writable(uri: str, existing: bool) -> None:
    """A small object written and deleted: the scheme, the bucket, credentials and permissions are checked before
    any indexing, not after hours of it. A new index is not written where other files are: publishing removes
    what its manifest does not list."""
    fs, root = _filesystem(uri)
    try:
        if not existing and _foreign(fs, root):
            raise IndexBuildError(f"{shown(uri)}: holds files that are not a licenselens index's: write it elsewhere")
        if _has_folders(fs):
            fs.create_dir(root, recursive=True)
        with fs.open_output_stream(f"{root}/{TEMPORARY}probe") as fh:
            fh.write(b"licenselens")
        fs.delete_file(f"{root}/{TEMPORARY}probe")
    except (pa.ArrowException, OSError) as exc:
        raise _error(uri, exc) from None
