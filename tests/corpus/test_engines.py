"""Same inputs, same rows: local engine with 1 and 2 workers, and Ray Data on a real local Ray cluster."""

import gzip
import json

import pyarrow.parquet as pq
import pytest

from licenselens.corpus.runner import CorpusOptions, run_corpus
from licenselens.sources.manifest import load_manifest

from ..conftest import mencius_paragraphs, shakespeare


def build_corpus(root):
    """Three datasets of real text, with licence footers, opt-outs and a bad line, in several shards."""
    from pathlib import Path

    import licensedcode

    rules = sorted((Path(licensedcode.__file__).parent / "data" / "rules").glob("apache-2.0_*.RULE"))[:5]
    footers = [r.read_text(encoding="utf-8").split("---", 2)[-1].strip() for r in rules]
    english = shakespeare()
    web = []
    for i in range(400):
        text = english[i * 1500 : (i + 1) * 1500]
        if i % 7 == 0:
            text += "\n\n" + footers[i % len(footers)]
        if i % 11 == 0:
            text += '\n<meta name="robots" content="noai">'
        web.append(json.dumps({"id": f"w{i:04d}", "text": text, "license": "CC-BY-4.0" if i % 3 else None}))
    web.insert(100, "{broken json")
    (root / "web.jsonl").write_text("\n".join(web) + "\n", encoding="utf-8")
    with gzip.open(root / "zh.jsonl.gz", "wt", encoding="utf-8") as fh:
        for i, p in enumerate(mencius_paragraphs()[:200]):
            fh.write(json.dumps({"id": f"z{i:04d}", "text": p}, ensure_ascii=False) + "\n")
    (root / "licenselens.toml").write_text(
        """
[[datasets]]
name = "web"
stage = "pretraining"
kind = "web"
paths = ["web.jsonl"]
license = "MIT"
[datasets.fields]
license = "license"

[[datasets]]
name = "zh"
stage = "pretraining"
kind = "books"
paths = ["zh.jsonl.gz"]
""",
        encoding="utf-8",
    )
    return root / "licenselens.toml"


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    return load_manifest(build_corpus(tmp_path_factory.mktemp("corpus")))


def table(path):
    return pq.read_table(path).sort_by([("dataset", "ascending"), ("doc_id", "ascending")]).to_pylist()


def test_local_one_and_two_workers_agree(manifest, tmp_path):
    one = run_corpus(manifest, CorpusOptions(output_dir=str(tmp_path / "one"), jobs=1, shard_bytes=64 * 1024))
    two = run_corpus(manifest, CorpusOptions(output_dir=str(tmp_path / "two"), jobs=2, shard_bytes=64 * 1024))
    assert one.shards > 4
    assert table(one.results_path) == table(two.results_path)
    assert one.summary == two.summary
    assert (tmp_path / "one" / "corpus.parquet").read_bytes() == (tmp_path / "two" / "corpus.parquet").read_bytes()
    errors = one.summary["datasets"][0]["errors"]
    assert [(e["origin"].rsplit(":", 1)[1], e["code"]) for e in errors] == [("101", "malformed-json")]
    assert one.summary["datasets"][0]["documents"] == 400
    assert one.summary["datasets"][0]["tdm_opt_out"]["documents"] == 37


@pytest.mark.slow
def test_ray_engine_on_a_real_local_cluster_gives_the_local_rows(manifest, tmp_path):
    pytest.importorskip("ray")
    local = run_corpus(manifest, CorpusOptions(output_dir=str(tmp_path / "local"), jobs=2, shard_bytes=64 * 1024))
    ray_run = run_corpus(
        manifest, CorpusOptions(output_dir=str(tmp_path / "ray"), engine="ray", jobs=2, shard_bytes=64 * 1024)
    )
    assert ray_run.shards == local.shards and ray_run.shards_reused == 0
    assert table(ray_run.results_path) == table(local.results_path)
    assert ray_run.summary == local.summary
