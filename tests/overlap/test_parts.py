"""An index in parts answers exactly as one merged index: built in parts, added to, compacted.

The reference is an index built from every dataset at once (one part). The same
datasets indexed in several parts by one build, or added one by one with
``index add``, must give field-for-field equal checks, with the per-n-gram and
per-seed limits hit across parts; ``index compact`` must give the reference's
arrays byte for byte.
"""

import json
import os
import random
import shutil

import numpy as np
import pytest

from licenselens.overlap import OverlapIndex
from licenselens.overlap.build import IndexBuildError, IndexSettings, build_index, compact_index
from licenselens.sources.manifest import manifest_for
from licenselens.types.corpus import Manifest

from ..conftest import shakespeare
from .test_spans import boilerplate_documents, boilerplate_outputs, corpus_documents, sample_outputs

SETTINGS = IndexSettings(n=13, gram=8)
ARRAYS = ("postings.npy", "seeds.npy", "tokens.npy", "token_offsets.npy")


def _write(path, docs):
    with open(path, "w", encoding="utf-8") as fh:
        for doc in docs:
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return path


def _manifest(paths) -> Manifest:
    datasets = tuple(d for p in paths for d in manifest_for(str(p)).datasets)
    return Manifest(None, None, datasets, (), " ".join(map(str, paths)))


def _build(paths, out, **kwargs):
    return build_index(_manifest(paths), str(out), SETTINGS, jobs=1, shard_bytes=150_000, **kwargs)


@pytest.fixture(scope="module")
def indexes(tmp_path_factory):
    root = tmp_path_factory.mktemp("parts")
    plain = corpus_documents()
    boiler, passage = boilerplate_documents()
    for i, doc in enumerate(boiler):
        doc["id"] = f"b{i:03d}"
    # the boilerplate passage in every dataset: its n-grams' and seeds' limits are shared among parts
    datasets = [
        _write(root / "alpha.jsonl", plain[:18] + boiler[:120]),
        _write(root / "beta.jsonl", boiler[120:260] + plain[18:30]),
        _write(root / "gamma.jsonl", plain[30:] + boiler[260:]),
    ]
    whole = _build(datasets, root / "whole")
    many = _build(datasets, root / "many", part_tokens=60_000)
    _build(datasets[:1], root / "added")
    _build(datasets[1:2], root / "added", append=True)
    _build(datasets[2:], root / "added", append=True)
    shutil.copytree(root / "added", root / "compacted")
    compact_index(str(root / "compacted"))
    assert len(whole["parts"]) == 1 and len(many["parts"]) >= 4
    docs = plain + boiler
    return root, datasets, docs, passage


def _outputs(docs, passage):
    rng = random.Random(5)
    outputs = sample_outputs(docs, 40, seed=11) + boilerplate_outputs(docs[-300:], passage)
    english = shakespeare()
    for _ in range(10):  # near copies: a word in six replaced
        start = rng.randrange(len(english) - 3000)
        words = english[start : start + 1500].split()
        outputs.append(" ".join("zq" if i % 6 == 3 else w for i, w in enumerate(words)))
    return outputs


@pytest.mark.parametrize("limits", [None, (40, 6)])
def test_every_layout_answers_as_the_index_built_at_once(indexes, limits):
    root, _, docs, passage = indexes
    opened = {name: OverlapIndex(str(root / name)) for name in ("whole", "many", "added", "compacted")}
    assert [len(opened[n].arrays.parts) for n in ("whole", "added", "compacted")] == [1, 3, 1]
    if limits:  # limits low enough that most n-grams and seeds of the boilerplate are cut in the first parts
        for index in opened.values():
            index.rules = {**index.rules, "max_hits_per_ngram": limits[0]}
            index.rules["near_search"] = {**index.rules["near_search"], "max_hits_per_seed": limits[1]}
    checked = 0
    for output in _outputs(docs, passage):
        want = opened["whole"].check(output)
        for name in ("many", "added", "compacted"):
            assert opened[name].check(output) == want, (name, output[:80])
        checked += bool(want.spans or want.near_copies)
    assert checked >= 40  # the outputs do copy


def test_compact_gives_the_arrays_of_one_build(indexes):
    root = indexes[0]
    whole = json.loads((root / "whole" / "manifest.json").read_text(encoding="utf-8"))
    compacted = json.loads((root / "compacted" / "manifest.json").read_text(encoding="utf-8"))
    assert compacted["counts"] == whole["counts"]
    assert [s["name"] for s in compacted["shards"]] == [s["name"] for s in whole["shards"]]
    (a,), (b,) = whole["parts"], compacted["parts"]
    for name in ARRAYS:
        left = (root / "whole" / "parts" / a["name"] / name).read_bytes()
        assert left == (root / "compacted" / "parts" / b["name"] / name).read_bytes(), name
    # the parts it merged are gone; nothing but the listed parts stays
    assert sorted(os.listdir(root / "compacted" / "parts")) == [b["name"]]


def test_add_keeps_the_parts_it_has_and_refuses_what_the_index_holds(indexes, tmp_path):
    root, datasets, _, _ = indexes
    out = tmp_path / "index"
    _build(datasets[:1], out)
    (first,) = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["parts"]
    before = {name: (out / "parts" / first["name"] / name).stat().st_mtime_ns for name in ARRAYS}
    _build(datasets[1:2], out, append=True)
    after = {name: (out / "parts" / first["name"] / name).stat().st_mtime_ns for name in ARRAYS}
    assert after == before  # not rewritten
    with pytest.raises(IndexBuildError, match="already holds dataset"):
        _build(datasets[1:2], out, append=True)
    with pytest.raises(IndexBuildError, match="not a licenselens index"):
        _build(datasets[1:2], tmp_path / "nowhere", append=True)


def test_merging_keeps_equal_hashes_in_input_order_and_writes_a_long_run_of_one_key_through(tmp_path):
    from licenselens.overlap.build import POSTING
    from licenselens.overlap.sortedfiles import merge_sorted

    rng = np.random.default_rng(3)
    inputs, expected = [], []
    for k in range(5):
        table = np.zeros(3000, dtype=POSTING)
        table["hash"] = np.sort(rng.integers(0, 40, 3000))  # few keys: long runs of one hash
        table["hash"][:2500] = 7 if k == 2 else table["hash"][:2500]  # one input: a run longer than its buffer
        table = table[np.argsort(table["hash"], kind="stable")]
        table["doc"], table["pos"] = np.arange(3000), k
        np.save(tmp_path / f"{k}.npy", table)
        shifted = table.copy()
        shifted["doc"] += 10_000 * k
        inputs.append((str(tmp_path / f"{k}.npy"), 10_000 * k))
        expected.append(shifted)
    whole = np.concatenate(expected)
    whole = whole[np.argsort(whole["hash"], kind="stable")]
    assert merge_sorted(inputs, str(tmp_path / "out.npy"), "postings", budget=16 * 1024) == len(whole)
    assert np.load(tmp_path / "out.npy").tobytes() == whole.tobytes()


@pytest.mark.slow
def test_parts_in_ray_actors_answer_as_local_parts(indexes):
    """A real local Ray cluster: each of the three parts in its own actor process."""
    ray = pytest.importorskip("ray")
    root, _, docs, passage = indexes
    local = OverlapIndex(str(root / "added"))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        remote = OverlapIndex(str(root / "added"), engine="ray")
        pids = {ray.get(a.__ray_call__.remote(lambda self: os.getpid())) for a in remote.arrays.parts}
        assert len(pids) == 3 and os.getpid() not in pids  # three worker processes, none of them this one
        for output in _outputs(docs, passage)[::3]:
            assert remote.check(output) == local.check(output)
    finally:
        ray.shutdown()


def test_a_rebuild_rewrites_its_parts_and_writers_take_turns(indexes, tmp_path):
    """A part is reused only from the shards it was merged from: a rebuild (after an upgrade, or of an input
    edited without changing its size and time) writes new arrays; one command writes an index at a time."""
    import fcntl

    _, datasets, _, _ = indexes
    out = tmp_path / "index"
    first = _build(datasets[:1], out)
    arrays = out / "parts" / first["parts"][0]["name"] / "postings.npy"
    inode = arrays.stat().st_ino
    again = _build(datasets[:1], out)
    assert [p["name"] for p in again["parts"]] == [p["name"] for p in first["parts"]]
    assert arrays.stat().st_ino != inode  # written anew from the rebuilt shards
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    (out / "manifest.json").write_text(json.dumps({**manifest, "tokeniser": {"tokeniser": "older"}}), "utf-8")
    with pytest.raises(IndexBuildError, match="tokeniser"):
        _build(datasets[1:2], out, append=True)
    with open(out / ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with pytest.raises(IndexBuildError, match="another licenselens command is writing"):
            compact_index(str(out))


def test_a_merge_of_many_inputs_opens_one_at_a_time(tmp_path):
    """A part of a thousand shards: more inputs than the process may hold open files."""
    import subprocess
    import sys

    for k in range(120):
        np.save(tmp_path / f"{k}.npy", np.sort(np.random.default_rng(k).integers(0, 2**40, 50, dtype=np.uint64)))
    script = (
        "import resource, sys, numpy as np\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (48, 48))\n"
        "from licenselens.overlap.sortedfiles import merge_sorted, concatenate\n"
        "paths = [f'{sys.argv[1]}/{k}.npy' for k in range(120)]\n"
        "merge_sorted([(p, 0) for p in paths], sys.argv[1] + '/merged.npy', 'seeds', 4096)\n"
        "concatenate(paths, sys.argv[1] + '/all.npy', 4096)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True)
    everything = np.concatenate([np.load(tmp_path / f"{k}.npy") for k in range(120)])
    assert np.array_equal(np.load(tmp_path / "merged.npy"), np.sort(everything))
    assert np.array_equal(np.load(tmp_path / "all.npy"), everything)
